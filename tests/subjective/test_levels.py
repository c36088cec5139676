import pandas as pd
import pytest

from vqa.errors import ConfigError
from vqa.subjective.levels import LevelConfig, assign_levels, level_index, range_boundaries, words


def test_level_index_edges_follow_the_paper():
    # excellent 80–100, good 60–80, … low 0–20; a cut point belongs to the upper level
    assert level_index([0, 19.9, 20, 40, 59.99, 60, 80, 100], [20, 40, 60, 80]).tolist() == \
        [0, 0, 1, 2, 2, 3, 4, 4]


def test_wording_per_dimension():
    assert words("noise", "finevd") == ("severe", "strong", "mild", "slight", "undistorted")
    assert words("blur", "finevd")[0] == "severe"
    assert words("temporal", "finevd") == ("bad", "poor", "fair", "good", "excellent")
    assert words("overall", "omnivqa") == ("low", "poor", "fair", "good", "excellent")


def test_assign_levels_range_bins_and_fixed():
    mos = pd.DataFrame({"video": list("abcde") * 2, "dimension": ["noise"] * 5 + ["color"] * 5,
                        "mos": [30, 40, 50, 60, 70, 0, 25, 50, 75, 100]})
    out, info = assign_levels(mos, LevelConfig())
    assert info["wording"] == "finevd"
    assert info["boundaries"]["noise"] == [38, 46, 54, 62]          # equal widths of [30, 70]
    assert out["level_name"].tolist() == ["severe", "strong", "mild", "slight", "undistorted",
                                          "bad", "poor", "fair", "good", "excellent"]
    assert range_boundaries([0, 100]) == [20, 40, 60, 80]
    overall = mos.assign(dimension="overall").iloc[5:]
    out, info = assign_levels(overall, LevelConfig())            # overall only → OmniVQA words
    assert info["wording"] == "omnivqa" and info["boundaries"]["overall"] == [20, 40, 60, 80]
    assert out["level_name"].tolist() == ["low", "poor", "fair", "good", "excellent"]
    out, _ = assign_levels(overall, LevelConfig(boundaries=[10, 20, 30, 90]))
    assert out["level"].tolist() == [0, 2, 3, 3, 4]
    with pytest.raises(ConfigError, match="4 ascending"):
        LevelConfig(boundaries=[10, 5, 30, 90]).validate()

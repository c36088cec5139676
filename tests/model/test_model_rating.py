"""One rating read one way: the score's level is the band holding it, the likeliest level is
apart, the head's dimensions stay on their scale and its `overall` is not the score's."""

import pytest

from vqa.model.presets import preset_config
from vqa.objective.raters import level_of
from vqa.model.rating import describe, level_of_100, one_line, scales


def test_level_is_the_band_holding_the_score_and_the_likeliest_is_apart():
    cfg = preset_config("tiny")
    probs = {"excellent": 0.40, "good": 0.20, "fair": 0.20, "poor": 0.10, "low": 0.10}
    r = describe(cfg, {"score": 3.53, "level": "excellent", "probs": probs, "dimensions": {}})
    assert r["score_100"] == pytest.approx(63.25)
    assert r["level"] == "good"  # 60–80 on 0–100, not the arg-max
    assert (r["likeliest_level"], r["p_likeliest"], r["uncertain"]) == ("excellent", 0.40, False)
    assert one_line(r) == "3.53 (good; likeliest excellent p=0.40)"


def test_one_level_reading_for_the_model_and_the_objective_raters():
    words = ("excellent", "good", "fair", "poor", "bad")
    for s100, want in ((0, "bad"), (19.9, "bad"), (20, "poor"), (63.25, "good"), (80, "excellent"),
                       (100, "excellent")):
        assert level_of_100(s100, words) == level_of(s100) == want


def test_head_dimensions_are_clipped_to_their_scale_and_named_apart_from_the_score():
    cfg = preset_config("tiny")
    cfg.head.enabled, cfg.head.scale = True, 100.0
    cfg.head.dimensions = ["color", "noise", "overall"]
    probs = dict.fromkeys(cfg.scoring.levels, 0.2)
    r = describe(cfg, {"score": 3.0, "level": "fair", "probs": probs,
                       "dimensions": {"color": 101.4, "noise": -3.0, "overall": 55.0}})
    assert r["dimensions"] == {"color": 100.0, "noise": 0.0, "overall_head": 55.0}
    assert r["clipped"] == {"color": 101.4, "noise": -3.0}
    assert scales(cfg)["dimensions"]["overall_head"] == [0.0, 100.0]
    assert "overall" not in r["dimensions"] and r["score"] == 3.0

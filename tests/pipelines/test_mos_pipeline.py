"""`run_mos` as a library call (no Ray, no MLflow run): the config switches that change what
reaches the MOS."""

import json

import pandas as pd
import pytest

from vqa.config import from_dict
from vqa.errors import ConfigError
from vqa.pipelines.mos import MosJobConfig, run_mos


def write_study(path):
    # v1's objective is 90 (excellent): subject c's 1 and d's 2 are ≥ 2 levels away.
    rows = [("a", "v1", 5), ("b", "v1", 4), ("c", "v1", 1), ("d", "v1", 2),
            ("a", "v2", 2), ("b", "v2", 1), ("c", "v2", 2), ("d", "v2", 4),
            ("a", "v3", 3), ("b", "v3", 3), ("c", "v3", 4), ("d", "v3", 3)]
    pd.DataFrame(rows, columns=["subject", "video", "score"]).to_csv(path / "r.csv", index=False)
    pd.DataFrame({"video": ["v1"], "mos": [90.0]}).to_csv(path / "obj.csv", index=False)


def test_rerate_drop_and_no_screening(tmp_path):
    write_study(tmp_path)
    base = {"ratings": str(tmp_path / "r.csv"), "objective": str(tmp_path / "obj.csv"),
            "screening": {"enabled": False}, "mos": {"normalize": "raw"}}
    flag = run_mos(from_dict(MosJobConfig, {**base, "out": str(tmp_path / "flag")}))
    drop = run_mos(from_dict(MosJobConfig, {**base, "out": str(tmp_path / "drop"),
                                            "rerate_action": "drop"}))
    assert flag["rerate_flagged"] == drop["rerate_flagged"] == 2
    rerate = pd.read_csv(tmp_path / "flag" / "rerate.csv")
    assert sorted(rerate["subject"]) == ["c", "d"]
    m_flag = pd.read_csv(tmp_path / "flag" / "mos.csv").set_index("video")
    m_drop = pd.read_csv(tmp_path / "drop" / "mos.csv").set_index("video")
    assert m_flag.loc["v1", "mos"] == pytest.approx(100 * (12 / 4 - 1) / 4)   # raw mean 3 → 50
    assert m_drop.loc["v1", "mos"] == pytest.approx(100 * (4.5 - 1) / 4)      # c, d dropped
    assert m_drop.loc["v1", "n"] == 2
    assert m_flag.loc["v1", "level_name"] == "fair"
    assert m_drop.loc["v1", "level_name"] == "excellent"
    report = json.loads((tmp_path / "flag" / "report.json").read_text())
    assert report["levels"]["wording"] == "omnivqa" and report["subjects_rejected"] == 0


def test_config_validation_names_the_problem():
    with pytest.raises(ConfigError, match="score_range"):
        from_dict(MosJobConfig, {"ratings": "r", "out": "o", "score_range": [5, 1]})
    with pytest.raises(ConfigError, match=r"dimensions: unknown \['sharpness'\]"):
        from_dict(MosJobConfig, {"ratings": "r", "out": "o", "dimensions": ["sharpness"]})
    with pytest.raises(ConfigError, match="not one of"):
        from_dict(MosJobConfig, {"ratings": "r", "out": "o", "mos": {"normalize": "minmax"}})

"""The label stage without Ray: a registered model (models:/NAME/VERSION) rates next to the
baseline; a row that is not ok passes through unscored; a broken video becomes an error row."""

from __future__ import annotations

import pytest

from vqa.objective.raters import Ensemble, parse_raters
from vqa.pipelines.label import label_row, label_table


@pytest.fixture(scope="module")
def registered(register_tiny):
    return register_tiny("tiny-label")


def test_registered_model_and_baseline_rate_and_rows_carry(registered, clip_factory, tmp_path):
    specs = parse_raters(["baseline", registered])
    assert [s.column for s in specs] == ["rater_baseline", "rater_tiny_label_1"]
    ens = Ensemble(specs, max_frames=10)
    clip = str(clip_factory("rt_a.mp4", frames=12, seed=4))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"nope" * 50)
    base = {"video_id": "a", "path": clip, "status": "ok", "error": None}
    ok = label_row(base, ens)
    assert all(0 <= ok[s.column] < 100 for s in specs)
    assert ok["objective_score"] == pytest.approx((ok["rater_baseline"] +
                                                   ok["rater_tiny_label_1"]) / 2)
    bad = label_row({**base, "video_id": "b", "path": str(broken)}, ens)
    assert bad["status"] == "error" and bad["error"] and bad["objective_score"] is None
    kept = label_row({**base, "video_id": "c", "status": "filtered", "error": "too long"}, ens)
    assert kept["status"] == "filtered" and kept["rater_baseline"] is None
    table = label_table([ok, bad, kept], specs)
    assert table.column_names[-4:] == ["rater_baseline", "rater_tiny_label_1",
                                       "objective_score", "objective_level"]
    assert table.column("objective_level").to_pylist()[1:] == [None, None]

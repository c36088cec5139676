"""`vqa label` on a local Ray: a small manifest with a broken file → the baseline's column, the
objective label, error rows kept, an MLflow run (model raters: tests/objective/test_raters.py)."""

from __future__ import annotations

import json
import shutil

import mlflow
import pyarrow.parquet as pq
import pytest

from vqa.cli import main
from vqa.data import read_labels, write_manifest
from vqa.pipelines.ingest import probe_row

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def manifest(tmp_path_factory, clip_factory):
    d = tmp_path_factory.mktemp("label_in")
    good = [clip_factory(f"lab_{i}.mp4", frames=20, seed=i) for i in range(2)]
    gone_bad = d / "gone_bad.mp4"  # probed ok, then overwritten: fails at decode time
    shutil.copy(good[0], gone_bad)
    rows = [probe_row(f"g{i}", str(p), "packets", 0, 100) for i, p in enumerate(good)]
    rows.append(probe_row("gone_bad", str(gone_bad), "packets", 0, 100))
    gone_bad.write_bytes(b"not a video any more\n" * 20)
    text = d / "text.mp4"
    text.write_text("plain text\n")
    rows.append(probe_row("ingest_error", str(text), "packets", 0, 100))
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "error"]
    write_manifest(rows, d / "manifest.parquet")
    return d


def test_label_columns_error_rows_and_mlflow(manifest, tmp_path, ray_local,
                                                      mlflow_uri, capsys):
    out = tmp_path / "label"
    argv = ["label", str(manifest / "manifest.parquet"), "--out", str(out), "--raters",
            "baseline", "--max-frames", "12", "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["videos"], summary["to_score"], summary["labelled"]) == (4, 3, 2)
    assert (summary["failed"], summary["carried"]) == (1, 1)
    table = pq.read_table(out / "manifest.parquet")
    assert table.column_names[-3:] == ["rater_baseline", "objective_score", "objective_level"]
    rows = {r["video_id"]: r for r in table.to_pylist()}
    for vid in ("g0", "g1"):
        r = rows[vid]
        assert r["status"] == "ok" and 0 <= r["rater_baseline"] < 100
        assert r["objective_score"] == pytest.approx(r["rater_baseline"])
        assert r["objective_level"] in ("bad", "poor", "fair", "good", "excellent")
    assert rows["gone_bad"]["status"] == "error" and rows["gone_bad"]["error"]
    assert rows["ingest_error"]["error"] and rows["ingest_error"]["objective_score"] is None
    assert rows["gone_bad"]["rater_baseline"] is None
    assert (out / "summary.json").exists()
    labels = read_labels(out / "labels.csv").to_pylist()  # what mos / mos-select / -simulate read
    assert {r["video"]: r["mos"] for r in labels} == pytest.approx(
        {rows[v]["path"]: rows[v]["objective_score"] for v in ("g0", "g1")})

    client = mlflow.MlflowClient(mlflow_uri)
    exp = client.get_experiment_by_name("vqa-label")
    run = client.get_run(summary["mlflow_run_id"])
    assert run.info.experiment_id == exp.experiment_id
    assert run.data.metrics["labelled"] == 2
    with pytest.raises(SystemExit) as exc:  # a finished run in --out: refused, no --overwrite
        main(argv)
    assert exc.value.code == 2 and "--overwrite" in capsys.readouterr().err


def test_label_where_every_video_fails_exits_1_with_the_reason(manifest, tmp_path, ray_local,
                                                                mlflow_uri, capsys):
    import pyarrow.compute as pc

    table = pq.read_table(manifest / "manifest.parquet")
    only_bad = tmp_path / "bad.parquet"
    pq.write_table(table.filter(pc.equal(table.column("video_id"), "gone_bad")), only_bad)
    with pytest.raises(SystemExit) as exc:
        main(["label", str(only_bad), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and "none of 1 videos could be scored" in err, err
    assert "commonest: " in err and "commonest: unknown" not in err, err

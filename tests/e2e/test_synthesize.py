"""The synthesize job on a local Ray cluster: clips, specs and Q&A agree; the benchmark uses
held-out sources only; scores gate the sources."""

import json
import sys
from pathlib import Path

import mlflow
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vqa.cli import main
from vqa.data import read_manifest, read_samples
from vqa.distort import Distortion, apply_distortions
from vqa.distort.selection import held_out
from vqa.video import probe, read_dense
from vqa.video.decode import iter_frames

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "distort"))
from test_distort_qa import check_sample  # noqa: E402  (the same rules as the unit tests)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scored_manifest(tmp_path_factory, clip_factory, ray_local, mlflow_uri):
    """8 small real clips (4 s at 10 fps), ingested, with an objective score column: 2 < 70.
    With holdout 0.3, syn0 is the one held-out source."""
    root = tmp_path_factory.mktemp("synth_pool")
    for i in range(8):
        src = clip_factory(f"syn{i}.mp4", width=96, height=64, frames=40, fps=10.0, seed=i)
        (root / src.name).write_bytes(src.read_bytes())
    assert main(["ingest", str(root), "--out", str(root / "ingest")]) == 0
    table = read_manifest(root / "ingest" / "manifest.parquet")
    scores = [50.0 if v in ("syn1", "syn3") else 80.0 for v in table.column("video_id").to_pylist()]
    path = root / "manifest_scored.parquet"
    pq.write_table(table.append_column("objective_score", pa.array(scores)), path)
    return path, {v: s for v, s in zip(table.column("video_id").to_pylist(), scores)}


def test_train_clips_specs_and_qa_agree(scored_manifest, tmp_path, mlflow_uri):
    manifest, scores = scored_manifest
    out = tmp_path / "train"
    assert main(["synthesize", "--manifest", str(manifest), "--out", str(out),
                 "--holdout-fraction", "0.3", "--max-sources", "3", "--json"]) == 0
    specs = pq.read_table(out / "specs.parquet").to_pylist()
    assert specs and all(r["status"] == "ok" for r in specs)
    sources = {r["source_id"] for r in specs}
    eligible = {v for v, s in scores.items() if s > 70 and not held_out(v, 0.3)}
    assert sources == set(sorted(eligible)[:3]) and "syn0" not in eligible
    clips = {}
    for r in specs:
        clips.setdefault(r["clip_id"], []).append(r)
    assert len(clips) == 6 * len(sources)  # one clip per variant per source
    for cid, rows in clips.items():
        info = probe(rows[0]["video"])
        assert (info.frames, info.width, info.height) == (40, 96, 64)
        assert json.loads(rows[0]["encode"])["crf"] == 0
        got = read_dense(rows[0]["video"], {"a": (np.arange(40), None)})["a"]
        source = np.stack(list(iter_frames(rows[0]["source_path"])))
        want = apply_distortions(source, 10.0, [Distortion.from_dict(r) for r in rows],
                                 rows[0]["seed"])
        assert np.abs(got.astype(int) - want).max() <= 3  # near-lossless: colour rounding only
        for r in rows:
            assert 0 <= r["start"] and r["start"] + r["duration"] <= 4 and r["visibility"] > 0
            assert (r["start_frame"], r["end_frame"]) == (r["start"] * 10,
                                                          (r["start"] + r["duration"]) * 10)
            if r["type"] == "stutter":  # frozen frames decode identical
                for i in range(r["start_frame"], r["end_frame"]):
                    np.testing.assert_array_equal(got[i], got[r["start_frame"] - 1])
    samples = read_samples(out / "samples.jsonl").to_pylist()
    assert len(samples) == 6 * len(clips)
    by_video = {rows[0]["video"]: [Distortion.from_dict(r) for r in rows]
                for rows in clips.values()}
    for s in samples:
        assert s["task"] == "incontext"
        check_sample(s, by_video[s["video"]])
    client = mlflow.MlflowClient(mlflow_uri)
    run = client.search_runs([client.get_experiment_by_name("vqa-synthesize").experiment_id],
                             order_by=["start_time DESC"])[0]
    assert run.data.metrics["clips"] == len(clips) and run.data.metrics["samples"] == len(samples)
    assert 0 < run.data.metrics["encode_share"] < 1


def test_benchmark_uses_held_out_sources_only(scored_manifest, tmp_path):
    manifest, scores = scored_manifest
    out = tmp_path / "bench"
    assert main(["synthesize", "--manifest", str(manifest), "--out", str(out), "--benchmark",
                 "--holdout-fraction", "0.3", "--questions", "30"]) == 0
    recs = [json.loads(line) for line in (out / "benchmark.jsonl").read_text().splitlines()]
    held = {v for v, s in scores.items() if s > 70 and held_out(v, 0.3)}
    assert held == {"syn0"} and {r["source_id"] for r in recs} == held
    assert {r["category"] for r in recs} <= {"S", "T", "ST"} and "S" in {r["category"] for r in
                                                                           recs}
    for r in recs:
        assert r["options"][ord(r["answer"]) - 65] == r["answer_text"]
        assert Path(r["video"]).exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["questions"] == len(recs) and summary["mode"] == "benchmark"


def test_no_score_column_warns_and_uses_all(clip_factory, tmp_path, ray_local, mlflow_uri):
    src = clip_factory("syn_noscore.mp4", width=64, height=48, frames=30, fps=10.0, seed=9)
    pool = tmp_path / "pool"
    pool.mkdir()
    (pool / src.name).write_bytes(src.read_bytes())
    assert main(["ingest", str(pool), "--out", str(tmp_path / "ing")]) == 0
    out = tmp_path / "syn"
    assert main(["synthesize", "--manifest", str(tmp_path / "ing" / "manifest.parquet"),
                 "--out", str(out), "--holdout-fraction", "0", "--variants", "blur,stutter"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert "no 'objective_score' column" in summary["warnings"][0]
    assert summary["clips"] == 2 and summary["samples"] == 12
    # same seed, another run: same specs, same questions, same decoded frames
    again = tmp_path / "syn2"
    assert main(["synthesize", "--manifest", str(tmp_path / "ing" / "manifest.parquet"),
                 "--out", str(again), "--holdout-fraction", "0", "--variants", "blur,stutter"]) == 0
    keep = ["clip_id", "type", "level", "location", "box", "start", "duration", "visibility"]
    assert pq.read_table(out / "specs.parquet").select(keep) == \
        pq.read_table(again / "specs.parquet").select(keep)
    assert (out / "samples.jsonl").read_text().replace(str(out), "") == \
        (again / "samples.jsonl").read_text().replace(str(again), "")
    for clip in (out / "clips").glob("*.mp4"):
        a = np.stack(list(iter_frames(clip)))
        assert np.array_equal(a, np.stack(list(iter_frames(again / "clips" / clip.name))))


def test_help_and_config_errors(tmp_path, capsys):
    import subprocess

    root = Path(__file__).resolve().parents[2]
    res = subprocess.run([sys.executable, str(root / "jobs/synthesize.py"), "--help"],
                         capture_output=True, text=True, check=True)
    for word in ("--manifest", "--benchmark", "--holdout-fraction", "--min-score", "stutter"):
        assert word in res.stdout
    with pytest.raises(SystemExit) as err:
        main(["synthesize", "--manifest", "m", "--out", "o", "--variants", "blur,sharpen"])
    assert err.value.code == 2 and "unknown ['sharpen']" in capsys.readouterr().err


def test_rating_mode_files_counts_and_broken_source(clip_factory, tmp_path, ray_local,
                                                    mlflow_uri):
    """--mode rating on 3 tiny real sources (one with a poor objective score: not filtered) and
    one that breaks mid-decode: clips, specs, labels, per-split samples and summary agree."""
    import csv

    from vqa.distort.rating_label import level_words

    pool = tmp_path / "rpool"
    pool.mkdir()
    for i in range(3):
        src = clip_factory(f"rat{i}.mp4", width=64, height=48, frames=30, fps=10.0, seed=20 + i)
        (pool / src.name).write_bytes(src.read_bytes())
    assert main(["ingest", str(pool), "--out", str(tmp_path / "ring")]) == 0
    table = read_manifest(tmp_path / "ring" / "manifest.parquet")
    good = table.to_pylist()
    broken = pool / "zbroken.mp4"  # sorts last; its header claims frames its payload lacks
    data = (pool / "rat0.mp4").read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    rows = good + [dict(good[0], video_id="zbroken", path=str(broken))]
    manifest = tmp_path / "rating_manifest.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema).append_column(
        "objective_score", pa.array([20.0, 80.0, 90.0, 80.0])), manifest)
    out = tmp_path / "rating"
    assert main(["synthesize", "--mode", "rating", "--manifest", str(manifest), "--out", str(out),
                 "--clips-per-source", "6", "--max-seconds", "2", "--json"]) == 0
    specs = pq.read_table(out / "specs.parquet").to_pylist()
    assert len(specs) == 4 * 6
    bad = [r for r in specs if r["status"] == "error"]
    assert {r["source_id"] for r in bad} == {"zbroken"} and len(bad) == 6 and bad[0]["error"]
    ok = [r for r in specs if r["status"] == "ok"]
    assert {r["source_id"] for r in ok} == {"rat0", "rat1", "rat2"}  # rat0 scored 20: kept
    with (out / "labels.csv").open() as f:
        labels = list(csv.DictReader(f))
    assert list(labels[0]) == ["video", "mos", "level", "split", "source_id", "color", "noise",
                               "artifact", "blur", "temporal", "overall"]
    assert len(labels) == 18
    split_of_source = {}
    for lab in labels:
        assert split_of_source.setdefault(lab["source_id"], lab["split"]) == lab["split"]
        assert lab["split"] in ("train", "val", "test")
        info = probe(lab["video"])
        assert (info.frames, info.width, info.height) == (20, 64, 48)  # cut to 2 s
        sc = {d: float(lab[d]) for d in ("color", "noise", "artifact", "blur", "temporal",
                                         "overall")}
        assert float(lab["mos"]) == sc["overall"] and lab["level"] == level_words(sc)["overall"]
    refs = [r for r in ok if r["degradations"] == "reference"]
    assert len(refs) == 3 and all(r["mos"] == 100.0 for r in refs)
    assert all(r["mos"] < 100.0 for r in ok if r["types"])
    ref = refs[0]
    got = read_dense(ref["video"], {"a": (np.arange(20), None)})["a"]
    source = np.stack(list(iter_frames(ref["source_path"])))[:20]
    assert np.abs(got.astype(int) - source).max() <= 3  # near-lossless, untouched
    total = 0
    for split in ("train", "val", "test"):
        samples = read_samples(out / split / "samples.jsonl").to_pylist()
        total += len(samples)
        videos = {lab["video"]: lab for lab in labels if lab["split"] == split}
        assert {s["video"] for s in samples} == set(videos)
        assert len(samples) == 6 * len(videos)  # overall + five FineVQ dimensions
        for s in samples:
            assert s["task"] == "rating" and s["mos"] == float(videos[s["video"]]["mos"])
            assert set(s["scores"]) >= {"overall", "blur"}
            assert s["conversations"][1]["value"].startswith("The ")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "rating" and summary["clips"] == 18 and summary["samples"] == total
    assert summary["failed_sources"] == 1 and summary["failed_clips"] == 6
    assert sum(v["clips"] for v in summary["splits"].values()) == 18
    assert sum(summary["levels"].values()) == 18 and summary["levels"]["excellent"] >= 3
    assert not list((out / "clips").glob(".*"))  # no H.264 temp file left behind

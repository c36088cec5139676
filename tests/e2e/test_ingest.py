"""The ingest job on a local Ray cluster: real clips, every broken kind, MLflow tracking."""

import csv
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from vqa.cli import main
from vqa.data import read_manifest
from vqa.video import probe

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pool(tmp_path_factory, broken_files):
    """A corpus (clips in and out of the duration window + broken files) plus every broken kind
    the probe knows, in a nested folder."""
    from vqa.corpus import make_corpus

    root = tmp_path_factory.mktemp("pool")
    rows = make_corpus(root, num=8, seed=3)
    expect = {Path(r["path"]).stem: r["expect"] for r in rows}
    nested = root / "nested"
    nested.mkdir()
    for kind, path in broken_files.items():
        if path.suffix in (".mp4", ".mkv", ".mka"):
            target = nested / f"extra_{kind}{path.suffix if path.suffix != '.mka' else '.mkv'}"
            target.write_bytes(path.read_bytes())
            expect[target.stem] = "error"
    return root, expect


def test_ingest_folder_statuses_reasons_and_mlflow(pool, tmp_path, ray_local, mlflow_uri):
    root, expect = pool
    out = tmp_path / "out"
    assert main(["ingest", str(root), "--out", str(out), "--json"]) == 0
    manifest = read_manifest(out / "manifest.parquet", status=None).to_pylist()
    got = {r["video_id"]: r for r in manifest}
    assert {k: r["status"] for k, r in got.items()} == expect
    for row in manifest:
        if row["status"] == "error":
            assert row["error"] and row["frames"] is None
        else:  # other rows intact: exactly what a direct probe says
            info = probe(row["path"])
            assert (row["frames"], row["width"], row["height"], row["codec"]) == (
                info.frames, info.width, info.height, info.codec)
            assert row["size_bytes"] == Path(row["path"]).stat().st_size
        if row["status"] == "filtered":
            assert "outside [3, 15)" in row["error"]
    reasons = {r["video_id"]: r["error"] for r in manifest if r["status"] == "error"}
    assert "truncated" in reasons["extra_truncated"]
    assert "absurd frame size" in reasons["extra_absurd_size"]
    assert "no video stream" in reasons["extra_audio_only"]

    client = mlflow.MlflowClient(mlflow_uri)
    exp = client.get_experiment_by_name("vqa-ingest")
    run = client.search_runs([exp.experiment_id], order_by=["start_time DESC"])[0]
    counts = {s: sum(v == s for v in expect.values()) for s in ("ok", "filtered", "error")}
    assert run.data.metrics["kept"] == counts["ok"]
    assert run.data.metrics["filtered"] == counts["filtered"]
    assert run.data.metrics["failed"] == counts["error"]
    assert run.data.metrics["videos_per_s"] > 0
    assert run.data.params["min_duration"] == "3.0"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"config.yaml", "summary.json"} <= artifacts


def test_ingest_list_and_glob_sources(pool, tmp_path, ray_local, mlflow_uri):
    root, expect = pool
    clips = sorted(p for p in root.glob("clip*.mp4"))
    (tmp_path / "list.txt").write_text("# pool\n" + "\n".join(p.name for p in clips[:3]) + "\n")
    (tmp_path / "list.txt").replace(root / "list.txt")
    with (root / "list.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "note"])
        w.writerows([[str(p), "x"] for p in clips[3:5]])
    for src, n in [(root / "list.txt", 3), (root / "list.csv", 2),
                   (f"{root}/clip00[0-1]*.mp4", 2)]:
        out = tmp_path / f"out_{n}_{Path(str(src)).suffix}"
        assert main(["ingest", str(src), "--out", str(out), "--min-duration", "0",
                     "--max-duration", "100"]) == 0
        m = read_manifest(out / "manifest.parquet", status=None)
        assert m.num_rows == n and set(m.column("status").to_pylist()) == {"ok"}


def test_config_typo_names_the_key(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("src: x\nout: y\nmax_durration: 3\n")
    with pytest.raises(SystemExit) as err:
        main(["ingest", "x", "--config", str(cfg)])
    assert err.value.code == 2
    assert "unknown key 'max_durration'" in capsys.readouterr().err


def test_help_explains_options():
    for argv, words in [(["--help"], ["ingest", "corpus"]),
                        (["ingest", "--help"], ["--min-duration", "--max-duration", "--address",
                                                "folder", "glob"])]:
        res = subprocess.run([sys.executable, "-m", "vqa.cli", *argv], capture_output=True,
                             text=True, check=True)
        for w in words:
            assert w in res.stdout
    res = subprocess.run([sys.executable, str(ROOT / "jobs/ingest.py"), "--help"],
                         capture_output=True, text=True, check=True)
    assert "--max-duration" in res.stdout


def test_job_joins_running_cluster_via_ray_address(pool, tmp_path, ray_local, mlflow_uri):
    """`jobs/ingest.py` in another process joins this session's cluster instead of starting
    one, as it does inside `ray job submit` (where RAY_ADDRESS is set)."""
    import json
    import os

    import ray

    root, _ = pool
    address = ray.get_runtime_context().gcs_address
    env = {**os.environ, "RAY_ADDRESS": address, "MLFLOW_TRACKING_URI": mlflow_uri}
    res = subprocess.run([sys.executable, str(ROOT / "jobs/ingest.py"), str(root), "--out",
                          str(tmp_path / "joined"), "--json"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    summary = json.loads(res.stdout[res.stdout.index("{"):])
    assert summary["ray_cluster"] == address
    assert read_manifest(tmp_path / "joined" / "manifest.parquet", status=None).num_rows == \
        summary["videos"] > 0
    bad = subprocess.run([sys.executable, "-m", "vqa.cli", "ingest", str(root), "--out",
                          str(tmp_path / "x"), "--num-cpus", "2"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "--num-cpus sizes an embedded cluster" in bad.stderr
    assert "Traceback" not in bad.stderr

"""The annotate job on a local Ray cluster against the scripted server (real HTTP, real openai
client): faults, error rows, routing, human review merged back, keys kept out of every output,
and resume after killing the job midway."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
import yaml

from vqa.annotate.testing import ScriptedServer, Script
from vqa.annotate.voting import Vote, VotingConfig, decide
from vqa.cli import main
from vqa.data import read_samples, write_manifest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-e2e-secret-4242-do-not-leak"
PAPER = ["Poor", "The sharpness is relatively poor", "Poor, with degraded facial details",
         "Good, however, the facial details are slightly lost", "Excellent"]


def make_manifest(tmp, clip_factory, n, broken=False):
    rows = [{"video_id": f"v{i}", "path": str(clip_factory(f"ann{i}.mp4", frames=40, seed=i)),
             "duration": 1.6, "status": "ok"} for i in range(n)]
    if broken:  # probed fine once, unreadable now: its keyframes cannot be decoded
        bad = tmp / "gone.mp4"
        bad.write_text("not a video any more")
        rows.append({"video_id": "vbad", "path": str(bad), "duration": 2.0, "status": "ok"})
    return write_manifest(rows, tmp / "manifest.parquet")


def write_config(tmp, server, **extra):
    cfg = yaml.safe_load((ROOT / "configs/local-annotate.yaml").read_text())
    for role in cfg["roles"].values():
        role.update(base_url=server.base_url, api_key_env="VQA_E2E_KEY", timeout_s=1.0,
                    backoff_base_s=0.01, backoff_max_s=0.05)
    cfg["technical"]["factors"] = ["sharpness", "noise", "fluency"]
    cfg.update(keyframe_size=64, max_keyframes=3, **extra)
    path = tmp / "annotate.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def rows_of(out):
    return [json.loads(line) for line in (out / "annotations.jsonl").read_text().splitlines()]


@pytest.fixture
def server():
    script = Script(expert={"v0|sharpness": PAPER},
                    votes={"v0|sharpness": [2, 0, 2], "v1|noise": [1, 1, 2]},
                    default_votes=[2, 2, 2])
    faults = [{"kind": "429", "role": "expert", "every": 4},
              {"kind": "500", "role": "summarizer", "every": 3},
              {"kind": "timeout", "role": "judge", "every": 15},
              {"kind": "malformed", "role": "writer", "every": 2},
              {"kind": "500", "role": "expert", "match": "v2|technical", "times": 99}]
    srv = ScriptedServer(api_key=SECRET, faults=faults, script=script, timeout_sleep_s=1.2).start()
    yield srv
    srv.stop()


def test_annotate_faults_routing_review_and_no_key_leaks(tmp_path, clip_factory, server,
                                                         ray_local, mlflow_uri, capfd,
                                                         monkeypatch):
    monkeypatch.setenv("VQA_E2E_KEY", SECRET)
    manifest = make_manifest(tmp_path, clip_factory, 3, broken=True)
    cfg = write_config(tmp_path, server)
    out = tmp_path / "out"
    argv = ["annotate", "--config", str(cfg), "--manifest", str(manifest), "--out", str(out),
            "--json"]
    assert main(argv) == 0
    latest = {(r["video_id"], r["branch"]): r for r in rows_of(out)}
    status = {k: r["status"] for k, r in latest.items()}
    assert status == {("v0", "technical"): "review", ("v0", "aesthetic"): "done",
                      ("v1", "technical"): "done", ("v1", "aesthetic"): "done",
                      ("v2", "technical"): "error", ("v2", "aesthetic"): "done",
                      ("vbad", "technical"): "error", ("vbad", "aesthetic"): "error"}
    assert "expert: 500 after 5 attempt(s)" in latest[("v2", "technical")]["error"]
    assert latest[("vbad", "aesthetic")]["error"].startswith("video:")
    # the video reaches each role as its endpoint is configured (DESIGN.md's video_url part)
    assert server.parts[("expert", "video_url")] and not server.parts[("expert", "image_url")]
    assert server.parts[("judge", "image_url")] and not server.parts[("judge", "video_url")]
    assert set(server.parts) >= {("summarizer", "str"), ("writer", "str")}
    assert not {k for k in server.parts if k[0] in ("summarizer", "writer") and k[1] != "str"}
    # transient faults were absorbed by retries
    assert server.counts[("expert", "429")] and server.counts[("writer", "malformed")]
    assert server.counts[("judge", "timeout")] and server.counts[("summarizer", "500")]

    # the paper's example went through the summary rules end to end
    sharp = latest[("v0", "technical")]["record"]["factors"]["sharpness"]
    assert sharp["answers"] == PAPER
    assert (sharp["verdict"], sharp["positive"], sharp["negative"]) == ("poor", [0, 1, 2], [3, 4])
    assert sharp["summary"].startswith("The sharpness is poor with degraded facial details")
    # every factor's route is what the votes say
    for r in latest.values():
        for factor, rec in (r["record"] or {}).get("factors", {}).items():
            votes = [Vote(**v) for v in rec["votes"]]
            assert rec["action"] == decide(factor, rec["summary"], votes, VotingConfig()).action
    assert sharp["action"] == "human" and sharp["final"] is None
    noise = latest[("v1", "technical")]["record"]["factors"]["noise"]
    assert noise["action"] == "modify" and noise["final"].endswith("judged on the keyframes.")

    queue = [json.loads(x) for x in (out / "review_queue.jsonl").read_text().splitlines()]
    assert [q["item_id"] for q in queue] == ["v0|technical|sharpness"]
    samples = read_samples(out / "samples.jsonl").to_pylist()
    assert len(samples) == 1 * (3 + 1) + 3 * (6 + 1)  # v1 technical; v0, v1, v2 aesthetic
    assert all(json.loads(s["meta"])["prompt_hash"] for s in samples)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["review_queue"] == 1 and summary["total.error"] == 3
    assert summary["requests.expert"] > 0 and summary["prompt_tokens.judge"] > 0

    # a person reviews through a CSV; the next run merges the choice back and finishes v0
    csv_path = tmp_path / "review.csv"
    assert main(["annotate", "review", str(out), "--export", str(csv_path)]) == 0
    lines = csv_path.read_text().splitlines()
    csv_path.write_text(lines[0] + "\n" + lines[1].replace(",,", ",modified,", 1) + "\n")
    assert main(["annotate", "review", str(out), "--import", str(csv_path),
                 "--reviewer", "ann"]) == 0
    before = len(server.seen)
    assert main(argv) == 0
    second = server.seen[before:]
    assert not [s for s in second if s.startswith("v0|") and "|writer|" not in s]
    assert not [s for s in second if s.startswith("v1|")]  # done rows are not touched
    latest = {(r["video_id"], r["branch"]): r for r in rows_of(out)}
    sharp = latest[("v0", "technical")]["record"]["factors"]["sharpness"]
    assert latest[("v0", "technical")]["status"] == "done"
    assert sharp["final"] == sharp["modified"] and sharp["human"]["choice"] == "modified"
    assert (out / "review_queue.jsonl").read_text() == ""

    # the key is nowhere: outputs, console, MLflow params and artifacts, Ray's logs
    captured = capfd.readouterr()
    assert SECRET not in captured.out + captured.err
    for f in out.rglob("*"):
        if f.is_file():
            assert SECRET not in f.read_text(errors="replace"), f
    client = mlflow.MlflowClient(mlflow_uri)
    exp = client.get_experiment_by_name("vqa-annotate")
    run = client.search_runs([exp.experiment_id], order_by=["start_time DESC"])[0]
    assert run.data.params["roles.judge.api_key_env"] == "VQA_E2E_KEY"
    assert run.data.params["prompt_hash"] == summary["prompt_hash"]
    assert run.data.metrics["total.done"] == 5
    assert SECRET not in json.dumps(run.data.params)
    for name in ("config.yaml", "summary.json"):
        assert SECRET not in Path(client.download_artifacts(run.info.run_id, name,
                                                            str(tmp_path))).read_text()
    import ray

    logs = Path(ray._private.worker._global_node.get_session_dir_path()) / "logs"
    for f in logs.rglob("*"):
        if f.is_file() and f.stat().st_size < 50_000_000:
            assert SECRET.encode() not in f.read_bytes(), f


def test_resume_after_killing_the_job(tmp_path, clip_factory, ray_local, mlflow_uri,
                                      monkeypatch):
    """SIGKILL the job (and its Ray) midway, re-run: no duplicate rows, no missing rows, and the
    rows finished before the kill get no new requests."""
    srv = ScriptedServer(latency_s=0.25, script=Script(default_votes=[2, 2, 2])).start()
    try:
        manifest = make_manifest(tmp_path, clip_factory, 6)
        cfg = write_config(tmp_path, srv, actors=1, batch_size=1, batches_per_actor=2)
        out = tmp_path / "out"
        args = ["--config", str(cfg), "--manifest", str(manifest), "--out", str(out),
                "--num-cpus", "2"]
        env = {**os.environ, "RAY_ADDRESS": "", "MLFLOW_TRACKING_URI": mlflow_uri}
        env.pop("RAY_ADDRESS")
        proc = subprocess.Popen([sys.executable, str(ROOT / "jobs/annotate.py"), *args], env=env,
                                start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        ann = out / "annotations.jsonl"
        deadline = time.monotonic() + 240
        while (not ann.exists() or len(ann.read_text().splitlines()) < 3) and proc.poll() is None:
            assert time.monotonic() < deadline, "the job wrote no rows"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        first = rows_of(out)
        assert 3 <= len(first) < 12, "kill came too late to test a resume"
        done_before = {(r["video_id"], r["branch"]) for r in first}
        mark = len(srv.seen)
        assert main(["annotate", *args[:6], "--json"]) == 0
        rows = rows_of(out)
        keys = [(r["video_id"], r["branch"]) for r in rows]
        assert len(keys) == len(set(keys)) == 12  # nothing twice, nothing missing
        assert all(r["status"] == "done" for r in rows)
        again = {tuple(s.split("|")[:2]) for s in srv.seen[mark:]}
        assert not again & done_before
    finally:
        srv.stop()

"""`ray job submit` as a platform team runs it: a real Ray head on 127.0.0.1 with token
authentication on, a real `mlflow server`, the README's command line — outputs land where the
job was told (the storage root), runs land in the server, a relative path without a root is
refused, a client without the token is refused. The head and the server are stopped here."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float = 180.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {seconds} s")


def base_env() -> dict:
    """This process's environment minus what other tests set (their MLflow store, a cluster)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RAY_", "MLFLOW_", "VQA_"))}
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"  # the head's `python` is this venv's
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    return env


def stop(*procs: subprocess.Popen) -> None:
    """Stop processes and everything they started, all at once (never `ray stop`: it would stop
    every Ray cluster on the machine, the test session's own included)."""
    import psutil

    family = []
    for proc in procs:
        try:
            family += [proc, *psutil.Process(proc.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            family.append(proc)
    for p in family:
        try:
            p.terminate()
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
    psutil.wait_procs([psutil.Process(p.pid) for p in family if psutil.pid_exists(p.pid)],
                      timeout=5, callback=None)  # a scratch cluster: no need to wait politely
    for p in family:
        if psutil.pid_exists(p.pid):
            try:
                psutil.Process(p.pid).kill()
            except psutil.NoSuchProcess:
                pass


@pytest.fixture(scope="module")
def cluster():
    """(dashboard URL, token, MLflow URL, scratch dir) of a token-auth head + mlflow server."""
    scratch = Path(tempfile.mkdtemp(prefix="vqa-submit-", dir="/tmp"))  # short: Ray sockets
    token = secrets.token_hex(32)
    gcs, dash, mlf = free_port(), free_port(), free_port()
    # the session's own Ray holds the default agent ports (52365 …): a second head on the same
    # machine whose agent cannot bind answers every submit with "No available agent"
    agent_ports = [f"--dashboard-agent-listen-port={free_port()}",
                   f"--dashboard-agent-grpc-port={free_port()}",
                   f"--runtime-env-agent-port={free_port()}",
                   f"--metrics-export-port={free_port()}",
                   f"--ray-client-server-port={free_port()}"]  # not 10001: another head's
    head_env = dict(base_env(), RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    head = subprocess.Popen(
        [str(BIN / "ray"), "start", "--head", "--block", f"--port={gcs}",
         f"--dashboard-port={dash}", "--dashboard-host=127.0.0.1", "--node-ip-address=127.0.0.1",
         "--num-cpus=2", "--include-dashboard=true", f"--temp-dir={scratch / 'ray'}",
         "--disable-usage-stats", *agent_ports],
        env=head_env, stdout=(scratch / "head.log").open("w"), stderr=subprocess.STDOUT)
    mlflow = subprocess.Popen(
        [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(mlf),
         "--backend-store-uri", f"sqlite:///{scratch / 'mlflow.db'}",
         "--artifacts-destination", str(scratch / "artifacts"), "--workers", "1"],
        env=dict(base_env(), MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false"),  # as docs/cluster.md
        stdout=(scratch / "mlflow.log").open("w"), stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{mlf}/health")
        end = time.monotonic() + 120
        while True:  # the dashboard answers 401 until a token is sent: ask with one
            req = urllib.request.Request(f"http://127.0.0.1:{dash}/api/version",
                                         headers={"Authorization": f"Bearer {token}"})
            try:
                with urllib.request.urlopen(req, timeout=2):
                    break
            except OSError:
                if time.monotonic() > end or head.poll() is not None:
                    raise RuntimeError("Ray head did not start:\n"
                                       + (scratch / "head.log").read_text()[-3000:])
                time.sleep(1)
        yield f"http://127.0.0.1:{dash}", token, f"http://127.0.0.1:{mlf}", scratch
    finally:
        stop(head, mlflow)  # one wait for both
        shutil.rmtree(scratch, ignore_errors=True)


def submit(dashboard: str, token: str | None, env_vars: dict, *entrypoint: str,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """The README's command line, from the checkout, as a client with (or without) the token."""
    env = base_env()
    if token:
        env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    cmd = [str(BIN / "ray"), "job", "submit", "--address", dashboard, "--working-dir", ".",
           "--runtime-env-json", json.dumps({"env_vars": env_vars}), "--", *entrypoint]
    end = time.monotonic() + 90
    while True:  # a fresh head answers before its node's job agent is up: Ray says to retry
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        if "No available agent" not in done.stderr + done.stdout or time.monotonic() > end:
            return done
        time.sleep(2)


def test_submitted_jobs_write_where_asked_and_log_to_the_mlflow_server(cluster, clip_factory,
                                                                       tmp_path):
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from vqa.subjective.simulate import StudySpec, simulate_study

    dashboard, token, mlflow_url, _ = cluster
    store = tmp_path / "store"  # the team's shared storage root
    (store / "pool").mkdir(parents=True)
    for i in range(2):
        src = clip_factory(f"submit{i}.mp4", width=64, height=48, frames=40, fps=10.0, seed=i)
        shutil.copy(src, store / "pool" / src.name)
    ratings, _, _ = simulate_study(StudySpec(subjects=8, videos=12, bad_subjects=0, seed=1))
    ratings.to_csv(store / "ratings.csv", index=False)
    env_vars = {"MLFLOW_TRACKING_URI": mlflow_url, "VQA_STORAGE_ROOT": str(store)}

    refused = submit(dashboard, None, env_vars, "python", "jobs/ingest.py", "pool",
                     "--out", "ingest", timeout=120)
    assert refused.returncode != 0
    assert "authentication" in (refused.stdout + refused.stderr).lower()

    done = submit(dashboard, token, env_vars, "python", "jobs/ingest.py", "pool",
                  "--out", "ingest")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    manifest = pd.read_parquet(store / "ingest" / "manifest.parquet")
    assert sorted(manifest["status"]) == ["ok", "ok"]
    assert all(p.startswith(str(store / "pool")) for p in manifest["path"])

    done = submit(dashboard, token, env_vars, "python", "jobs/mos.py", "--ratings",
                  "ratings.csv", "--out", "mos")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (store / "mos" / "mos.csv").exists() and (store / "mos" / "summary.json").exists()

    lost = submit(dashboard, token, {"MLFLOW_TRACKING_URI": mlflow_url}, "python",
                  "jobs/mos.py", "--ratings", str(store / "ratings.csv"), "--out", "study_out")
    assert lost.returncode != 0
    assert "uploaded copy of the working directory" in lost.stdout + lost.stderr
    assert not (ROOT / "study_out").exists()

    # the loop as one job: steps resolve under the storage root, a re-submission skips them
    (store / "loop.yaml").write_text(yaml.safe_dump({"name": "submitted", "out": "loop", "steps": [
        {"name": "ingest", "run": ["ingest", "pool"]},
        {"name": "mos", "run": ["mos", "--ratings", "ratings.csv"]}]}))
    for expected in ("ran", "reused"):
        done = submit(dashboard, token, env_vars, "python", "jobs/pipeline.py",
                      str(store / "loop.yaml"), "--json")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert f'"ingest": "{expected}"' in done.stdout and f'"mos": "{expected}"' in done.stdout
    assert (store / "loop" / "ingest" / "manifest.parquet").exists()

    client = MlflowClient(mlflow_url)
    exp = client.get_experiment_by_name("vqa-pipeline")
    parents = client.search_runs([exp.experiment_id], "tags.`vqa.job` = 'pipeline'")
    assert len(parents) == 2 and all(r.info.status == "FINISHED" for r in parents)
    first = min(parents, key=lambda r: r.info.start_time)
    kids = client.search_runs([exp.experiment_id],
                              f"tags.`mlflow.parentRunId` = '{first.info.run_id}'")
    assert sorted(k.data.tags["vqa.job"] for k in kids) == ["ingest", "mos"]
    for kind, name in (("ingest", "ingest: pool → ingest"),
                       ("mos", "mos: ratings.csv → mos")):
        exp = client.get_experiment_by_name(f"vqa-{kind}")
        assert exp is not None, kind
        runs = client.search_runs([exp.experiment_id])
        assert [r.info.run_name for r in runs] == [name]
        run = runs[0]
        assert run.info.status == "FINISHED"
        assert run.data.params["out"] == str(store / kind)
        assert "summary.json" in {a.path for a in client.list_artifacts(run.info.run_id)}

"""A `ray start --head` on the machine (alive, then killed with its "current cluster" file left
behind) never captures a `vqa` command that names no address; `--address auto` joins the live
head and fails in seconds, one line, exit 2, on the stale file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
RAY = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _refuses(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return False
    except OSError:
        return True


@pytest.fixture
def ray_head(mlflow_uri):
    """A head started the README's way (no --temp-dir: Ray's default temp dir, made private to
    this test by RAY_TMPDIR so no other Ray on the machine sees it) in a process group of its
    own → (env, gcs address, kill). kill() SIGKILLs exactly that group, as a crash would."""
    tmp = tempfile.mkdtemp(prefix="vqa-rt", dir="/tmp")  # short: Ray's unix sockets live here
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(RAY_TMPDIR=tmp, MLFLOW_TRACKING_URI=mlflow_uri, RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=str(Path(__file__).resolve().parents[2] / "platform"))
    # Its own ports: another Ray on this machine may hold the defaults (6379, 10001, 52365).
    head = subprocess.Popen(
        [RAY, "start", "--head", "--block", f"--port={_free_port()}", "--num-cpus=1",
         "--include-dashboard=false", f"--dashboard-agent-listen-port={_free_port()}",
         f"--ray-client-server-port={_free_port()}", "--disable-usage-stats"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)

    def kill():
        if head.poll() is None:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()

    try:
        for line in head.stdout:  # the head says when it is up
            if "Ray runtime started" in line:
                break
        else:
            pytest.fail("ray start --head exited before the runtime started")
        current = Path(tmp) / "ray" / "ray_current_cluster"
        deadline = time.monotonic() + 60  # written just after the line above, not before it
        while not current.exists() and time.monotonic() < deadline and head.poll() is None:
            time.sleep(0.1)
        address = current.read_text().strip()
        yield env, address, kill
    finally:
        kill()
        shutil.rmtree(tmp, ignore_errors=True)


def _other_rays() -> set[str]:
    """The GCS addresses of the Rays running on this machine now, as `auto` sees them."""
    from ray._private import services

    services.find_gcs_addresses.cache_clear()  # a found set is cached for the process
    return set(services.find_gcs_addresses())


def _ingest(env, pool, out, *extra):
    res = subprocess.run([sys.executable, "-m", "vqa.cli", "ingest", str(pool), "--out",
                          str(out), "--json", *extra], env=env, capture_output=True, text=True,
                         timeout=180)
    return res


def test_head_alive_then_stale_never_captures_a_job(ray_head, clip_factory, tmp_path):
    env, address, kill = ray_head
    pool = tmp_path / "pool"
    pool.mkdir()
    shutil.copy(clip_factory("addr.mp4", frames=100), pool / "addr.mp4")

    own = _ingest(env, pool, tmp_path / "beside", "--num-cpus", "1")
    assert own.returncode == 0, own.stderr[-2000:]
    assert json.loads(own.stdout[own.stdout.index("{"):])["ray_cluster"] != address

    joined = _ingest(env, pool, tmp_path / "joined", "--address", "auto")
    assert joined.returncode == 0, joined.stderr[-2000:]
    assert json.loads(joined.stdout[joined.stdout.index("{"):])["ray_cluster"] == address

    kill()
    while not _refuses(address):  # the GCS goes with its process group
        time.sleep(0.1)
    assert (Path(env["RAY_TMPDIR"]) / "ray" / "ray_current_cluster").exists()  # stale

    after = _ingest(env, pool, tmp_path / "after", "--num-cpus", "1")
    assert after.returncode == 0, after.stderr[-2000:]
    assert json.loads(after.stdout[after.stdout.index("{"):])["ray_cluster"] != address

    alone = not _other_rays()
    stale = _ingest(env, pool, tmp_path / "stale", "--address", "auto")
    alone = alone and not _other_rays()
    lines = [line for line in stale.stderr.splitlines() if line.strip()]
    assert "Traceback" not in stale.stderr, stale.stderr[-2000:]  # (a hang: _ingest's timeout)
    # What `auto` resolves to depends on the other Rays on the machine (Ray's rule): none, or
    # two and more (this session's, another pytest-xdist worker's, a benchmark's) → the file's
    # dead head; exactly one → that one, joined. Each is an outcome the docs allow.
    if stale.returncode == 0:  # joined the one other live cluster, not the dead head
        assert not alone
        assert json.loads(stale.stdout[stale.stdout.index("{"):])["ray_cluster"] != address
    else:  # the address `auto` gave does not answer: one line, exit 2, naming it
        assert stale.returncode == 2, stale.stderr[-2000:]
        assert lines[-1].startswith("vqa ingest: --address auto"), stale.stderr[-2000:]
        if alone:  # the dead head's, certainly (beside other Rays, the one other cluster
            #        `auto` picked may have gone away meanwhile: another session ending)
            assert address in lines[-1], lines[-1]

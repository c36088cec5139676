"""A job that succeeds prints no Ray-internal line that reads like a failure, while another Ray
runs on the machine (the test session's own): no core_worker.cc error line (forwarded from
a worker, or written by the driver's own core worker to its stderr), no
PlacementGroupCleaner traceback, no "will hang" warning — and a real failure still shows. One
job serves both: it does the succeeding work, marks stderr, then runs a Train loop that raises."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]

MARK = "=" * 20 + " the failing run " + "=" * 20  # on stderr between the two runs
JOB = textwrap.dedent("""
    import sys, time
    import ray, ray.data
    from ray.train import ScalingConfig
    from ray.train.torch import TorchTrainer
    from vqa.native_stderr import filter_stderr
    from vqa.runtime import NATIVE_NOISE, init_ray, shutdown_ray

    filter_stderr(NATIVE_NOISE)  # as the `vqa` command does
    init_ray(num_cpus=2, worker_output=True)

    def loop():
        time.sleep(2)  # long enough for the placement-group cleaner to poll the State API

    def failing_loop():
        raise RuntimeError("a real failure")

    try:
        TorchTrainer(loop, scaling_config=ScalingConfig(num_workers=1)).fit()
        @ray.remote(num_cpus=2)
        class Hold:  # every CPU held, as Serve replicas hold them during `vqa annotate`
            def ping(self):
                return 1
        hold = Hold.remote()
        ray.get(hold.ping.remote())
        assert ray.data.from_items([{"a": 1}]).materialize().count() == 1
        ray.kill(hold)

        class Same:  # an actor pool, as `vqa evaluate` runs: Ray's C++ notice on this stderr
            def __call__(self, batch):
                return batch

        pool = ray.data.ActorPoolStrategy(size=1)
        assert ray.data.from_items([{"a": 1}]).map_batches(Same, compute=pool).count() == 1
        time.sleep(1)  # what the work above forwards from its workers arrives before the mark
        print("JOB OK", flush=True)
        print(MARK, file=sys.stderr, flush=True)
        TorchTrainer(failing_loop, scaling_config=ScalingConfig(num_workers=1)).fit()
    finally:
        shutdown_ray()
""").replace("MARK", repr(MARK))
NOISE = ("core_worker.cc", "Traceback", "will hang unless", "multiple active Ray instances")


@pytest.fixture(scope="module")
def job() -> subprocess.CompletedProcess:
    """One job, run once for both tests (a Ray start and a Train start are most of its time):
    the work of a job that succeeds, then a Train run whose loop raises, after a mark on stderr."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "platform"))
    env.pop("RAY_ADDRESS", None)
    return subprocess.run([sys.executable, "-c", JOB], capture_output=True, text=True, env=env,
                          timeout=240)


def test_a_job_that_succeeds_prints_nothing_that_looks_like_failure(ray_local, job):
    out = job.stdout + job.stderr
    assert "JOB OK" in job.stdout and MARK in job.stderr, out[-3000:]
    succeeded = job.stderr[:job.stderr.index(MARK)]
    assert not [n for n in NOISE if n in job.stdout + succeeded], out[-3000:]
    # what the failing run adds is its own failure: nothing else from the list, late or not
    failed = job.stderr[job.stderr.index(MARK):]
    assert not [n for n in NOISE if n != "Traceback" and n in failed], failed[-3000:]


def test_a_real_failure_still_shows(ray_local, job):
    assert MARK in job.stderr, (job.stdout + job.stderr)[-3000:]
    failed = job.stderr[job.stderr.index(MARK):]
    assert job.returncode != 0 and "a real failure" in failed, job.stderr[-3000:]

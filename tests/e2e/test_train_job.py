"""`vqa train` on a local Ray cluster: the strategies run (ZeRO 1/2/3, 1 and 2 workers; direct on
ZeRO-0 is tests/train/test_learning.py), MLflow holds the parent and stage runs, the registered
model loads by URI, and a killed worker resumes from the latest checkpoint without repeating a
stage (automatically, under ZeRO-3; by running the same command again, under ZeRO-2 in bf16 —
that run is also the mix strategy's)."""

import json
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

from vqa.cli import main
from vqa.config import from_dict
from vqa.train.config import TrainConfig
from vqa.train.state import checkpoint_states

from train_checks import registered

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
LEVELS = ["excellent", "good", "fair", "poor", "low"]


def _conv(q, a):
    return [{"from": "human", "value": f"<video>\n{q}"}, {"from": "gpt", "value": a}]


@pytest.fixture(scope="module")
def train_data(tmp_path_factory, clip_factory):
    """Rating and in-context sample files over 6 small clips, plus a missing and a broken clip
    (skipped and counted, never a crash)."""
    root = tmp_path_factory.mktemp("train_data")
    clips = [clip_factory(f"tr{i}.mp4", width=64, height=48, frames=20, fps=10.0, seed=i)
             for i in range(6)]
    broken = root / "broken.mp4"
    broken.write_text("not a video\n" * 20)
    rating, incontext = [], []
    for i, c in enumerate(clips):
        lv = LEVELS[i % 5]
        rating.append({"id": f"r{i}", "video": str(c), "task": "rating", "mos": 90.0 - 20 * (i % 5),
                       "conversations": _conv("How would you rate the quality of this video?",
                                              f"The quality of this video is {lv}.")})
        incontext.append({"id": f"c{i}", "video": str(c), "task": "incontext",
                          "conversations": _conv("Is there blur in the video?",
                                                 "yes" if i % 2 else "no")})
    rating.append({**rating[0], "id": "missing", "video": str(root / "missing.mp4")})
    rating.append({**rating[0], "id": "broken", "video": str(broken)})
    for name, rows in (("rating", rating), ("incontext", incontext)):
        (root / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def job_config(base: str, data: Path, out: Path, steps: int = 1, every: int | None = None,
               frames: str | None = None, precision: str | None = None, **over) -> Path:
    """A repo strategy config pointed at the test data, each stage cut to `steps` steps."""
    d = yaml.safe_load((ROOT / "configs" / f"{base}.yaml").read_text())
    for ds in d["datasets"].values():
        ds["path"] = str(data / ("rating.jsonl" if "rating" in ds["path"] else "incontext.jsonl"))
    for s in d["stages"]:
        s["optim"].update(max_steps=steps, batch_size=1)
        if precision:
            s["optim"]["precision"] = precision
    d.update(out=str(out), frames={"root": frames}, log_every=1,
             checkpoint={"every_steps": every, "keep": 2}, **over)
    path = out.parent / f"{out.name}.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(d))
    return path


# complementary-reverse is complementary's stage list reversed (tests/train/test_train_config.py
# checks every strategy's stages). The other strategies train in other tests: direct (ZeRO-0)
# in tests/train/test_learning.py, mix (ZeRO-2, bf16, frame shards) in
# test_the_same_command_after_a_crash_resumes, complementary under ZeRO-3 in the last test.
def test_complementary_trains_and_registers(train_data, tmp_path, ray_local, mlflow_uri):
    """Two stages on ZeRO-1, 2 workers, from frame shards, one step each; validation on the
    rating rows (6 clips + a broken one) split over the two workers."""
    path = job_config("local-complementary", train_data, tmp_path / "out", name="t-compl",
                      register_as="t-compl", deepspeed={"zero_stage": 1}, precision="fp32",
                      frames=str(tmp_path / "frames"),
                      validation={"dataset": "rating", "every_steps": 1})
    assert main(["train", "--config", str(path)]) == 0
    cfg = from_dict(TrainConfig, yaml.safe_load(path.read_text()))
    summary, stage_runs = registered(cfg, 1, first_clip(train_data), mlflow_uri)
    assert summary["global_steps"] == len(cfg.stages)  # one step per stage
    assert summary["validation.no_frames"] == 1  # the broken clip, dropped at the frame build
    for c in stage_runs:  # every distinct video with a mos, none lost to the worker split
        m = c.data.metrics
        assert (m["val_n"], m["val_failed"]) == (6, 0) and -1 <= m["val_srcc"] <= 1


def first_clip(train_data: Path) -> str:
    return json.loads((train_data / "rating.jsonl").read_text().splitlines()[0])["video"]


def _raylet() -> psutil.Process:
    """This session's raylet (`ray_local`'s): it starts every worker of its cluster."""
    import ray
    from ray._private import ray_constants

    node = ray._private.worker._global_node  # private: an upgrade that moves it fails here
    assert node is not None, "Ray is not initialised in this process"
    return psutil.Process(node.all_processes[ray_constants.PROCESS_TYPE_RAYLET][0].process.pid)


def _workers() -> list[psutil.Process]:
    """The Ray Train workers of this session's cluster, by pid: only processes that descend
    from its raylet, never another Ray's on the machine (a second pytest-xdist worker's
    session, a benchmark running beside the suite)."""
    out = []
    for p in _raylet().children(recursive=True):
        try:
            text = " ".join([p.name(), *p.cmdline()])
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if "RayTrainWorker" in text:
            out.append(p)
    return sorted(out, key=lambda p: p.pid)


def _train_and_kill_a_worker(cfg, when, deadline_s: float = 300):
    """Run `cfg` in a thread; kill one Train worker as soon as a checkpoint's state satisfies
    `when` → (the killed pid or None, the run's summary, the exception it ended with or None)."""
    from vqa.pipelines.train import prepare, run_train

    result: dict = {}
    error: list = []

    def train():
        try:
            result.update(run_train(cfg, prepare(cfg)))
        except Exception as exc:  # noqa: BLE001 - returned for the test to judge
            error.append(exc)

    thread = threading.Thread(target=train)
    thread.start()
    run_dir, killed = Path(cfg.out) / "ray" / cfg.name, None
    deadline = time.monotonic() + deadline_s
    while thread.is_alive() and killed is None and time.monotonic() < deadline:
        if any(when(s) for s in checkpoint_states(run_dir).values()):  # readable ones
            workers = _workers()
            if workers:
                killed = workers[-1].pid
                workers[-1].kill()
        time.sleep(0.2)
    thread.join(timeout=400)
    return killed, result, (error or [None])[0]


def test_the_same_command_after_a_crash_resumes(train_data, tmp_path, ray_local, mlflow_uri):
    """No automatic restart (max_failures 0): the killed run fails; `vqa train` again with the
    same name and storage continues from its latest checkpoint and registers the model as any
    run does. It is also the mix strategy's run (on one worker): ZeRO-2, frame shards and bf16
    (the cluster configs' precision, which died on its first step in SlowFast's BatchNorm)."""
    from ray.train import TrainingFailedError

    from vqa.pipelines.train import prepare

    path = job_config("local-mix", train_data, tmp_path / "out", steps=8, every=2,
                      name="t-crash-mix", register_as="t-crash-mix", max_failures=0,
                      deepspeed={"zero_stage": 2}, precision="bf16",
                      frames=str(tmp_path / "frames"),
                      scaling={"workers": 1, "cpus_per_worker": 1})
    cfg = from_dict(TrainConfig, yaml.safe_load(path.read_text()))
    killed, _, error = _train_and_kill_a_worker(cfg, lambda s: s.stage_step >= 4)
    assert killed is not None and isinstance(error, TrainingFailedError), \
        f"the first run should have died with its worker (killed {killed}, ended with {error!r})"
    assert prepare(cfg)["resume_from"] is not None
    assert main(["train", "--config", str(path)]) == 0
    summary, _ = registered(cfg, 2, first_clip(train_data), mlflow_uri)
    assert summary["resumes"] == 1 and summary["global_steps"] == 8, summary


def test_zero3_trains_resumes_and_saves_the_whole_model(train_data, tmp_path, ray_local,
                                                       mlflow_uri):
    """ZeRO-3 with activation checkpointing on 2 workers, two stages, validation at the end: a
    worker killed mid-way through stage 2 resumes from the partitioned shards, and the saved
    folder (gathered on rank 0) rates the validation clips exactly as the partitioned model did
    in memory. On the old main the folder held 0-element placeholders that no model could load.
    Three validation clips and a broken one: under ZeRO-3 every forward pass gathers the
    weights from both ranks (about 4 s a clip on this CPU), and validation runs four times.

    It is also the test of an automatic restart (max_failures 1) mid-stage: one resume, stage 1
    not run again, the global step count continued from the checkpoint (3 + 3). A separate
    ZeRO-2 copy of that check was folded in here; ZeRO-2's resume from a checkpoint is
    test_the_same_command_after_a_crash_resumes."""
    from vqa.evaluate.rating import correlations
    from vqa.model import VQAModel

    rows = [json.loads(line) for line in (train_data / "rating.jsonl").read_text().splitlines()]
    val = tmp_path / "validation.jsonl"  # a broken clip first: every rank fails on it alike
    val.write_text("".join(json.dumps(r) + "\n" for r in [rows[-1], *rows[:3]]))
    assert rows[-1]["id"] == "broken"
    path = job_config("local-complementary", train_data, tmp_path / "out", steps=3, every=1,
                      name="t-zero3", max_failures=1, register_as=None, precision="fp32",
                      deepspeed={"zero_stage": 3},
                      activation_checkpointing=["vision", "language"],
                      validation={"dataset": str(val), "every_steps": 100})
    cfg = from_dict(TrainConfig, yaml.safe_load(path.read_text()))
    killed, result, error = _train_and_kill_a_worker(
        cfg, lambda s: s.stage == 1 and s.stage_step >= 1)
    assert killed is not None and error is None, \
        f"killed {killed}, ended with {error!r}: training ended before a worker could be killed?"
    assert result["resumes"] == 1 and result["global_steps"] == 6, result
    assert result["stages"] == "rating, incontext"
    model = VQAModel.from_pretrained(Path(cfg.out) / "model")  # whole weights, not placeholders
    pairs = [(model.rate(r["video"])["score"], r["mos"]) for r in rows[:3]]
    c = correlations([p for p, _ in pairs], [m for _, m in pairs])
    assert (result["val_n"], result["val_failed"]) == (3, 1)
    assert c["plcc"] == pytest.approx(result["val_plcc"], abs=1e-5)

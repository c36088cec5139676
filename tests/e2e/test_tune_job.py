"""`vqa tune` on the local Ray cluster: a small ASHA search over the tiny preset on darkened
photographs (the degradation the tiny model learns, tests/train/test_learning.py), each trial the
training job with its held-out validation; ASHA stops a trial early, the best trial comes out as
a training config that loads, its model is registered, every trial is an MLflow child run — all
from a job folder whose every path is relative (the one search checks both)."""

import json
from pathlib import Path

import mlflow
import numpy as np
import pytest
import yaml

from vqa.cli import main
from vqa.config import load
from vqa.train.config import TrainConfig

pytestmark = pytest.mark.e2e
LEVELS = ["excellent", "good", "fair", "poor", "low"]


def darkened_rows(root: Path, photos, seed: int) -> list[dict]:
    from vqa.corpus import pan_zoom, photo
    from vqa.video import write_video

    rows = []
    for p in photos:
        for sev in range(5):
            x = pan_zoom(photo(p), 64, 48, 8, np.random.default_rng(seed + sev))
            path = root / f"{p}_{seed}_{sev}.mp4"
            write_video(np.clip(x * (1 - 0.18 * sev), 0, 255).astype(np.uint8), 6.0, path)
            rows.append({"video": str(path), "mos": 90.0 - 20 * sev, "task": "rating",
                         "conversations": [
                             {"from": "human", "value": "<video>\nHow would you rate the "
                                                        "quality of this video?"},
                             {"from": "gpt", "value": f"The quality of this video is "
                                                      f"{LEVELS[sev]}."}]})
    return rows


def test_asha_search_stops_a_trial_and_writes_the_best_config(tmp_path, ray_local, mlflow_uri,
                                                              monkeypatch):
    """Also the README's `vqa tune` after `make demo`: every path relative to where the job
    starts (configs, samples files, the clips the samples name, the frames root, the output).
    Tune moves each trial into its own working directory; the trials must still find the clips
    (they did not: 'no usable sample')."""
    job = tmp_path / "job"
    (job / "clips").mkdir(parents=True)
    (job / "data").mkdir()
    monkeypatch.chdir(job)
    for name, photos, seed in (("train", ("astronaut", "coffee", "rocket"), 1),
                               ("val", ("chelsea", "camera"), 50)):
        rows = darkened_rows(job / "clips", photos, seed)
        for r in rows:
            r["video"] = str(Path(r["video"]).relative_to(job))  # clips/…: from the job's folder
        (job / "data" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    # the tiny preset's quality features let even a random init rank darkening (seen: 0.89 at
    # lr 1e-5): off here (and the salience read from them), so the trials differ in what they
    # learn, which is what ASHA compares
    train = {"name": "tt", "out": "unused",
             "model": {"preset": "tiny", "overrides": {"quality": {"enabled": False},
                                                       "grounding": {"salience": False}}},
             "datasets": {"r": {"path": "data/train.jsonl"}, "v": {"path": "data/val.jsonl"}},
             "stages": [{"name": "rating", "datasets": ["r"],
                         "optim": {"lr": 1e-3, "max_steps": 8, "batch_size": 4,
                                   "precision": "fp32", "warmup_ratio": 0.05}}],
             "deepspeed": {"zero_stage": 0}, "scaling": {"workers": 1},
             "checkpoint": {"every_steps": None}, "log_every": 4,
             "frames": {"root": "frames"},
             "validation": {"dataset": "v", "every_steps": 4}}
    # In order, one at a time: the second trial (lr 1e-5) meets the first's (lr 3e-3) held-out
    # SRCC at ASHA's rung (step 4) and is stopped there. Real training on real clips: the random
    # init ranks the darkened clips backwards (-0.89 at step 1); 3e-3 turns that round by step 4
    # (seen: 0.94), 1e-5 does not (seen: -0.91).
    space = {"metric": "val_srcc", "mode": "max",
             "params": {"lr": {"grid": [3e-3, 1e-5]}, "lora_rank": {"choice": [4, 8]}}}
    search = {"name": "tt-search", "train": "train.yaml", "space": "space.yaml", "out": "tune",
              "trials": 1,
           "max_concurrent": 1, "asha": {"grace_period": 4, "reduction_factor": 2}, "seed": 3,
           "register_as": "tt-tuned"}
    for name, d in (("train", train), ("space", space), ("search", search)):
        (job / f"{name}.yaml").write_text(yaml.safe_dump(d))

    assert main(["tune", "--config", "search.yaml", "--json"]) == 0
    import time

    import ray

    deadline = time.monotonic() + 30  # the stopped trial's CPUs are back for what runs next
    while ray.available_resources().get("CPU", 0) < ray.cluster_resources()["CPU"]:
        assert time.monotonic() < deadline, ray.available_resources()
        time.sleep(0.5)

    out = job / "tune"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trials"] == 2 and summary["failed"] == 0
    assert summary["stopped_early"] == 1 and summary["finished"] == 1, summary
    assert summary["best_params"]["lr"] == 3e-3
    assert summary["best_val_srcc"] > 0 > summary["worst_val_srcc"]
    assert summary["frame_keys"] == 1  # decoded once before the trials, which only read them
    assert not (out / "trials" / summary["worst_trial"] / "model").exists()  # stopped early
    assert (out / "trials" / summary["best_trial"] / "model").is_dir()

    best = load(TrainConfig, summary["best_config"])  # a ready training config
    params = summary["best_params"]
    assert best.stages[0].optim.lr == pytest.approx(params["lr"])
    assert best.model.overrides["lora"]["r"] == params["lora_rank"]
    assert best.model.overrides["quality"] == {"enabled": False}
    assert best.register_as == "tt-tuned" and best.validation.dataset == "v"

    mlflow.set_tracking_uri(mlflow_uri)
    parent = mlflow.search_runs(experiment_names=["vqa-tune"], output_format="list",
                                filter_string="params.name = 'tt-search'")[0]
    children = mlflow.search_runs(experiment_ids=[parent.info.experiment_id], output_format="list",
                                  filter_string=f"tags.mlflow.parentRunId = "
                                                f"'{parent.info.run_id}'")
    assert len(children) == 2
    outcomes = sorted(c.data.tags["vqa.outcome"] for c in children)
    assert outcomes.count("stopped_early") == summary["stopped_early"]
    assert all("val_srcc" in c.data.metrics and "loss" in c.data.metrics for c in children)
    assert sum(c.data.tags["vqa.best"] == "true" for c in children) == 1
    version = mlflow.MlflowClient().search_model_versions("name = 'tt-tuned'")[0].version
    assert summary["model_uri"] == f"models:/tt-tuned/{version}"
    from vqa.model.registry import resolve_model_path
    from vqa.model.vqa_model import VQAModel

    model = VQAModel.from_pretrained(resolve_model_path(summary["model_uri"]))
    assert model.cfg.lora.r == params["lora_rank"]


def test_no_trial_finished_is_one_line_with_the_commonest_reason():
    from vqa.pipelines.tune_report import error_reason, no_trial_finished

    wrapped = ("ray.exceptions.RayTaskError(ConfigError): ray::_trial() (pid=1)\n  File "
               "\"x.py\", line 3\nvqa.errors.ConfigError: stages.rating: no usable sample: "
               "all 4 samples name videos that do not exist")
    reason = error_reason(wrapped)
    assert reason == ("stages.rating: no usable sample: all 4 samples name videos that do not "
                      "exist")
    rows = [{"error": reason}, {"error": reason}, {"error": "out of memory"}, {"error": None}]
    line = no_trial_finished(rows, {"finished": 0, "stopped_early": 1, "failed": 3})
    assert "\n" not in line
    assert line == (f"no trial finished of 4 (1 stopped early, 3 failed); commonest reason (2): "
                    f"{reason}")

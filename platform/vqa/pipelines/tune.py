"""`vqa tune`: Ray Tune over the training job. Each trial is the training job itself
(`vqa.pipelines.run_train`: the same stage list, one Train V2 `TorchTrainer`) with the trial's
parameters written into its config; `TuneReportCallback` carries every `ray.train.report` (the
held-out validation included) to Tune, where ASHA stops weak trials early.

Resources: a trial holds one `TRAIN_DRIVER` slot (no CPU) and its Train workers take the CPUs,
so trials never hold the CPUs their own workers wait for (2 CPUs: deadlock otherwise); the
number of trials at once is what the cluster's CPUs (GPUs) fit. Frame shards for every frame-count
choice are decoded once before the first trial; trials only read them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from vqa.config import load, to_dict
from vqa.errors import ConfigError
from vqa.runtime import TRAIN_DRIVER
from vqa.train.config import TrainConfig
from vqa.train.search import (SearchSpace, TuneJobConfig, check_space, frame_points,
                              trial_config)

EXPERIMENT = "vqa-tune"  # run_job's experiment: trial runs nest under the search's run


def _absolute(base: dict) -> dict:
    """Trials run in their own working directories: every input path made absolute."""
    from vqa.storage import is_uri

    def fix(p):
        return p if p is None or is_uri(p) else os.path.abspath(p)

    for d in base["datasets"].values():
        d["path"] = fix(d["path"])
    base["frames"]["root"] = fix(base["frames"]["root"])
    base["model"]["init_from"] = fix(base["model"]["init_from"])
    v = base.get("validation")
    if v and v["dataset"] not in base["datasets"]:
        v["dataset"] = fix(v["dataset"])
    return base


def prepare_search(cfg: TuneJobConfig) -> dict:
    """Everything that can fail on the user's input, before Ray starts: the training config,
    the space (every parameter's every value applied and validated), the data."""
    from vqa.pipelines.train import planned_steps, prepare

    train = load(TrainConfig, cfg.train)
    train.deepspeed.validate()
    base = _absolute(to_dict(train))
    space = load(SearchSpace, cfg.space)
    check_space(base, space, cfg.space)
    sample = trial_config(base, space, {})
    prep = prepare(sample)
    max_t = sum(planned_steps(sample, [t.num_rows for t, _ in prep["stages"]]))
    if cfg.asha.time_attr == "global_step" and cfg.asha.grace_period > max_t:
        raise ConfigError(f"asha.grace_period {cfg.asha.grace_period} exceeds the {max_t} steps a "
                          f"trial runs: ASHA could never stop one")
    return {"base": base, "space": space, "train": train, "max_t": max_t}


def concurrency(cfg: TuneJobConfig, train: TrainConfig) -> int:
    """Trials at once: as many as the cluster's CPUs (and GPUs) fit all their workers."""
    import ray

    total = ray.cluster_resources()
    s = train.scaling
    fits = [int(total.get("CPU", 0) // (s.workers * s.cpus_per_worker))]
    if s.gpus_per_worker > 0:
        fits.append(int(total.get("GPU", 0) // (s.workers * s.gpus_per_worker)))
    n = min(fits)
    if n < 1:
        raise ConfigError(f"a trial's {s.workers} workers need {s.workers * s.cpus_per_worker} "
                          f"CPUs / {s.workers * s.gpus_per_worker} GPUs; the cluster has "
                          f"{total.get('CPU', 0)} / {total.get('GPU', 0)}")
    if total.get(TRAIN_DRIVER, 0) < 1:
        raise ConfigError(f"the cluster has no '{TRAIN_DRIVER}' resource for trial drivers; start "
                          f"its head with --resources '{{\"{TRAIN_DRIVER}\": {n}}}'")
    return max(1, min(n, int(total[TRAIN_DRIVER]), cfg.max_concurrent or n, cfg.trials))


def build_frames(base: dict, space: SearchSpace) -> list[str]:
    """Decode each frame-count combination's shards once (trials then only read them)."""
    from vqa.pipelines.frames import ensure_frames
    from vqa.pipelines.train import prepare

    if not base["frames"]["root"]:
        return []
    keys = []
    for point in frame_points(space):
        prep = prepare(trial_config(base, space, point))
        tables = [t for t, _ in prep["stages"]] + [t for t in [prep["validation"]] if t is not None]
        for table in tables:
            key = ensure_frames(table, prep["model_cfg"], base["frames"]["root"])
        keys.append(key)
    return sorted(set(keys))


def _trial(params: dict, base: dict, space: SearchSpace, out: str, name: str, cwd: str) -> None:
    """One trial: the training job with these parameters, reporting to Tune. It runs in the
    directory the job was started from (`cwd`): Tune moves a trial into its own working
    directory, where the samples' relative clip paths name nothing (seen: every trial of the
    README's `vqa tune` failing with 'no usable sample'). Where that directory is not on the
    trial's node, the trial stays where Tune put it."""
    import ray.tune
    from ray.tune.integration.ray_train import TuneReportCallback

    from vqa.pipelines.train import run_train

    if os.path.isdir(cwd):
        os.chdir(cwd)
    trial_id = ray.tune.get_context().get_trial_id()
    cfg = trial_config(base, space, params, name=f"{name}-{trial_id}",
                       out=f"{out}/trials/{trial_id}", storage_path=None, register_as=None)
    cfg.frames.build = False  # decoded up front
    run_train(cfg, callbacks=[TuneReportCallback()])


def _domain(p):
    from ray import tune

    if p.choice is not None:
        return tune.choice(list(p.choice))
    if p.grid is not None:
        return tune.grid_search(list(p.grid))
    return tune.loguniform(*p.loguniform) if p.loguniform else tune.uniform(*p.uniform)


def release_placement_groups(before: set[str], timeout_s: float = 30.0) -> int:
    """Remove the placement groups made since `before` that are still held → how many. ASHA
    stops a trial by killing its actor, and the Train run inside it can leave its workers'
    placement group reserved: on a shared cluster those CPUs would stay taken after the search
    (seen: 1 of 2 CPUs, for good, after one stopped trial)."""
    import ray
    from ray._raylet import PlacementGroupID
    from ray.util.placement_group import PlacementGroup, remove_placement_group

    removed = 0
    deadline = time.monotonic() + timeout_s
    while True:
        held = [pg for pg, info in ray.util.placement_group_table().items()
                if pg not in before and info["state"] != "REMOVED"]
        for pg in held:
            remove_placement_group(PlacementGroup(PlacementGroupID(bytes.fromhex(pg))))
            removed += 1
        if not held or time.monotonic() > deadline:
            return removed
        time.sleep(1.0)  # a dying trial's controller may still be making one


def run_search(cfg: TuneJobConfig, prep: dict | None = None) -> dict:
    import mlflow
    from ray import tune
    from ray.air.integrations.mlflow import MLflowLoggerCallback
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.basic_variant import BasicVariantGenerator

    from vqa.tracking import tracking_uri

    start = time.perf_counter()
    prep = prep or prepare_search(cfg)
    base, space = prep["base"], prep["space"]
    out = Path(cfg.out).resolve()
    keys = build_frames(base, space)
    n = concurrency(cfg, prep["train"])
    parent = mlflow.active_run()
    mlflow_cb = MLflowLoggerCallback(
        tracking_uri=tracking_uri(), experiment_name=EXPERIMENT, save_artifact=False,
        tags={"mlflow.parentRunId": parent.info.run_id} if parent else {})
    trainable = tune.with_resources(
        tune.with_parameters(_trial, base=base, space=space, out=str(out), name=cfg.name,
                            cwd=os.getcwd()),
        {TRAIN_DRIVER: 1})
    a = cfg.asha
    # one past the planned steps: ASHA's stop at max_t would kill a trial at its last report,
    # before run_train writes its model
    max_t = max(prep["max_t"], a.grace_period) + 1
    tuner = tune.Tuner(
        trainable, param_space={k: _domain(p) for k, p in space.params.items()},
        tune_config=tune.TuneConfig(
            metric=space.metric, mode=space.mode, num_samples=cfg.trials,
            # the generator's own limit: Tune ignores max_concurrent_trials for one passed in
            search_alg=BasicVariantGenerator(random_state=cfg.seed, max_concurrent=n),
            scheduler=ASHAScheduler(time_attr=a.time_attr, grace_period=a.grace_period,
                                    reduction_factor=a.reduction_factor,
                                    max_t=max_t)),
        run_config=tune.RunConfig(name=cfg.name, storage_path=str(out / "ray"),
                                  callbacks=[mlflow_cb]))
    from ray.util import placement_group_table

    before = set(placement_group_table())
    try:
        grid = tuner.fit()
    finally:
        release_placement_groups(before)
    from vqa.pipelines.tune_report import finish

    return finish(cfg, prep, grid, {"max_concurrent": n, "frame_keys": len(keys),
                                     "elapsed_s": time.perf_counter() - start})

"""`vqa train`: the driver around one Ray Train V2 `TorchTrainer` that runs every stage of the
strategy in order; MLflow gets a parent run for the job and a child run per stage; the final
model is logged (and registered) so that `vqa score --model models:/NAME/VERSION` loads it."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

from vqa.config import to_dict
from vqa.errors import ConfigError
from vqa.train.config import TrainConfig
from vqa.train.data import stage_samples
from vqa.model.attention import check_attention
from vqa.model.sources import check_sources
from vqa.train.model_config import resolve_model
from vqa.train.optim import stage_steps
from vqa.train.state import MODEL_DIR, TrainState, check_compatible, latest_checkpoint
from vqa.train.validation import DATASET as VALIDATION
from vqa.train.validation import validation_samples

log = logging.getLogger("vqa.train")


def memory_plan(cfg: TrainConfig, gpu_mem: float, seconds: float = 10.0) -> list:
    """`vqa.train.plan.plan` for a job config: its model resolved and its sources checked."""
    from vqa.train.plan import plan

    model_cfg, _ = resolve_model(cfg.model)
    check_sources(model_cfg)
    return plan(cfg, model_cfg, gpu_mem=gpu_mem, seconds=seconds)


def prepare(cfg: TrainConfig) -> dict:
    """Everything that can fail on the user's input, checked before Ray starts."""
    model_cfg, init_from = resolve_model(cfg.model)
    check_sources(model_cfg)
    check_attention(model_cfg.attn_implementation, cfg.scaling.gpus_per_worker > 0)
    stages = [stage_samples(cfg, s) for s in cfg.stages]
    storage = Path(cfg.storage_path or Path(cfg.out) / "ray").resolve()
    previous = latest_checkpoint(storage / cfg.name)
    if previous is not None:
        check_compatible(TrainState.read(previous).model_config, to_dict(model_cfg),
                         f"checkpoint {previous}")
    return {"model_cfg": model_cfg, "init_from": init_from, "stages": stages,
            "storage": storage, "resume_from": previous, "validation": validation_samples(cfg)}


def shuffled(table, seed: int):
    """Shuffled on the driver: a Ray Data shuffle would need CPUs that the Train workers hold
    (on a 2-CPU machine it never gets them)."""
    import numpy as np

    return table.take(np.random.default_rng(seed).permutation(table.num_rows))


def stage_datasets(cfg: TrainConfig, prep: dict) -> tuple[dict, list[int], dict]:
    """Ray datasets, one per stage: frame-shard rows (workers never decode) or sample rows."""
    import ray.data

    datasets, sizes, counts = {}, [], {}
    for i, (stage, (table, c)) in enumerate(zip(cfg.stages, prep["stages"])):
        if cfg.frames.root:
            from vqa.pipelines.frames import ensure_frames, training_table

            key = ensure_frames(table, prep["model_cfg"], cfg.frames.root, cfg.frames.build)
            table, joined = training_table(table, cfg.frames.root, key)
            c = {**c, "no_frames": joined["dropped"]}
            if table.num_rows == 0:
                raise ConfigError(f"stages.{stage.name}: no sample has decodable frames "
                                  f"({joined})")
        datasets[f"stage{i}"] = ray.data.from_arrow(shuffled(table, cfg.seed + i))
        sizes.append(table.num_rows)
        counts.update({f"{stage.name}.{k}": v for k, v in c.items()})
    held_out = prep["validation"]
    if held_out is not None:
        if cfg.frames.root:
            from vqa.pipelines.frames import ensure_frames, training_table

            key = ensure_frames(held_out, prep["model_cfg"], cfg.frames.root, cfg.frames.build)
            held_out, joined = training_table(held_out, cfg.frames.root, key)
            counts["validation.no_frames"] = joined["dropped"]  # undecodable: never rated
        datasets[VALIDATION] = ray.data.from_arrow(held_out)
        counts["validation.videos"] = held_out.num_rows
    return datasets, sizes, counts


def _stage_runs(cfg: TrainConfig, parent) -> list[str]:
    from mlflow import MlflowClient

    from vqa.tracking import tracking_uri

    client = MlflowClient(tracking_uri())
    ids = []
    for i, stage in enumerate(cfg.stages):
        run = client.create_run(parent.info.experiment_id, run_name=f"{cfg.name}/{stage.name}",
                                tags={"mlflow.parentRunId": parent.info.run_id,
                                      "vqa.stage": stage.name, "vqa.stage_index": str(i)})
        client.log_batch(run.info.run_id, params=_stage_params(stage))
        ids.append(run.info.run_id)
    return ids


def _stage_params(stage):
    from mlflow.entities import Param

    from vqa.tracking import _flatten

    flat = _flatten(to_dict(stage))
    return [Param(k, str(v)[:6000]) for k, v in flat.items()]


def trainer_for(cfg: TrainConfig, job: dict, datasets: dict, storage: Path,
                callbacks: list | None = None):
    import ray.train
    from ray.train.torch import TorchConfig, TorchTrainer

    from vqa.train.recipe import train_worker

    use_gpu = cfg.scaling.gpus_per_worker > 0
    res = {"CPU": cfg.scaling.cpus_per_worker}
    if use_gpu:
        res["GPU"] = cfg.scaling.gpus_per_worker
    return TorchTrainer(
        train_worker, train_loop_config=job,
        scaling_config=ray.train.ScalingConfig(num_workers=cfg.scaling.workers, use_gpu=use_gpu,
                                               resources_per_worker=res),
        run_config=ray.train.RunConfig(
            name=cfg.name, storage_path=str(storage),
            failure_config=ray.train.FailureConfig(max_failures=cfg.max_failures),
            checkpoint_config=ray.train.CheckpointConfig(num_to_keep=cfg.checkpoint.keep),
            callbacks=callbacks),
        torch_config=TorchConfig(backend="nccl" if use_gpu else "gloo"),
        datasets=datasets,  # validation not split: an equal split would drop its remainder
        dataset_config=ray.train.DataConfig(
            datasets_to_split=[k for k in datasets if k != VALIDATION]))


def run_train(cfg: TrainConfig, prep: dict | None = None, callbacks: list | None = None) -> dict:
    """Train every stage; write OUT/model (save_pretrained) and log + register it.
    `callbacks`: Ray Train `UserCallback`s (a Tune trial passes `TuneReportCallback`)."""
    import mlflow

    from vqa.model.registry import log_model
    from vqa.tracking import tracking_uri

    start = time.perf_counter()
    prep = prep or prepare(cfg)
    datasets, sizes, counts = stage_datasets(cfg, prep)
    parent = mlflow.active_run()
    runs = _stage_runs(cfg, parent) if parent is not None else []
    if parent is not None:
        _log_plan(cfg, prep["model_cfg"])
    job = {"cfg": cfg, "model_cfg": prep["model_cfg"], "stage_sizes": sizes,
           "stage_runs": runs, "tracking_uri": tracking_uri(), "init_from": prep["init_from"]}
    from mlflow import MlflowClient

    status = "FAILED"
    try:
        result = trainer_for(cfg, job, datasets, prep["storage"], callbacks).fit()
        status = "FINISHED"
    finally:
        for rid in runs:  # a crashed run's stage runs say so (the re-run opens new ones)
            MlflowClient(tracking_uri()).set_terminated(rid, status)
    with result.checkpoint.as_directory() as d:
        state = TrainState.read(Path(d))
        out = Path(cfg.out) / MODEL_DIR
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(Path(d) / MODEL_DIR, out)
    _note(out / "config.yaml", f"trained by vqa train '{cfg.name}' ({cfg.strategy or 'custom'}: "
                               f"{', '.join(state.stages_done)}; {state.global_step} steps)")
    summary = {"name": cfg.name, "strategy": cfg.strategy or "-",
               "stages": ", ".join(state.stages_done), "global_steps": state.global_step,
               "samples_seen": state.samples_seen, "resumes": state.resumes,
               "resumed_from": str(prep["resume_from"] or "-"),
               "workers": cfg.scaling.workers, "zero_stage": cfg.deepspeed.zero_stage,
               **{f"samples.{s.name}": n for s, n in zip(cfg.stages, sizes)}, **counts,
               "planned_steps": sum(planned_steps(cfg, sizes)),
               "final_loss": result.metrics.get("loss"),
               "samples_per_s": result.metrics.get("samples_per_s"), "model": str(out),
               **{k: result.metrics[k] for k in ("memory_peak_gib", "memory_start_gib")
                  if k in result.metrics},
               **{k: v for k, v in result.metrics.items() if k.startswith("val_")}}
    if parent is not None:
        summary["model_uri"] = log_model(out, cfg.register_as)
    summary["elapsed_s"] = round(time.perf_counter() - start, 1)
    (Path(cfg.out) / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _log_plan(cfg: TrainConfig, model_cfg) -> None:
    """The memory plan beside the run (`plan.json`, and its per-GPU totals as metrics), so a
    measured peak reads against its prediction."""
    import mlflow

    from vqa.train.plan import GiB, as_rows, plan

    rows = as_rows(plan(cfg, model_cfg, gpu_mem=80 * GiB))
    mlflow.log_dict(rows, "plan.json")
    mlflow.log_metrics({f"plan.{r['stage']}.gpu_gib.total": r["gpu_gib.total"] for r in rows})


def _note(config_file: Path, note: str) -> None:
    """Say on the saved model what made it (`vqa score` prints it under its table)."""
    import yaml

    data = yaml.safe_load(config_file.read_text())
    data["note"] = note
    config_file.write_text(yaml.safe_dump(data, sort_keys=False))


def planned_steps(cfg: TrainConfig, sizes: list[int]) -> list[int]:
    return [stage_steps(s.optim, n, cfg.scaling.workers)[0] for s, n in zip(cfg.stages, sizes)]

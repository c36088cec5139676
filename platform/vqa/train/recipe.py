"""The training recipe, run by every Ray Train worker (torchtune style: setup, load_checkpoint,
train, save_checkpoint). Stages run in order inside one Ray Train run, so a crash anywhere —
mid-stage of a complementary run included — resumes from the latest checkpoint: the step count
continues and no finished stage is repeated."""

from __future__ import annotations

import gc
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from vqa.model.batch import loss_on, prepare_sample
from vqa.model.lora import FLAG
from vqa.train.config import StageConfig, TrainConfig
from vqa.train.data import step_batches
from vqa.train.optim import deepspeed_config, optimizer_for, scheduler_for, stage_steps
from vqa.train.state import DS_DIR, DS_TAG, MODEL_DIR, TrainState
from vqa.train.validation import Validator


def train_worker(job: dict) -> None:
    """Ray Train's `train_loop_per_worker`; `job` is built by `vqa.pipelines.train`."""
    _quiet_report_lines()
    Recipe(job).run()


def _quiet_report_lines() -> None:
    """Ray Train logs every `report` of every worker at INFO ("Reporting training result N:
    TrainingReport(...)") under a logger named by its file path, which its LoggingConfig level
    does not reach: on the driver they drowned the progress lines. The metrics are in MLflow."""
    import logging

    try:
        from ray.train.v2._internal.execution import context
    except ImportError:  # another Ray layout: leave its logging as it is
        return
    logging.getLogger(context.__file__).setLevel(logging.WARNING)


class Recipe:
    def __init__(self, job: dict):
        self.cfg: TrainConfig = job["cfg"]
        self.model_cfg = job["model_cfg"]
        self.stage_sizes: list[int] = job["stage_sizes"]
        self.runs: list[str | None] = job.get("stage_runs") or [None] * len(self.cfg.stages)
        self.tracking_uri: str | None = job.get("tracking_uri")
        self.init_from: str | None = job.get("init_from")

    # ---- setup ----------------------------------------------------------------------------
    def setup(self) -> None:
        import os
        import warnings

        import ray.train
        import ray.train.torch

        ctx = ray.train.get_context()
        self.rank, self.world = ctx.get_world_rank(), ctx.get_world_size()
        self.device = ray.train.torch.get_device()
        if self.device.type == "cpu":  # said, not guessed: DeepSpeed warns when it falls back
            os.environ.setdefault("DS_ACCELERATOR", "cpu")
        # DeepSpeed's own collectives call a torch API torch deprecates: not ours to act on
        warnings.filterwarnings("ignore", category=FutureWarning,
                                message=r".*all_gather_into_tensor.* is deprecated")
        import deepspeed

        deepspeed.init_distributed(dist_backend=None, auto_mpi_discovery=False)
        self.memory_start = memory_now(self.device)  # before the model: what the plan adds to
        self.zero3 = None
        if self.cfg.deepspeed.zero_stage == 3:  # partitioned building from here on
            from vqa.train.zero3 import Zero3

            first = self.cfg.stages[0].optim
            self.zero3 = Zero3(deepspeed_config(self.cfg.deepspeed, first, self.world))
        self.validator = Validator(self.cfg.validation, self.rank, self.world,
                                   self.frames_of, lockstep=self.zero3 is not None)
        self.mlflow = None
        if self.rank == 0 and self.tracking_uri and any(self.runs):
            from mlflow import MlflowClient

            self.mlflow = MlflowClient(self.tracking_uri)

    def load_checkpoint(self) -> tuple[TrainState, Path | None]:
        import ray.train

        ckpt = ray.train.get_checkpoint()
        if ckpt is None:
            return TrainState(model_config=self.model_cfg_dict()), None
        local = Path(tempfile.mkdtemp(prefix="vqa-resume-"))
        with ckpt.as_directory() as d:
            shutil.copytree(d, local, dirs_exist_ok=True)
        state = TrainState.read(local)
        state.resumes += 1
        self.log(f"resuming at stage {state.stage} step {state.stage_step} "
                 f"(global step {state.global_step}) from {ckpt.path}")
        return state, local

    def model_cfg_dict(self) -> dict:
        from vqa.config import to_dict

        return to_dict(self.model_cfg)

    def build_model(self, state: TrainState, resume_dir: Path | None):
        from vqa.model.presets import build_model
        from vqa.model.vqa_model import VQAModel

        torch.manual_seed(self.cfg.model.seed)  # the same init on every rank
        source = None
        if resume_dir is not None and (resume_dir / MODEL_DIR).exists() and state.stage_step == 0:
            source = resume_dir / MODEL_DIR  # a stage boundary
        elif resume_dir is None and self.init_from:
            source = self.init_from
        if source is not None:
            from vqa.train.zero3 import load_partitioned

            model = VQAModel.from_pretrained(source, load_weights=load_partitioned
                                             if self.zero3 is not None else None)
        else:  # fresh, or mid-stage: DeepSpeed restores the weights
            model = build_model(replace(self.model_cfg, dtype=TRAIN_DTYPES[
                self.cfg.stages[0].optim.precision]))
        model.enable_activation_checkpointing(self.cfg.activation_checkpointing)
        return model

    # ---- train ----------------------------------------------------------------------------
    def run(self) -> None:
        self.setup()
        state, resume_dir = self.load_checkpoint()
        model = self.build_model(state, resume_dir).to(self.device)
        reset_memory_peak(self.device)
        for i in range(state.stage, len(self.cfg.stages)):
            mid = resume_dir if (i == state.stage and state.stage_step > 0) else None
            model = self.train_stage(i, model, state, mid)

    def train_stage(self, i: int, model, state: TrainState, resume_dir: Path | None):
        """One stage, ending with its checkpoint (the model folder the next stage starts
        from) written while the engine still holds the weights ZeRO-3 must gather."""
        import deepspeed
        import ray.train

        stage = self.cfg.stages[i]
        self.apply_stage_flags(model, stage)
        opt = stage.optim
        total, per_epoch = stage_steps(opt, self.stage_sizes[i], self.world)
        in_precision(model, opt.precision)
        optimizer = optimizer_for(model, opt)
        scheduler = scheduler_for(optimizer, opt, total)
        engine, _, _, _ = deepspeed.initialize(
            model=model, optimizer=optimizer, lr_scheduler=scheduler,
            config=deepspeed_config(self.cfg.deepspeed, opt, self.world),
            dist_init_required=False)
        if resume_dir is not None:
            engine.load_checkpoint(str(resume_dir / DS_DIR), tag=DS_TAG,
                                   load_optimizer_states=True, load_lr_scheduler_states=True)
        shard = ray.train.get_dataset_shard(f"stage{i}")
        per_step = opt.batch_size * opt.grad_accum
        skipped: dict[str, int] = {}
        steps = step_batches(lambda ep: shard.iter_rows(), per_epoch, per_step,
                             state.stage_step, lambda r: self.frames_of(model, r), skipped,
                             patience=max(50, 4 * per_step))
        window = {"loss": 0.0, "lm_loss": 0.0, "score_loss": 0.0, "n": 0, "tokens": 0,
                  "samples": 0}
        t_window = t_stage = time.perf_counter()
        start_step = state.stage_step
        model.train()
        while state.stage_step < total:
            step_samples = next(steps)
            for a in range(opt.grad_accum):
                batch = step_samples[a * opt.batch_size:(a + 1) * opt.batch_size]
                prepared = [prepare_sample(model, s, video=f) for s, f in batch]
                out = loss_on(model, prepared)
                engine.backward(out["loss"])
                if a == opt.grad_accum - 1 and self.cfg.deepspeed.zero_stage == 0:
                    self.grad_norm = _grad_norm(model)  # ZeRO-0 does not report it
                engine.step()
                window["n"] += 1
                window["samples"] += len(batch)
                window["tokens"] += sum(p["embeds"].shape[0] for p in prepared)
                for k in ("loss", "lm_loss", "score_loss"):
                    window[k] += out[k].detach().item() if k in out else 0.0
            state.stage_step += 1
            state.global_step += 1
            state.samples_seen += per_step * self.world
            last = state.stage_step == total
            every = self.cfg.checkpoint.every_steps
            if state.stage_step % self.cfg.log_every == 0 or last or \
                    (every and state.stage_step % every == 0) or \
                    self.validator.due(state.global_step, last):
                elapsed = time.perf_counter() - t_window
                metrics = self.window_metrics(window, elapsed, engine, scheduler, skipped, state)
                metrics.update(self.validator.metrics(model, state.global_step, last))
                self.progress(stage, state, total, metrics, time.perf_counter() - t_stage,
                              state.stage_step - start_step)
                self.log_mlflow(i, metrics, state.global_step)
                window = dict.fromkeys(window, 0) | {"loss": 0.0, "lm_loss": 0.0,
                                                     "score_loss": 0.0}
                t_window = time.perf_counter()
                if (every and state.stage_step % every == 0) and not last:
                    self.save_checkpoint(engine, state, metrics, shards=True)
                elif not last:
                    ray.train.report(metrics)
        state.stage, state.stage_step = i + 1, 0
        state.stages_done.append(stage.name)
        self.save_checkpoint(engine, state, {**metrics, "stages_done": i + 1}, shards=False)
        model = engine.module
        del engine, optimizer, scheduler
        gc.collect()
        return model

    def frames_of(self, model, row: dict) -> dict:
        """Pre-decoded frame shard columns when the row has them, else decode the clip here."""
        if row.get("keyframes") is not None:
            from vqa.data.frame_store import decode_row

            return decode_row(row)
        if row.get("status") not in (None, "ok"):
            raise ValueError(f"{row['video']}: {row.get('error') or 'no frames'}")
        from vqa.model.inference import sample_video

        return sample_video(model, row["video"])

    def apply_stage_flags(self, model, stage: StageConfig) -> None:
        for group, on in stage.trainable.items():
            setattr(model.cfg, FLAG[group], on)
        model.apply_trainable()

    # ---- reporting ------------------------------------------------------------------------
    def window_metrics(self, w, elapsed, engine, scheduler, skipped, state) -> dict:
        n = max(1, w["n"])
        m = {"loss": w["loss"] / n, "lm_loss": w["lm_loss"] / n,
             "samples_per_s": w["samples"] * self.world / max(elapsed, 1e-9),
             "tokens_per_s": w["tokens"] * self.world / max(elapsed, 1e-9),
             "lr": scheduler.get_last_lr()[0], "stage": state.stage,
             "stage_step": state.stage_step, "global_step": state.global_step,
             "skipped": sum(skipped.values())}
        if w["score_loss"]:
            m["score_loss"] = w["score_loss"] / n
        norm = engine.get_global_grad_norm()
        norm = getattr(self, "grad_norm", None) if norm is None else norm
        if norm is not None:
            m["grad_norm"] = float(norm)
        for g, lr in zip(engine.optimizer.param_groups, scheduler.get_last_lr()):
            m[f"lr/{g.get('name', 'group')}"] = lr
        m["memory_peak_gib"] = memory_peak(self.device) / 2**30
        m["memory_start_gib"] = self.memory_start / 2**30
        return m

    def progress(self, stage, state, total, m, elapsed, done_here) -> None:
        eta = elapsed / max(1, done_here) * (total - state.stage_step)
        self.log(f"[{stage.name}] step {state.stage_step}/{total} loss {m['loss']:.4f} "
                 f"{m['samples_per_s']:.1f} samples/s ETA {eta:.0f}s"
                 + (f" skipped {m['skipped']}" if m["skipped"] else "")
                 + (f" val SRCC {m['val_srcc']:.3f}" if "val_srcc" in m else ""))

    def log(self, text: str) -> None:
        """Straight to the process's stdout: Ray Train patches `print` into its logger and,
        when something has wrapped sys.stdout, tees to it as well (every line twice)."""
        if self.rank == 0:
            sys.__stdout__.write(f"vqa train: {text}\n")
            sys.__stdout__.flush()

    def log_mlflow(self, i: int, metrics: dict, step: int) -> None:
        if self.mlflow is None or not self.runs[i]:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.mlflow.log_batch(self.runs[i], metrics=[
            Metric(k.replace("/", "."), float(v), now, step) for k, v in metrics.items()])

    def save_checkpoint(self, engine, state: TrainState, metrics: dict, shards: bool) -> None:
        """Every rank writes its DeepSpeed shards (when `shards`), rank 0 the state and the
        `save_pretrained` folder (under ZeRO-3 from the weights every rank helps gather); Ray
        Train merges the ranks' folders into one checkpoint."""
        import ray.train
        from ray.train import Checkpoint

        from vqa.train.zero3 import full_state_dict

        with tempfile.TemporaryDirectory(prefix="vqa-ckpt-") as tmp:
            tmp = Path(tmp)
            if shards:
                engine.save_checkpoint(str(tmp / DS_DIR), tag=DS_TAG)
            weights = full_state_dict(engine) if self.zero3 is not None else None
            if self.rank == 0:
                state.write(tmp)
                engine.module.save_pretrained(tmp / MODEL_DIR, weights)
            wrote = self.rank == 0 or shards
            ray.train.report(metrics, checkpoint=Checkpoint.from_directory(str(tmp))
                             if wrote else None)


TRAIN_DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def in_precision(model, precision: str) -> None:
    """Every parameter in the stage's precision before DeepSpeed wraps the model: it casts a
    whole module itself except under ZeRO-3, whose partitions (built by transformers in the
    model's dtype) must share one dtype per group. Partitioned parameters are left as built;
    buffers (BatchNorm statistics) stay fp32."""
    dtype = getattr(torch, TRAIN_DTYPES[precision])
    for p in model.parameters():
        if p.is_floating_point() and p.dtype != dtype and not hasattr(p, "ds_id"):
            p.data = p.data.to(dtype)


def memory_now(device) -> int:
    """Bytes in use by this worker: allocated on its GPU, else its resident set."""
    if device.type == "cuda":
        return torch.cuda.memory_allocated(device)
    return _proc_status("VmRSS")


def memory_peak(device) -> int:
    """The most bytes this worker held since `reset_memory_peak`: the GPU allocator's peak,
    else the resident set's high-water mark (what the memory plan predicts, above
    `memory_start_gib`)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device)
    return _proc_status("VmHWM")


def reset_memory_peak(device) -> None:
    """Start the peak afresh once the model is built: loading a checkpoint holds its file's
    tensors for a moment (rank 0 reads every shard under ZeRO-3), which is not what training
    needs. On the CPU, memory freed since is handed back to the system first (glibc keeps it
    otherwise) and the kernel's high-water mark is reset (Linux clear_refs 5)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # not Linux / glibc: the peak then counts from the start
        pass


def _proc_status(key: str) -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:  # not Linux
        pass
    return 0


def _grad_norm(model) -> float:
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    return float(torch.nn.utils.get_total_norm(grads)) if grads else 0.0

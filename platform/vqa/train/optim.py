"""Optimiser, schedule and the DeepSpeed config for one stage, from its `OptimConfig`.

AdamW over the model's module groups (per-group lr, e.g. OmniVQA's vision tower at 2e-6), the
schedule from transformers (cosine / linear with warm-up), handed to DeepSpeed as client objects
so the same code runs ZeRO 0–3 on CPU (gloo) and GPU (NCCL)."""

from __future__ import annotations

import math

import torch

from vqa.train.config import DeepSpeedConfig, OptimConfig


def optimizer_for(model, opt: OptimConfig) -> torch.optim.Optimizer:
    groups = model.param_groups(opt.lr, opt.group_lr, opt.weight_decay)
    if not groups:
        raise ValueError("no trainable parameters: every module group is frozen")
    return torch.optim.AdamW(groups, lr=opt.lr, betas=tuple(opt.betas))


def scheduler_for(optimizer, opt: OptimConfig, total_steps: int):
    from transformers import get_scheduler

    name = {"cosine": "cosine", "linear": "linear", "constant": "constant_with_warmup"}
    return get_scheduler(name[opt.scheduler], optimizer,
                         num_warmup_steps=math.ceil(opt.warmup_ratio * total_steps),
                         num_training_steps=total_steps)


def deepspeed_config(ds: DeepSpeedConfig, opt: OptimConfig, world_size: int) -> dict:
    """The generated DeepSpeed JSON (ds.extra is merged on top, one level deep)."""
    zero: dict = {"stage": ds.zero_stage}
    if ds.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu"}
    if ds.offload_params:
        zero["offload_param"] = {"device": "cpu"}
    if ds.zero_stage == 3:
        zero["stage3_gather_16bit_weights_on_model_save"] = True
    cfg = {
        "train_micro_batch_size_per_gpu": opt.batch_size,
        "gradient_accumulation_steps": opt.grad_accum,
        "train_batch_size": opt.batch_size * opt.grad_accum * world_size,
        "gradient_clipping": opt.max_grad_norm,
        "zero_optimization": zero,
        "zero_allow_untested_optimizer": True,  # torch AdamW: the same on CPU and GPU
        "bf16": {"enabled": opt.precision == "bf16"},
        "fp16": {"enabled": opt.precision == "fp16"},
        "steps_per_print": 10**9,  # progress is ours (rank 0), not DeepSpeed's log lines
        "wall_clock_breakdown": False,
    }
    for key, value in ds.extra.items():
        cfg[key] = {**cfg[key], **value} if isinstance(value, dict) and \
            isinstance(cfg.get(key), dict) else value
    return cfg


def stage_steps(opt: OptimConfig, n_samples: int, world_size: int) -> tuple[int, int]:
    """(optimizer steps, steps per epoch): `max_steps` wins; else epochs over each worker's
    equal share of the samples (Ray Data splits them equally, the remainder dropped)."""
    per_step = opt.batch_size * opt.grad_accum
    per_epoch = max(1, (n_samples // world_size) // per_step)
    total = opt.max_steps if opt.max_steps is not None else max(1, round(opt.epochs * per_epoch))
    return total, per_epoch

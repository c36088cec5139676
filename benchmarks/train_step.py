"""A shipped job config's training step on one device, at its real architecture's shape with
random weights (no checkpoint needed): the config's own batch, frames, precision and activation
checkpointing, 10 steps after a warm-up; step time, tokens/s, peak memory and MFU beside the
memory plan's prediction for the same setting (`vqa train --plan` with one worker, no ZeRO).

    python benchmarks/train_step.py --config configs/cluster-omnivqa-7b.yaml --trainable projector
    python benchmarks/train_step.py --config configs/cluster-finevq-8b.yaml
    python benchmarks/train_step.py --config configs/local-direct.yaml --steps 2     # CPU smoke

A full fine-tune of 8 B parameters needs ~16 B each of states (2 weights, 2 gradients, 12
optimizer) — 128 GB — which one GPU does not hold: ZeRO-3 spreads it over the job's 8 workers.
`--trainable projector` times the frozen-backbone step where that does not fit (the LLM's and
tower's activations and backward pass are still computed: the projectors sit before them).
The model is trained through the same `prepare_sample` / `loss_on` path as `vqa train`, in the
config's precision (autocast-free: the weights are cast, as DeepSpeed does), with AdamW, on a
synthetic 10 s clip sampled as the preset asks. MFU = 6 · parameters · tokens / step time / peak
FLOP/s (`--peak-tflops`, default 989: H100/H200 bf16 dense), an upper bound on useful work.
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import numpy as np
import torch

from vqa.config import load
from vqa.model import build_model
from vqa.model.batch import loss_on, prepare_sample
from vqa.model.presets import ARCHITECTURES, architecture
from vqa.train.config import TrainConfig
from vqa.train.model_config import resolve_model
from vqa.train.plan import GiB, plan
from vqa.video import Sampled, VideoInfo

SAMPLE = {"video": None, "mos": 70.0, "conversations": [
    {"from": "human", "value": "<video>\nHow would you rate the quality of this video?"},
    {"from": "gpt", "value": "The quality of this video is good."}]}


def synthetic_clip(cfg, seconds: float = 10.0, fps: float = 25.0) -> dict:
    n = int(seconds * fps)
    info = VideoInfo(frames=n, fps=fps, duration=seconds, width=1280, height=720, codec="raw")
    f = cfg.frames
    k = f.uniform or min(int(seconds), f.max_keyframes or 10**6)
    size = f.fragments * f.fragment_size if f.fragments else f.keyframe_size
    kf = np.random.randint(0, 255, (k, size, size, 3), dtype=np.uint8)
    out = {"keyframes": Sampled(kf, np.arange(k) * (n // k), info)}
    if cfg.motion.enabled:
        m = n - n % (f.motion_multiple_of or 1)
        out["motion"] = Sampled(np.random.randint(0, 255, (m, f.motion_size, f.motion_size, 3),
                                                  dtype=np.uint8), np.arange(m), info)
    return out


def one_device(cfg: TrainConfig, trainable: str) -> TrainConfig:
    """The config as one worker runs it here: no ZeRO, the first stage, optionally frozen."""
    cfg = copy.deepcopy(cfg)
    cfg.scaling.workers, cfg.deepspeed.zero_stage = 1, 0
    cfg.stages = cfg.stages[:1]
    if trainable == "projector":
        cfg.stages[0].trainable = {"vision": False, "language": False, "motion": False}
    return cfg


def model_config(cfg: TrainConfig):
    """The job's model at its architecture's shape: `pretrained:` paths replaced by the preset's
    architecture (random weights), every other override kept."""
    preset = cfg.model.preset
    if preset in ARCHITECTURES:
        model_cfg = architecture(preset)
        over = copy.deepcopy(cfg.model.overrides)
        for part in ("vision", "llm", "motion"):
            over.get(part, {}).pop("pretrained", None)
        over.pop("tokenizer", None)
        from vqa.config import deep_merge, from_dict, to_dict
        from vqa.model.config import VQAConfig

        return from_dict(VQAConfig, deep_merge(to_dict(model_cfg), over))
    return resolve_model(cfg.model)[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="configs/cluster-omnivqa-7b.yaml")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--trainable", choices=["config", "projector"], default="config")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    ap.add_argument("--gpu-mem", type=float, default=80.0, help="GiB, for the plan's verdict")
    a = ap.parse_args(argv)
    cfg = one_device(load(TrainConfig, a.config, {}), a.trainable)
    stage = cfg.stages[0]
    mcfg = model_config(cfg)
    predicted = plan(cfg, mcfg, gpu_mem=a.gpu_mem * GiB)[0]
    torch.manual_seed(0)
    model = build_model(mcfg, device=a.device)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[
        stage.optim.precision]
    model.to(dtype)
    for group, on in stage.trainable.items():
        from vqa.model.lora import FLAG

        setattr(model.cfg, FLAG[group], on)
    model.apply_trainable()
    model.enable_activation_checkpointing(cfg.activation_checkpointing)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    clip = synthetic_clip(model.cfg)
    model.train()
    cuda = a.device.startswith("cuda")
    times, tokens = [], 0
    for step in range(a.steps + 1):  # the first step warms up (allocator, kernels)
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        prepared = [prepare_sample(model, SAMPLE, video=clip)
                    for _ in range(stage.optim.batch_size)]
        loss_on(model, prepared)["loss"].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        if step:
            times.append(time.perf_counter() - t0)
        tokens = sum(p["embeds"].shape[0] for p in prepared)
    step_s = float(np.median(times))
    n_params = sum(p.numel() for p in model.parameters())
    out = {"config": a.config, "device": a.device, "batch": stage.optim.batch_size,
           "precision": stage.optim.precision, "trainable": a.trainable,
           "checkpointing": cfg.activation_checkpointing, "tokens_per_step": tokens,
           "parameters": n_params, "step_s": round(step_s, 4),
           "tokens_per_s": round(tokens / step_s, 1),
           "mfu": round(6 * n_params * tokens / step_s / (a.peak_tflops * 1e12), 4)
           if cuda else None,
           "peak_memory_gib": round(torch.cuda.max_memory_allocated() / GiB, 2) if cuda
           else None,
           "plan_gib": {k: round(v / GiB, 2) for k, v in predicted.per_gpu.items()} |
           {"total": round(predicted.total / GiB, 2), "fits": predicted.fits}}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""One real-size training step (random weights, no checkpoint needed): step time, peak memory
and MFU of the training forward + backward + AdamW step — for a GPU machine.

    python benchmarks/train_step.py --preset omnivqa-7b --device cuda --steps 5    # H100/H200
    python benchmarks/train_step.py --preset tiny                                  # CPU smoke

The model is `vqa.model.architecture(preset)` (the real shapes, random init) in bf16 on one
device, trained through the same `prepare_sample` / `loss_on` path as `vqa train`, on a synthetic
10 s clip sampled as the preset asks. MFU = 6 · trainable-and-frozen parameters touched · tokens
/ step time / peak FLOP/s (`--peak-tflops`, default 989 for H100/H200 bf16 dense) — the usual
transformer estimate, an upper bound on useful work. Full fine-tuning of a 7B model on one GPU
needs ~16 bytes/parameter (bf16 weights + grads, fp32 Adam moments): use `--trainable
projector` to time the frozen-backbone recipe where that does not fit.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from vqa.model import architecture, build_model
from vqa.model.batch import loss_on, prepare_sample
from vqa.video import Sampled, VideoInfo


def synthetic_clip(cfg, seconds: float = 10.0, fps: float = 25.0) -> dict:
    n = int(seconds * fps)
    info = VideoInfo(frames=n, fps=fps, duration=seconds, width=1280, height=720, codec="raw")
    f = cfg.frames
    k = f.uniform or min(int(seconds), f.max_keyframes or 10**6)
    kf = np.random.randint(0, 255, (k, f.keyframe_size, f.keyframe_size, 3), dtype=np.uint8)
    out = {"keyframes": Sampled(kf, np.arange(k), info)}
    if cfg.motion.enabled:
        m = n - n % (f.motion_multiple_of or 1)
        out["motion"] = Sampled(np.random.randint(0, 255, (m, f.motion_size, f.motion_size, 3),
                                                  dtype=np.uint8), np.arange(m), info)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--trainable", choices=["all", "projector"], default="all")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    a = ap.parse_args(argv)
    cfg = architecture(a.preset) if a.preset != "tiny" else None
    model = build_model(cfg or "tiny", device=a.device)
    if a.device != "cpu" and a.preset != "tiny":
        model.to(torch.bfloat16)
    if a.trainable == "projector":
        for g, flag in (("vision", "vision_trainable"), ("language", "llm_trainable")):
            setattr(model.cfg, flag, False)
        model.apply_trainable()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    clip = synthetic_clip(model.cfg)
    sample = {"video": None, "conversations": [
        {"from": "human", "value": "<video>\nHow would you rate the quality of this video?"},
        {"from": "gpt", "value": "The quality of this video is good."}], "mos": 70.0}
    model.train()
    times, tokens = [], 0
    for step in range(a.steps + 1):  # the first step warms up (allocator, kernels)
        if a.device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        prepared = [prepare_sample(model, sample, video=clip) for _ in range(a.batch)]
        loss = loss_on(model, prepared)["loss"]
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if a.device.startswith("cuda"):
            torch.cuda.synchronize()
        if step:
            times.append(time.perf_counter() - t0)
        tokens = sum(p["embeds"].shape[0] for p in prepared)
    step_s = float(np.median(times))
    n_params = sum(p.numel() for p in model.parameters())
    flops = 6 * n_params * tokens
    out = {"preset": a.preset, "device": a.device, "batch": a.batch, "tokens_per_step": tokens,
           "parameters": n_params, "step_s": round(step_s, 4),
           "tokens_per_s": round(tokens / step_s, 1),
           "mfu": round(flops / step_s / (a.peak_tflops * 1e12), 4) if a.device != "cpu"
           else None,
           "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)
           if a.device.startswith("cuda") else None}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

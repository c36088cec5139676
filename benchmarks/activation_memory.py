"""Activation memory with and without activation checkpointing, measured as the bytes autograd
keeps for the backward pass (every tensor saved during one training forward, each storage once,
parameters excluded), beside the memory plan's activation figure (`vqa.train.plan`).

    python benchmarks/activation_memory.py                       # Qwen2-0.5B + SigLIP-base shape
    python benchmarks/activation_memory.py --keyframes 4 --precision fp32

The model is the rehearsal's (benchmarks/rehearsal.py) built from its architectures with random
weights, LoRA on the tower and the LLM, on one synthetic clip; no backward pass is needed to
count what the forward keeps for it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from rehearsal import QWEN2_05B, SIGLIP_BASE  # noqa: E402
from train_step import SAMPLE, synthetic_clip  # noqa: E402

from vqa.model import build_model  # noqa: E402
from vqa.model.batch import loss_on, prepare_sample  # noqa: E402
from vqa.model.presets import preset_config  # noqa: E402
from vqa.train.plan import GiB, activation_bytes, sample_tokens  # noqa: E402


def kept_bytes(model, clip) -> int:
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: set = set()
    total = [0]

    def pack(t):
        s = t.untyped_storage()
        if s.data_ptr() not in seen and s.data_ptr() not in params:
            seen.add(s.data_ptr())
            total[0] += s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss_on(model, [prepare_sample(model, SAMPLE, video=clip)])
    return total[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keyframes", type=int, default=2)
    ap.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    a = ap.parse_args(argv)
    cfg = preset_config("omnivqa-7b", {
        "vision": {"pretrained": None, "hf_config": SIGLIP_BASE},
        "llm": {"pretrained": None, "hf_config": QWEN2_05B},
        "frames": {"keyframe_size": 224, "max_keyframes": a.keyframes, "motion_size": 64},
        "lora": {"targets": ["vision", "language"], "r": 8, "alpha": 16}})
    torch.manual_seed(0)
    model = build_model(cfg)
    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    model.to(dtype)
    model.train()
    clip = synthetic_clip(model.cfg, seconds=4.0)
    tokens = sample_tokens(model, seconds=4.0)
    elem = 2 if a.precision == "bf16" else 4
    out = {"tokens": tokens, "precision": a.precision}
    for name, groups in (("without", []), ("with", ["vision", "language"])):
        model.enable_activation_checkpointing(groups)
        out[name] = {"measured_gib": round(kept_bytes(model, clip) / GiB, 3),
                     "plan_gib": round(activation_bytes(model, tokens, 1, elem, groups) / GiB, 3)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

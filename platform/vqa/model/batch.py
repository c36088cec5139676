"""Training inputs from instruction samples (the `vqa.data` canonical form: LLaVA-style
`conversations` of `from: human|gpt`, optional per-dimension `scores`): one sample → the embedded
sequence, its labels and its score targets, ready for `VQAModel.forward`."""

from __future__ import annotations

import math

import torch

from vqa.model.inference import encode_video, layout_for

ROLES = {"human": "user", "user": "user", "gpt": "assistant", "ai": "assistant",
         "assistant": "assistant"}


def to_messages(conversations: list[dict]) -> list[dict]:
    """[{"from": "human", "value": …}, …] → [{"role": "user", "content": …}, …]."""
    out = []
    for turn in conversations:
        role = ROLES.get(str(turn.get("from", turn.get("role"))).lower())
        if role is None:
            raise ValueError(f"unknown conversation role {turn.get('from')!r}")
        out.append({"role": role, "content": turn.get("value", turn.get("content"))})
    return out


def score_targets(model, sample: dict) -> torch.Tensor:
    """(n_dims,) targets for the score head (scores / `head.scale`), NaN where the sample has no
    score (masked in L1)."""
    scores = sample.get("scores") or {}
    vals = [scores.get(d) for d in model.cfg.head.dimensions]
    if "overall" in model.cfg.head.dimensions and scores.get("overall") is None:
        vals[model.cfg.head.dimensions.index("overall")] = sample.get("mos")
    scale = model.cfg.head.scale
    return torch.tensor([math.nan if v is None else float(v) / scale for v in vals])


def prepare_sample(model, sample: dict, video=None) -> dict:
    """→ {"embeds": (L, D), "labels": (L,), "scores": (n_dims,)}; `video` defaults to the
    sample's path (or pass already sampled frames, as `sample_video` returns them)."""
    enc = encode_video(model, sample["video"] if video is None else video, grad=True)
    layout = layout_for(model, enc, to_messages(sample["conversations"]), None)
    return {"embeds": model.embed(layout, enc["vision"], enc["motion"]),
            "labels": layout.tensors()["labels"], "scores": score_targets(model, sample)}


def loss_on(model, prepared: list[dict]) -> dict[str, torch.Tensor]:
    scores = torch.stack([p["scores"] for p in prepared]) if model.score_head is not None \
        else None
    return model([p["embeds"] for p in prepared], [p["labels"] for p in prepared], scores)

"""`rate_batch` rates many clips in one LLM forward pass and gives each clip `rate`'s numbers."""

from __future__ import annotations

import pytest
import torch


def _close(a: dict, b: dict) -> None:
    assert a["level"] == b["level"]
    assert a["score"] == pytest.approx(b["score"], abs=1e-5)
    assert a["probs"] == pytest.approx(b["probs"], abs=1e-5)
    assert a["dimensions"] == pytest.approx(b["dimensions"], abs=1e-4)


def test_rate_batch_equals_rate_per_clip(clip_factory):
    from vqa.model import build_model
    from vqa.model.presets import model_config

    # A prompt-rated dimension besides overall: sequences of different lengths share the batch,
    # and clips of different lengths have different motion-token counts.
    cfg = model_config("tiny", overrides={"scoring.dimensions": ["blur"]})
    torch.manual_seed(1)
    model = build_model(cfg).eval()
    clips = [clip_factory(f"batch_{n}.mp4", width=96, height=64, frames=n, fps=20.0, seed=n)
             for n in (24, 40, 60)]
    clips.append(clip_factory("batch_40b.mp4", width=96, height=64, frames=40, fps=20.0, seed=7))
    passes = {"vision": 0, "motion": 0}
    for name, module in (("vision", model.vision), ("motion", model.motion)):
        module.register_forward_hook(lambda *_, n=name: passes.__setitem__(n, passes[n] + 1))
    timings: dict = {}
    batched = model.rate_batch(clips, timings)
    assert {"decode", "vision", "llm"} <= set(timings)
    # one vision pass (one keyframe size), one SlowFast pass per motion shape (the two 40s share)
    assert passes == {"vision": 1, "motion": 3}
    singles = [model.rate(c) for c in clips]
    for b, s in zip(batched, singles):
        _close(b, s)
        assert set(b["dimensions"]) >= {"blur", "overall"}
    assert len({round(s["score"], 6) for s in singles}) > 1  # the clips are told apart
    _close(model.rate_batch(clips[::-1])[0], singles[-1])  # order does not matter
    assert model.rate_batch([]) == []

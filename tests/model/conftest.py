"""A tiny model and a real clip, shared by the model tests (built once per session)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def tiny_model():
    from vqa.model import build_model

    torch.manual_seed(0)
    return build_model("tiny")


@pytest.fixture(scope="session")
def clip(clip_factory):
    return clip_factory("model_clip.mp4", width=96, height=64, frames=60, fps=20.0, seed=3)

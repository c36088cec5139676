"""A tiny model and a real clip, shared by the model tests. Imported by the test modules (a
second conftest.py would shadow tests/conftest.py as module `conftest`); the model is built once
per process however many modules import the fixture."""

from __future__ import annotations

import functools

import pytest
import torch


@functools.lru_cache(maxsize=1)
def _tiny():
    from vqa.model import build_model

    torch.manual_seed(0)
    return build_model("tiny")


@pytest.fixture
def tiny_model():
    return _tiny().eval()


@pytest.fixture(scope="session")
def clip(clip_factory):
    return clip_factory("model_clip.mp4", width=96, height=64, frames=60, fps=20.0, seed=3)

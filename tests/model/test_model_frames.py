"""Frame sampling is a function of the config alone; `frames_key` names exactly that."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vqa.model.config import FramesConfig
from vqa.model.frames import frame_spec, frames_key, sample_frames
from vqa.model.presets import preset_config


def test_key_is_stable_and_ignores_non_frame_fields():
    a, b = preset_config("tiny"), preset_config("tiny")
    assert frames_key(a) == frames_key(b) == frames_key(preset_config("tiny"))
    assert len(frames_key(a)) == 16
    b.name, b.llm_trainable, b.lora.r, b.motion.readout = "other", True, 4, "pooled"
    assert frames_key(a) == frames_key(b)  # same frames → same shards


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(FramesConfig)])
def test_key_changes_with_every_frames_field(field):
    base = preset_config("tiny")
    cfg = preset_config("tiny")
    old = getattr(cfg.frames, field)
    setattr(cfg.frames, field, 7 if old is None else (old + 1 if isinstance(old, int) else None))
    assert frames_key(cfg) != frames_key(base)


def test_key_changes_with_motion_on_off():
    cfg = preset_config("tiny")
    key = frames_key(cfg)
    cfg.motion.enabled = not cfg.motion.enabled
    assert frames_key(cfg) != key
    assert set(frame_spec(cfg)) == {"frames", "motion"}


def test_sample_frames_motion_iff_enabled(clip_factory):
    path = clip_factory("frames_cfg.mp4", frames=30)
    cfg = preset_config("tiny")
    s = sample_frames(cfg, path)
    assert set(s) == {"keyframes", "motion"}
    assert s["keyframes"].frames.dtype == np.uint8
    assert s["keyframes"].frames.ndim == 4 and s["motion"].frames.ndim == 4
    cfg.motion.enabled = False
    assert set(sample_frames(cfg, path)) == {"keyframes"}

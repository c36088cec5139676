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
    assert set(frame_spec(cfg)) == {"frames", "motion", "quality", "orientation"}  # tiny has quality on


def test_key_changes_with_quality_on_off_and_its_version(monkeypatch):
    from vqa.model import quality

    cfg = preset_config("tiny")
    key = frames_key(cfg)
    monkeypatch.setattr(quality, "VERSION", quality.VERSION + 1)
    assert frames_key(cfg) != key                    # stored features of the old definition
    cfg.quality.enabled = False
    assert frames_key(cfg) != key and set(frame_spec(cfg)) == {"frames", "motion", "orientation"}


def test_sample_frames_motion_iff_enabled(clip_factory):
    path = clip_factory("frames_cfg.mp4", frames=30)
    cfg = preset_config("tiny")
    s = sample_frames(cfg, path)
    assert set(s) == {"keyframes", "motion", "quality"}
    assert s["keyframes"].frames.dtype == np.uint8
    assert s["keyframes"].frames.ndim == 4 and s["motion"].frames.ndim == 4
    cfg.motion.enabled = False
    assert set(sample_frames(cfg, path)) == {"keyframes", "quality"}
    cfg.quality.enabled = False
    assert set(sample_frames(cfg, path)) == {"keyframes"}


def test_quality_features_read_the_native_keyframes(clip_factory):
    """The features describe the decoded keyframes, not the fragment mosaic cut from them; the
    mosaic the tower sees is unchanged, and frames already prepared pass through as they are."""
    from vqa.model.frames import _specs, model_inputs
    from vqa.model.quality import CELL_DIM, CLIP_DIM, quality_features
    from vqa.video import sample_clip

    path = clip_factory("frames_q.mp4", frames=30, width=160, height=128)
    cfg = preset_config("tiny")
    kf, mo = _specs(cfg)
    native = sample_clip(str(path), keyframes=kf, motion=mo)
    s = sample_frames(cfg, path)
    q = s["quality"].frames
    assert q.dtype == np.float32 and q.shape == (len(s["keyframes"].frames), 16,
                                                 CELL_DIM + CLIP_DIM)
    expected = quality_features(native["keyframes"].frames, native["motion"].frames, 4)
    np.testing.assert_allclose(q, expected.numpy(), rtol=1e-5, atol=1e-5)
    on_mosaic = quality_features(s["keyframes"].frames, s["motion"].frames, 4).numpy()
    assert not np.allclose(q, on_mosaic, atol=1e-2)
    assert s["keyframes"].frames.shape[1:3] == (64, 64)
    again = model_inputs(cfg, s)
    assert again["quality"] is s["quality"]
    np.testing.assert_array_equal(again["keyframes"].frames, s["keyframes"].frames)

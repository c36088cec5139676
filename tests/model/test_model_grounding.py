"""Grounding: each keyframe token carries its cell's and its second's learned embedding, so
in-context questions (where / when) have something to find."""

import numpy as np
import pytest
import torch

from vqa.errors import ConfigError
from vqa.model.inference import keyframe_seconds
from vqa.model.quality import quality_features
from vqa.video import Sampled, VideoInfo


def _model(**grounding):
    from vqa.model.presets import build_model, tiny

    cfg = tiny()
    for k, v in grounding.items():
        setattr(cfg.grounding, k, v)
    torch.manual_seed(0)
    return build_model(cfg)


def test_keyframe_seconds_count_whole_seconds_from_the_start():
    info = VideoInfo(frames=48, fps=12.0, duration=4.0, width=64, height=48, codec="h264")
    k = Sampled(np.zeros((5, 4, 4, 3), np.uint8), np.array([0, 11, 12, 30, 47]), info)
    assert keyframe_seconds(k).tolist() == [0, 0, 1, 2, 3]


def test_tokens_carry_their_cell_and_second(tmp_path):
    from vqa.model.vqa_model import VQAModel

    m = _model(max_seconds=4)
    flat = np.full((2, 64, 64, 3), 128, np.uint8)  # every cell and frame alike
    q = quality_features(flat, None, 4)
    with torch.no_grad():
        a = m.encode_keyframes(flat, q, [0, 0])
        b = m.encode_keyframes(flat, q, [0, 2])
        late = m.encode_keyframes(flat, q, [9, 40])  # past max_seconds: the last embedding
        assert torch.equal(a[0], b[0]) and not torch.allclose(a[1], b[1])  # the second
        assert not torch.allclose(a[0, 0], a[0, 5])  # the cell, on identical content
        assert torch.equal(late[0], late[1])
    m.save_pretrained(tmp_path / "m")
    back = VQAModel.from_pretrained(tmp_path / "m")
    assert back.cfg.grounding.max_seconds == 4
    assert torch.equal(back.places.cell, m.places.cell)
    assert torch.equal(back.places.second, m.places.second)
    with pytest.raises(ValueError, match="keyframe_seconds"):
        back.encode_keyframes(flat, q)


def test_off_means_no_embeddings_and_no_seconds_needed():
    m = _model(enabled=False)
    assert m.places is None
    flat = np.full((1, 64, 64, 3), 128, np.uint8)
    with torch.no_grad():
        assert m.encode_keyframes(flat, quality_features(flat, None, 4)).shape[:2] == (1, 16)


def test_grounding_needs_a_token_grid():
    from vqa.model.presets import tiny

    cfg = tiny()
    cfg.quality.enabled = False
    cfg.vision.tokens_per_frame = None
    cfg.grounding.enabled = True
    with pytest.raises(ConfigError, match="grounding.enabled"):
        cfg.validate()

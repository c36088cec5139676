"""Quality-feature tokens: each statistic moves with the degradation it is there to read, at any
cell offset, and the tokens line up with the vision tower's pooled tokens."""

import cv2
import numpy as np
import pytest
import torch

from vqa.model.quality import CELL, CELL_DIM, CLIP_DIM, MOTION, cell_features, \
    motion_features, quality_features


def scene(h=64, w=64, seed=0) -> np.ndarray:
    """A colour frame like a photograph's: smooth shapes, fine detail on its right half only."""
    rng = np.random.default_rng(seed)
    base = cv2.resize(rng.uniform(40, 210, (8, 8, 3)), (w, h), interpolation=cv2.INTER_CUBIC)
    detail = cv2.GaussianBlur(rng.normal(0, 25, (h, w)), (0, 0), 0.7)
    detail[:, : w // 2] = 0
    return np.clip(base + detail[..., None], 0, 255).astype(np.uint8)


def feat(frame: np.ndarray, name: str, grid: int = 1) -> float:
    f = cell_features(torch.as_tensor(frame[None]), grid)
    return float(f[0, :, CELL.index(name)].mean())


def test_each_statistic_reads_its_degradation():
    x = scene()
    noisy = np.clip(x + np.random.default_rng(1).normal(0, 12, x.shape), 0, 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(x, (0, 0), 2.0)
    ok, buf = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, 8])
    blocky = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    dark = (x * 0.4).astype(np.uint8)
    grey = np.repeat(x.mean(-1, keepdims=True), 3, -1).astype(np.uint8)
    assert feat(noisy, "noise_floor") > feat(x, "noise_floor") + 0.5
    assert feat(blurred, "grad") < feat(x, "grad") - 0.5
    assert feat(blurred, "reblur") < feat(x, "reblur")      # a blurred frame loses less to blur
    assert feat(blocky, "block") > feat(x, "block") + 0.1
    assert feat(dark, "y_mean") < 0.5 * feat(x, "y_mean")
    assert feat(grey, "chroma") < 0.01 < feat(x, "chroma")


@pytest.mark.parametrize("offset", [0, 3, 5])
def test_blockiness_needs_no_grid_alignment(offset):
    """Fragments are cut at cell centres, so a cell's offset to the codec grid is unknown."""
    x = scene(96, 96)
    ok, buf = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, 8])
    blocky = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    crop = lambda a: a[offset:offset + 64, offset:offset + 64]  # noqa: E731
    assert feat(crop(blocky), "block") > feat(crop(x), "block") + 0.1


def test_cells_follow_the_token_raster_order():
    """Cell (row r, col c) is token r·grid + c, as the tower's pooled patch grid is read out."""
    x = np.zeros((64, 64, 3), np.uint8)
    x[:32, 32:] = 200                                       # top-right cell bright
    f = cell_features(torch.as_tensor(x[None]), 2)[0, :, CELL.index("y_mean")]
    assert int(f.argmax()) == 1 and f[1] > 0.7 and float(f[[0, 2, 3]].max()) == 0.0


def test_freezes_show_in_the_motion_statistics():
    moving = np.stack([scene(32, 32, seed=i) for i in range(24)])
    frozen = moving.copy()
    frozen[1::2] = frozen[0::2]                             # every other frame held
    m, f = motion_features(torch.as_tensor(moving)), motion_features(torch.as_tensor(frozen))
    assert f[MOTION.index("freeze")] > 0.4 > m[MOTION.index("freeze")]
    still = motion_features(torch.as_tensor(np.repeat(moving[:1], 24, 0)))
    assert still[MOTION.index("freeze")] == 0               # a still clip has no freezes


def test_shapes_and_no_motion():
    kf = torch.as_tensor(np.stack([scene(), scene(seed=2)]))
    out = quality_features(kf, None, 4)
    assert out.shape == (2, 16, CELL_DIM + CLIP_DIM)
    assert torch.isfinite(out).all()
    # the clip summary is the same on every token
    assert torch.equal(out[0, 0, CELL_DIM:], out[1, 5, CELL_DIM:])
    flat = quality_features(torch.zeros(1, 16, 16, 3, dtype=torch.uint8), None, 4)
    assert torch.isfinite(flat).all()                       # tiny, flat cells: no NaN


def test_tiny_model_adds_them_to_the_vision_tokens(tmp_path):
    """A saved tiny model keeps its quality projector and gate; at init the gate silences the
    random tower, so the tokens are the quality features' alone and follow the frames."""
    from vqa.model.presets import build_model
    from vqa.model.vqa_model import VQAModel

    model = build_model("tiny")
    assert model.quality_proj is not None and float(model.quality_proj.gate.detach()) == 0.0
    with torch.no_grad():
        model.quality_proj.gate.fill_(0.5)
    model.save_pretrained(tmp_path / "m")
    back = VQAModel.from_pretrained(tmp_path / "m")
    for a, b in zip(model.quality_proj.parameters(), back.quality_proj.parameters()):
        assert torch.equal(a, b)
    kf = np.stack([scene(), scene()])
    dark = (kf * 0.3).astype(np.uint8)
    q, q_dark = quality_features(kf, None, 4), quality_features(dark, None, 4)
    with torch.no_grad():
        t1 = back.encode_keyframes(kf, q, [0, 1])
        t2 = back.encode_keyframes(dark, q_dark, [0, 1])
        assert t1.shape == (2, 16, back.llm.get_input_embeddings().embedding_dim)
        assert not torch.allclose(t1, t2)
        back.quality_proj.gate.zero_()
        proj = back.quality_proj.proj(q)
        want = back.places(proj, [0, 1], back.llm.get_input_embeddings(), q)
        assert torch.allclose(back.encode_keyframes(kf, q, [0, 1]), want, atol=1e-6)
        with pytest.raises(ValueError, match="reads quality features"):
            back.encode_keyframes(kf, seconds=[0, 1])  # one way to make them: sample_frames


def test_quality_needs_a_token_grid():
    from vqa.errors import ConfigError
    from vqa.model.presets import tiny

    cfg = tiny()
    cfg.vision.tokens_per_frame = None
    with pytest.raises(ConfigError, match="quality.enabled needs vision.tokens_per_frame"):
        cfg.validate()


def test_large_cells_are_read_from_their_native_centre():
    """A cell wider than MAX_CELL is read from its centre at native resolution, so a 1080p
    keyframe costs what a small one does and noise / blur stay visible."""
    from vqa.model.quality import MAX_CELL

    big = scene(4 * 2 * MAX_CELL, 4 * 2 * MAX_CELL, seed=3)       # 4×4 cells of 128²
    o = MAX_CELL // 2
    centres = big.reshape(4, 2 * MAX_CELL, 4, 2 * MAX_CELL, 3)[:, o:o + MAX_CELL, :,
                                                               o:o + MAX_CELL]
    small = centres.reshape(4 * MAX_CELL, 4 * MAX_CELL, 3)      # the centres, 64² cells
    a = cell_features(torch.as_tensor(big[None]), 4)
    b = cell_features(torch.as_tensor(np.ascontiguousarray(small)[None]), 4)
    assert torch.allclose(a, b, atol=1e-5)

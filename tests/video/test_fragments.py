"""Fragments: shape, determinism, native-resolution pixels kept, small frames upscaled."""

from __future__ import annotations

import numpy as np
import pytest

from vqa.video.fragments import fragments


def _frames(t=3, h=90, w=120, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (t, h, w, 3), dtype=np.uint8)


def test_shape_and_determinism():
    x = _frames()
    out = fragments(x, 4, 16)
    assert out.shape == (3, 64, 64, 3) and out.dtype == np.uint8
    assert np.array_equal(out, fragments(x, 4, 16))
    a = fragments(x, 4, 16, rng=np.random.default_rng(1))
    assert np.array_equal(a, fragments(x, 4, 16, rng=np.random.default_rng(1)))


def test_patches_are_native_pixels_at_cell_centres_aligned_in_time():
    x = _frames()
    out = fragments(x, 2, 16)
    # cells of 45×60: centre patch starts at ((45-16)//2, (60-16)//2) = (14, 22)
    assert np.array_equal(out[:, :16, :16], x[:, 14:30, 22:38])
    assert np.array_equal(out[:, 16:, 16:], x[:, 45 + 14:45 + 30, 60 + 22:60 + 38])
    r = fragments(x, 3, 8, rng=np.random.default_rng(5))
    for i in range(3):  # every patch is some native 8×8 window, the same one in all frames
        for j in range(3):
            p = r[:, i * 8:(i + 1) * 8, j * 8:(j + 1) * 8]
            hits = [(y, xx) for y in range(30 * i, 30 * i + 23) for xx in range(40 * j, 40 * j + 33)
                    if np.array_equal(p, x[:, y:y + 8, xx:xx + 8])]
            assert hits


def test_mosaic_sized_frames_pass_unchanged_and_small_ones_are_upscaled():
    x = _frames(h=64, w=64)
    assert np.array_equal(fragments(x, 4, 16), x)
    small = fragments(_frames(h=40, w=50), 4, 16)
    assert small.shape == (3, 64, 64, 3)


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        fragments(np.zeros((8, 8, 3), np.uint8), 2, 4)
    with pytest.raises(ValueError):
        fragments(_frames(), 0, 4)

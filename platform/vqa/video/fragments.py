"""FAST-VQA / DOVER fragments: native-resolution mini-patches on a grid, spliced into one small
frame, so texture, noise, blur and blockiness survive where a whole-frame downscale erases them.

The patch positions are the same in every frame of a clip (temporally aligned fragments) and,
without an `rng`, are the cell centres: deterministic for a given video, so training and rating
see the same input. A frame smaller than the mosaic is first upscaled so every cell holds a
patch; a frame exactly the mosaic size is returned unchanged (fragmenting is idempotent)."""

from __future__ import annotations

import math

import cv2
import numpy as np


def fragments(frames: np.ndarray, grid: int, size: int,
              rng: np.random.Generator | None = None) -> np.ndarray:
    """uint8 (T, H, W, C) → (T, grid·size, grid·size, C): one `size`² native patch per grid cell
    (cell centre; a random offset inside the cell when `rng` is given, the same for all frames)."""
    frames = np.asarray(frames)
    if frames.ndim != 4:
        raise ValueError(f"fragments: frames must be (T, H, W, C), got shape {frames.shape}")
    if grid < 1 or size < 1:
        raise ValueError(f"fragments: grid and size must be ≥ 1, got {grid}, {size}")
    need = grid * size
    t, h, w, c = frames.shape
    if h < need or w < need:
        s = need / min(h, w)
        nh, nw = max(need, math.ceil(h * s)), max(need, math.ceil(w * s))
        frames = np.stack([cv2.resize(f, (nw, nh), interpolation=cv2.INTER_LINEAR).reshape(
            nh, nw, c) for f in frames])
        h, w = nh, nw
    ys = [h * i // grid for i in range(grid + 1)]  # cell edges; every cell is ≥ size wide
    xs = [w * i // grid for i in range(grid + 1)]
    out = np.empty((t, need, need, c), dtype=frames.dtype)
    for i in range(grid):
        for j in range(grid):
            sy, sx = ys[i + 1] - ys[i] - size, xs[j + 1] - xs[j] - size  # slack in the cell
            dy = sy // 2 if rng is None else int(rng.integers(0, sy + 1))
            dx = sx // 2 if rng is None else int(rng.integers(0, sx + 1))
            y0, x0 = ys[i] + dy, xs[j] + dx
            out[:, i * size:(i + 1) * size, j * size:(j + 1) * size] = \
                frames[:, y0:y0 + size, x0:x0 + size]
    return out

"""Which frames each sampling mode takes: pure functions of (frame count, fps), testable alone."""

from __future__ import annotations

import math

import numpy as np


def keyframe_indices(num_frames: int, fps: float, max_frames: int | None = None) -> np.ndarray:
    """One keyframe per second (OmniVQA / VQA²): the first frame of each second of video.

    With `max_frames`, longer videos keep that many keyframes spread uniformly over the seconds.
    """
    if num_frames <= 0 or fps <= 0:
        raise ValueError(f"need frames > 0 and fps > 0, got {num_frames}, {fps}")
    seconds = math.ceil(num_frames / fps) + 1
    idx = np.round(np.arange(seconds) * fps).astype(np.int64)
    idx = idx[idx < num_frames]  # a partial last second keeps its keyframe only if it exists
    if max_frames is not None and len(idx) > max_frames:
        idx = idx[uniform_indices(len(idx), max_frames)]
    return idx


def uniform_indices(num_frames: int, n: int = 8) -> np.ndarray:
    """`n` frames at the midpoints of `n` equal segments (FineVQ / InternVL `get_index`)."""
    if num_frames <= 0 or n <= 0:
        raise ValueError(f"need frames > 0 and n > 0, got {num_frames}, {n}")
    seg = num_frames / n
    idx = np.array([int(seg / 2 + round(seg * i)) for i in range(n)], dtype=np.int64)
    return np.clip(idx, 0, num_frames - 1)


def motion_indices(
    num_frames: int, multiple_of: int | None = None, min_frames: int | None = None
) -> np.ndarray:
    """Every frame for the motion extractor.

    `multiple_of` trims the tail to a multiple (VQA² uses 4, the SlowFast alpha);
    `min_frames` pads short clips by repeating the last frame (FineVQ pads to 32).
    """
    if num_frames <= 0:
        raise ValueError(f"need frames > 0, got {num_frames}")
    n = num_frames
    if multiple_of and n >= multiple_of:
        n -= n % multiple_of
    idx = np.arange(n, dtype=np.int64)
    if min_frames and n < min_frames:
        idx = np.concatenate([idx, np.full(min_frames - n, n - 1, dtype=np.int64)])
    return idx

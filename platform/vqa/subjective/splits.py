"""Deterministic video-level splits: OmniVQA-MOS train/test 8:2, FineVD train/val/test 4:1:1.

Splitting by video (never by sample) keeps every QA of a video in one split."""

from __future__ import annotations

import numpy as np

from vqa.errors import ConfigError

SPLIT_NAMES = {1: ("train",), 2: ("train", "test"), 3: ("train", "val", "test")}
OMNIVQA_RATIOS = (8.0, 2.0)
FINEVD_RATIOS = (4.0, 1.0, 1.0)


def largest_remainder(total: int, weights) -> np.ndarray:
    """Integer counts summing to `total`, proportional to `weights` (Hamilton's method)."""
    w = np.asarray(weights, float)
    if (w < 0).any() or w.sum() <= 0:
        raise ConfigError(f"weights must be >= 0 with a positive sum, got {list(weights)}")
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def split_videos(videos, ratios=OMNIVQA_RATIOS, seed: int = 0) -> dict[str, str]:
    """video → split name; the same videos, ratios and seed always give the same split."""
    if len(ratios) not in SPLIT_NAMES:
        raise ConfigError(f"split ratios need 1 to 3 parts, got {list(ratios)}")
    unique = sorted(set(map(str, videos)))
    order = np.random.default_rng(seed).permutation(len(unique))
    counts = largest_remainder(len(unique), ratios)
    names = np.repeat(SPLIT_NAMES[len(ratios)], counts)
    return {unique[i]: str(name) for i, name in zip(order, names)}

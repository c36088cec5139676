"""The five spatial distortions of OmniVQA Appendix C, applied to one region of one frame.

Levels: 1 noticeable, 2 relatively severe, 3 severe. Blur is the paper's formula; exposure, noise
and JPEG constants are not published, so they come from `SpatialParams` (defaults in
PAPER_NOTES.md) and every call site can change them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SPATIAL_TYPES = ("blur", "overexposure", "underexposure", "noise", "jpeg")
LEVEL_NAMES = {1: "noticeable", 2: "relatively severe", 3: "severe"}


@dataclass
class SpatialParams:
    blur_kernel_per_level: int = 16      # kernel 16·L + 1 (App. C)
    overexposure_per_level: float = 0.3  # × (1 + 0.3·L)
    underexposure_per_level: float = 0.25  # × (1 − 0.25·L)
    clamp_low: int = 1                   # exposure results clamped to [1, 254] (App. C)
    clamp_high: int = 254
    noise_sigma_per_level: float = 10.0  # σ = 10·L on 0–255
    jpeg_quality_base: int = 35          # quality = 35 − 10·L
    jpeg_quality_per_level: int = 10


def blur_kernel(level: int, p: SpatialParams) -> int:
    return p.blur_kernel_per_level * level + 1


def exposure_factor(kind: str, level: int, p: SpatialParams) -> float:
    if kind == "overexposure":
        return 1.0 + p.overexposure_per_level * level
    return 1.0 - p.underexposure_per_level * level


def jpeg_quality(level: int, p: SpatialParams) -> int:
    return max(1, p.jpeg_quality_base - p.jpeg_quality_per_level * level)


def distort_region(region: np.ndarray, kind: str, level: int, p: SpatialParams,
                   rng: np.random.Generator | None = None) -> np.ndarray:
    """A distorted copy of an (h, w, 3) uint8 RGB region; `rng` draws the noise."""
    if level not in LEVEL_NAMES:
        raise ValueError(f"level must be 1, 2 or 3, got {level}")
    if kind == "blur":
        k = blur_kernel(level, p)
        return cv2.GaussianBlur(region, (k, k), 0)
    if kind in ("overexposure", "underexposure"):
        scaled = np.rint(region.astype(np.float64) * exposure_factor(kind, level, p))
        return np.clip(scaled, p.clamp_low, p.clamp_high).astype(np.uint8)
    if kind == "noise":
        if rng is None:
            raise ValueError("noise needs an rng")
        noise = rng.normal(0.0, p.noise_sigma_per_level * level, size=region.shape)
        return np.clip(np.rint(region + noise), 0, 255).astype(np.uint8)
    if kind == "jpeg":
        q = jpeg_quality(level, p)
        ok, buf = cv2.imencode(".jpg", region[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        if not ok:
            raise RuntimeError("JPEG encode failed")
        return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    raise ValueError(f"unknown spatial distortion {kind!r}; known: {SPATIAL_TYPES}")

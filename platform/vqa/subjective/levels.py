"""MOS → five quality levels, worst (0) to best (4), with each paper's wording.

OmniVQA (MOS-20K, on the LSVQ 0–100 scale): low 0–20, poor 20–40, fair 40–60, good 60–80,
excellent 80–100. FineVD: five equal-width bins of each dimension's MOS range, worded
severe/strong/mild/slight/undistorted for noise, artifact and blur and bad/poor/fair/good/excellent
for color, temporal and overall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from vqa.errors import ConfigError

OMNIVQA_WORDS = ("low", "poor", "fair", "good", "excellent")
FINEVD_DISTORTION_WORDS = ("severe", "strong", "mild", "slight", "undistorted")
FINEVD_QUALITY_WORDS = ("bad", "poor", "fair", "good", "excellent")
DISTORTION_DIMENSIONS = ("noise", "artifact", "blur")
LSVQ_BOUNDARIES = (20.0, 40.0, 60.0, 80.0)  # inner cut points on [0, 100]
NUM_LEVELS = 5


@dataclass
class LevelConfig:
    wording: Literal["auto", "omnivqa", "finevd"] = "auto"  # auto: omnivqa for overall-only
    # Inner cut points (4, ascending) on the MOS scale. None: OmniVQA wording → the LSVQ cut
    # points 20/40/60/80; FineVD wording → five equal-width bins of each dimension's observed
    # MOS range (as Q-Align does).
    boundaries: list[float] | None = None

    def validate(self) -> None:
        if self.boundaries is not None:
            check_boundaries(self.boundaries)


def check_boundaries(boundaries) -> None:
    b = list(boundaries)
    if len(b) != NUM_LEVELS - 1 or any(x >= y for x, y in zip(b, b[1:])):
        raise ConfigError(f"level boundaries must be {NUM_LEVELS - 1} ascending cut points, "
                          f"got {b}")


def words(dimension: str, wording: str) -> tuple[str, ...]:
    if wording == "omnivqa":
        return OMNIVQA_WORDS
    return FINEVD_DISTORTION_WORDS if dimension in DISTORTION_DIMENSIONS else FINEVD_QUALITY_WORDS


def level_index(values, boundaries) -> np.ndarray:
    """0..4 for each value; a value on a cut point goes to the upper level (80 → excellent)."""
    return np.searchsorted(np.asarray(boundaries, float), np.asarray(values, float), side="right")


def range_boundaries(values) -> list[float]:
    """Cut points of five equal-width bins over [min, max] of `values`."""
    lo, hi = float(np.min(values)), float(np.max(values))
    return [lo + (hi - lo) * i / NUM_LEVELS for i in range(1, NUM_LEVELS)]


def to_0_100(values, value_range) -> np.ndarray:
    """Linear map of `value_range` onto [0, 100] (raw 1–5 scores: 1 → 0, 5 → 100)."""
    lo, hi = value_range
    return 100.0 * (np.asarray(values, float) - lo) / (hi - lo)


def assign_levels(mos: pd.DataFrame, cfg: LevelConfig) -> tuple[pd.DataFrame, dict]:
    """Add `level` (0 = worst) and `level_name` to the long MOS table; also return the cut
    points used per dimension."""
    out = mos.copy()
    dims = sorted(set(out["dimension"]))
    wording = cfg.wording
    if wording == "auto":
        wording = "omnivqa" if dims == ["overall"] else "finevd"
    used = {}
    out["level"] = 0
    out["level_name"] = ""
    for dim in dims:
        rows = out["dimension"] == dim
        if cfg.boundaries is not None:
            cuts = list(cfg.boundaries)
        elif wording == "omnivqa":
            cuts = list(LSVQ_BOUNDARIES)
        else:
            cuts = range_boundaries(out.loc[rows, "mos"])
        idx = level_index(out.loc[rows, "mos"], cuts)
        out.loc[rows, "level"] = idx
        out.loc[rows, "level_name"] = [words(dim, wording)[i] for i in idx]
        used[dim] = [round(c, 4) for c in cuts]
    out["level"] = out["level"].astype(int)
    return out, {"wording": wording, "boundaries": used}

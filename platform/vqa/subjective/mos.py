"""Screened ratings → MOS per video and dimension (FineVQ §3.3, Eq. 1–2).

z = (r − μ_subject) / σ_subject per subject and dimension (each dimension is its own scale),
rescaled linearly to [0, 100] by 100·(z + 3)/6 (z = ±3 at the ends, clipped beyond), averaged
over subjects. `normalize="raw"` maps the raw scale linearly to [0, 100] instead (OmniVQA-MOS
averages raw scores that already live on the LSVQ scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from vqa.errors import ConfigError
from vqa.subjective.levels import to_0_100


@dataclass
class MosConfig:
    normalize: Literal["zscore", "raw"] = "zscore"
    z_span: float = 3.0              # z in [−3, 3] ↦ [0, 100]: 100·(z + 3)/6
    clip: bool = True                # |z| > z_span lands on the ends of the range
    ci_z: float = 1.96               # 95 % confidence interval: mean ± 1.96·σ/√n (BT.500)

    def validate(self) -> None:
        if self.z_span <= 0 or self.ci_z <= 0:
            raise ConfigError("mos: z_span and ci_z must be > 0")


def zscores(df: pd.DataFrame) -> pd.DataFrame:
    """Add `z` per (subject, dimension). A subject who gave one value throughout a dimension
    carries no ranking information there: those rows get z = NaN and are dropped from the MOS."""
    g = df.groupby(["subject", "dimension"])["score"]
    mu = g.transform("mean")
    sd = g.transform("std")                      # ddof 1; NaN for a single rating
    out = df.copy()
    out["z"] = (df["score"] - mu) / sd.where(sd > 0)
    return out


def rescale(df: pd.DataFrame, cfg: MosConfig, score_range: tuple[float, float]) -> pd.DataFrame:
    """Add `rescaled` in [0, 100]: from z (zscore) or linearly from the raw scale (raw)."""
    out = df.copy()
    if cfg.normalize == "zscore":
        out = zscores(out)
        val = to_0_100(out["z"], (-cfg.z_span, cfg.z_span))
    else:
        val = to_0_100(out["score"], score_range)
    out["rescaled"] = val.clip(0.0, 100.0) if cfg.clip else val
    return out


def compute_mos(kept: pd.DataFrame, cfg: MosConfig | None = None,
                score_range: tuple[float, float] = (1.0, 5.0)) -> pd.DataFrame:
    """One row per (video, dimension): mos, std, ci95 (half-width), n subjects, raw_mean."""
    cfg = cfg or MosConfig()
    r = rescale(kept, cfg, score_range).dropna(subset=["rescaled"])
    g = r.groupby(["video", "dimension"], sort=True)
    out = g.agg(mos=("rescaled", "mean"), std=("rescaled", "std"), n=("rescaled", "size"),
                raw_mean=("score", "mean")).reset_index()
    out["std"] = out["std"].fillna(0.0)
    out["ci95"] = cfg.ci_z * out["std"] / np.sqrt(out["n"])
    return out[["video", "dimension", "mos", "std", "ci95", "n", "raw_mean"]]


def wide(mos: pd.DataFrame, value: str = "mos") -> pd.DataFrame:
    """video × dimension table of one column of the long MOS table."""
    return mos.pivot(index="video", columns="dimension", values=value)

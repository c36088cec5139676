"""Observer screening after ITU-R BT.500 as FineVQ (App. B.2) applies it.

Per video and dimension, the kurtosis β₂ of the raw scores says whether they are Gaussian
(2 ≤ β₂ ≤ 4): then a score outside mean ± 2σ is an outlier, otherwise outside
mean ± √20·σ.
A subject with more than 5 % outlier ratings (over all their ratings) is rejected. The outliers
that are removed are then found again among the kept subjects only, so that a rejected subject's
noise does not widen everyone else's bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vqa.errors import ConfigError


@dataclass
class ScreeningConfig:
    kurtosis_low: float = 2.0            # β₂ in [2, 4] → Gaussian (BT.500)
    kurtosis_high: float = 4.0
    gaussian_k: float = 2.0              # outlier: outside mean ± 2σ
    non_gaussian_k: float = math.sqrt(20)  # … or ± √20·σ when not Gaussian
    max_outlier_fraction: float = 0.05   # reject a subject with > 5 % outliers
    bt500_symmetry: bool = False         # BT.500 also asks |P−Q|/(P+Q) < 0.3; FineVQ does not
    enabled: bool = True

    def validate(self) -> None:
        if not 0 < self.kurtosis_low < self.kurtosis_high:
            raise ConfigError("screening: need 0 < kurtosis_low < kurtosis_high")
        if self.gaussian_k <= 0 or self.non_gaussian_k <= 0:
            raise ConfigError("screening: gaussian_k and non_gaussian_k must be > 0")
        if not 0 <= self.max_outlier_fraction < 1:
            raise ConfigError("screening: max_outlier_fraction must be in [0, 1)")


@dataclass
class ScreenResult:
    ratings: pd.DataFrame   # every input row + beta2, gaussian, outlier, subject_rejected, kept
    subjects: pd.DataFrame  # subject, ratings, high, low, outlier_fraction, rejected, reason

    @property
    def kept(self) -> pd.DataFrame:
        return self.ratings[self.ratings["kept"]]

    @property
    def rejected_subjects(self) -> list[str]:
        return sorted(self.subjects.loc[self.subjects["rejected"], "subject"])


def min_subjects(k: float) -> int:
    """Fewest ratings of one video for any score to be able to lie outside mean ± k·σ: of n
    scores, the farthest from their mean is (n − 1)/√n sample standard deviations away."""
    n = 2
    while (n - 1) / math.sqrt(n) <= k:
        n += 1
    return n


def check_screenable(df: pd.DataFrame, cfg: ScreeningConfig) -> None:
    """Refuse a study the screening cannot act on (too few subjects per video), before it runs
    and silently rejects nothing."""
    from vqa.subjective.ratings import RatingsError

    if not cfg.enabled:
        return
    need = min_subjects(cfg.gaussian_k)
    most = int(df.groupby(["video", "dimension"])["subject"].nunique().max())
    if most < need:
        subjects = df["subject"].nunique()
        raise RatingsError(
            f"ratings: {subjects} subject(s), at most {most} rating any one video; BT.500 "
            f"screening needs at least {need} subjects per video (with fewer, no score can lie "
            f"outside mean ± {cfg.gaussian_k:g}σ, so no outlier or subject could be rejected)",
            "add subjects, or pass --no-screening to compute the MOS unscreened")


def flag_outliers(df: pd.DataFrame, cfg: ScreeningConfig) -> pd.DataFrame:
    """Columns beta2, gaussian, outlier_high, outlier_low for each rating of (video, dimension)."""
    keys = [df["video"], df["dimension"]]
    g = df.groupby(keys, sort=False)["score"]
    mean = g.transform("mean")
    std = g.transform("std").fillna(0.0)               # sample sd (ddof 1), as BT.500
    dev = df["score"] - mean
    m2 = (dev ** 2).groupby(keys, sort=False).transform("mean")
    m4 = (dev ** 4).groupby(keys, sort=False).transform("mean")
    beta2 = (m4 / m2 ** 2).where(m2 > 0)                # = scipy kurtosis(fisher=False, bias=True)
    # β₂ undefined (all scores equal): nothing can lie outside the bound, call it Gaussian.
    gaussian = beta2.isna() | beta2.between(cfg.kurtosis_low, cfg.kurtosis_high)
    k = np.where(gaussian, cfg.gaussian_k, cfg.non_gaussian_k)
    out = df.copy()
    out["beta2"] = beta2
    out["gaussian"] = gaussian.to_numpy()
    out["outlier_high"] = (df["score"] > mean + k * std).to_numpy()
    out["outlier_low"] = (df["score"] < mean - k * std).to_numpy()
    return out


def subject_table(flagged: pd.DataFrame, cfg: ScreeningConfig) -> pd.DataFrame:
    """P (high) and Q (low) outlier counts per subject and the rejection decision."""
    s = flagged.groupby("subject").agg(ratings=("score", "size"), high=("outlier_high", "sum"),
                                        low=("outlier_low", "sum")).reset_index()
    s["outlier_fraction"] = (s["high"] + s["low"]) / s["ratings"]
    over = s["outlier_fraction"] > cfg.max_outlier_fraction
    if cfg.bt500_symmetry:
        total = (s["high"] + s["low"]).replace(0, np.nan)
        over &= ((s["high"] - s["low"]).abs() / total < 0.3).fillna(False)
    s["rejected"] = over.astype(bool)
    s["reason"] = np.where(s["rejected"], s["outlier_fraction"].map(
        lambda f: f"{100 * f:.1f}% outliers > {100 * cfg.max_outlier_fraction:g}%"), "")
    return s


def screen(df: pd.DataFrame, cfg: ScreeningConfig | None = None) -> ScreenResult:
    """Screen checked ratings (see `ratings.check_ratings`): reject subjects, drop outliers."""
    cfg = cfg or ScreeningConfig()
    if not cfg.enabled:
        out = df.copy()
        out["beta2"] = np.nan
        for col in ("gaussian", "outlier_high", "outlier_low", "outlier", "subject_rejected"):
            out[col] = False
        out["kept"] = True
        subjects = out.groupby("subject").agg(ratings=("score", "size")).reset_index()
        for col in ("high", "low", "outlier_fraction", "outliers_removed"):
            subjects[col] = 0
        subjects["rejected"], subjects["reason"] = False, ""
        return ScreenResult(out, subjects)
    first = flag_outliers(df, cfg)
    subjects = subject_table(first, cfg)
    rejected = set(subjects.loc[subjects["rejected"], "subject"])
    out = first.copy()
    out["subject_rejected"] = out["subject"].isin(rejected)
    keep = ~out["subject_rejected"]
    second = flag_outliers(df[keep.to_numpy()], cfg)
    out["outlier"] = False
    out.loc[keep, "outlier"] = (second["outlier_high"] | second["outlier_low"]).to_numpy()
    # Flags of kept rows describe the bounds that removed them (the kept subjects' pass).
    for col in ("beta2", "gaussian", "outlier_high", "outlier_low"):
        out.loc[keep, col] = second[col].to_numpy()
    out["kept"] = keep & ~out["outlier"]
    removed = out[keep].groupby("subject")["outlier"].sum()
    subjects["outliers_removed"] = subjects["subject"].map(removed).fillna(0).astype(int)
    return ScreenResult(out, subjects)

"""Stratified selection (OmniVQA-MOS): pick N videos of a scored candidate pool so that their
objective-level distribution matches a reference one — LSVQ-train's by default."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from vqa.errors import ConfigError
from vqa.subjective.levels import LSVQ_BOUNDARIES, NUM_LEVELS, OMNIVQA_WORDS, level_index, \
    to_0_100
from vqa.subjective.splits import largest_remainder

# Fractions of LSVQ-train's MOS (0–100) in low/poor/fair/good/excellent. The paper does not
# print them; this is an approximation of LSVQ's MOS histogram (mean ≈ 62, sd ≈ 10). Pass
# LSVQ's own labels file (`--reference-levels labels_train.txt`) for the exact distribution.
LSVQ_TRAIN_LEVELS = (0.005, 0.035, 0.40, 0.52, 0.04)


def level_distribution(scores, value_range=(0, 100), boundaries=LSVQ_BOUNDARIES) -> np.ndarray:
    """Fraction of `scores` in each of the five levels, worst first."""
    idx = level_index(to_0_100(scores, value_range), boundaries)
    counts = np.bincount(idx, minlength=NUM_LEVELS).astype(float)
    return counts / max(counts.sum(), 1.0)


def reference_levels(source: str | os.PathLike | None = "lsvq", value_range=(0, 100),
                     boundaries=LSVQ_BOUNDARIES) -> np.ndarray:
    """The reference distribution: 'lsvq' (built in), five comma-separated fractions
    ('0.1,0.2,0.4,0.2,0.1', worst first), or a labels file (video,mos) whose MOS are binned."""
    from vqa.data import read_labels

    if source is None or str(source).lower() == "lsvq":
        return np.asarray(LSVQ_TRAIN_LEVELS) / sum(LSVQ_TRAIN_LEVELS)
    text = str(source)
    if "," in text and not Path(text).exists():
        try:
            frac = np.asarray([float(x) for x in text.split(",")])
        except ValueError:
            raise ConfigError(f"reference levels {text!r}: not five numbers") from None
        if len(frac) != NUM_LEVELS or (frac < 0).any() or frac.sum() <= 0:
            raise ConfigError(f"reference levels {text!r}: need {NUM_LEVELS} fractions >= 0")
        return frac / frac.sum()
    if not Path(text).exists():
        raise FileNotFoundError(f"reference levels file not found: {text}")
    labels = read_labels(text)
    return level_distribution(labels.column("mos").to_numpy(), value_range, boundaries)


def read_pool(path: str | os.PathLike, dimension: str | None = None
              ) -> tuple[pd.DataFrame, str | None]:
    """The candidate pool as (video, mos) rows, one per video → (pool, dimension used). A
    per-dimension table (`vqa mos`'s mos.csv / mos.parquet) is cut to one dimension first:
    `dimension`, else overall; a plain labels file has no dimension (None)."""
    from vqa.data import SchemaError, read_labels

    path = Path(path)
    table = None
    if path.suffix in (".csv", ".parquet") and path.is_file():
        try:
            table = pd.read_parquet(path) if path.suffix == ".parquet" else \
                pd.read_csv(path)
        except (ValueError, OSError):
            table = None  # not a table pandas reads: read_labels says what is wrong
    if table is None or "dimension" not in table.columns:
        if dimension:
            raise SchemaError(f"{path}: --dimension {dimension}, but the pool has no "
                              f"'dimension' column (one score per video)")
        return read_labels(path).to_pandas(), None
    if table.empty:
        raise SchemaError(f"{path}: no rows; nothing to select from")
    have = sorted(set(table["dimension"].astype(str)))
    dimension = dimension or ("overall" if "overall" in have else None)
    if dimension not in have:
        why = f"--dimension {dimension} is not among them" if dimension else "no overall"
        raise SchemaError(f"{path}: a per-dimension MOS table ({', '.join(have)}); {why}",
                          "choose one with --dimension")
    if "mos" not in table.columns or "video" not in table.columns:
        raise SchemaError(f"{path}: need video and mos columns, got {list(table.columns)}")
    pool = table[table["dimension"].astype(str) == dimension][["video", "mos"]]
    return pool.reset_index(drop=True), dimension


def total_variation(p, q) -> float:
    """½·Σ|p − q|: 0 for identical level distributions, 1 for disjoint ones."""
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


def select_videos(pool: pd.DataFrame, n: int, reference, seed: int = 0,
                  value_range=(0, 100), boundaries=LSVQ_BOUNDARIES) -> tuple[pd.DataFrame, dict]:
    """Pick `n` rows of `pool` (columns video, mos = objective score) per level quotas from
    `reference`. A level with too few candidates gives all it has and the shortfall goes to
    the other levels by the same proportions; the report says so."""
    if n > len(pool):
        raise ConfigError(f"cannot select {n} videos from a pool of {len(pool)}")
    pool = pool.drop_duplicates("video").copy()
    pool["level"] = level_index(to_0_100(pool["mos"], value_range), boundaries)
    available = np.bincount(pool["level"], minlength=NUM_LEVELS)
    ref = np.asarray(reference, float)
    quota = largest_remainder(n, ref)
    target = quota.copy()
    short = np.maximum(quota - available, 0)
    quota = np.minimum(quota, available)
    while quota.sum() < n:  # hand the shortfall to levels that still have candidates
        spare = available - quota
        weights = np.where(spare > 0, np.maximum(ref, 1e-9), 0)
        quota += np.minimum(largest_remainder(n - quota.sum(), weights), spare)
    rng = np.random.default_rng(seed)
    picked = []
    for level in range(NUM_LEVELS):
        cand = pool[pool["level"] == level].sort_values("video")
        take = rng.choice(len(cand), size=int(quota[level]), replace=False)
        picked.append(cand.iloc[np.sort(take)])
    selected = pd.concat(picked).reset_index(drop=True)
    selected["level_name"] = [OMNIVQA_WORDS[i] for i in selected["level"]]
    got = quota / max(n, 1)
    report = {"n": n, "reference": dict(zip(OMNIVQA_WORDS, np.round(ref, 4).tolist())),
              "target_counts": dict(zip(OMNIVQA_WORDS, target.tolist())),
              "selected_counts": dict(zip(OMNIVQA_WORDS, quota.tolist())),
              "shortfall": {w: int(s) for w, s in zip(OMNIVQA_WORDS, short) if s},
              "total_variation": round(total_variation(got, ref), 4)}
    return selected, report

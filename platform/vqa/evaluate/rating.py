"""Rating metrics: SRCC / PLCC / KRCC between predictions and labels (scipy underneath), and a
model's predictions on labelled clips — overall by level logits, dimensions by the score head."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def correlations(pred, label) -> dict[str, float]:
    """SRCC, PLCC, KRCC (raw, no logistic fit); NaN, and `note` saying why, where they would
    mean nothing (`metrics.not_meaningful`)."""
    from vqa.evaluate.metrics import not_meaningful

    p, y = np.asarray(pred, float), np.asarray(label, float)
    if note := not_meaningful(p, y):
        return {"srcc": math.nan, "plcc": math.nan, "krcc": math.nan, "n": len(p), "note": note}
    return {"srcc": float(stats.spearmanr(p, y)[0]), "plcc": float(stats.pearsonr(p, y)[0]),
            "krcc": float(stats.kendalltau(p, y)[0]), "n": len(p)}


def tie_ceiling(label, draws: int = 200, seed: int = 0) -> float:
    """The SRCC of a perfect ranker whose predictions for tied labels fall in random order: the
    most a continuous predictor can expect where most labels tie (a dimension that few clips
    damage, so every other clip is labelled 100). The mean over `draws` random orders."""
    y = np.asarray(label, float)
    if len(y) < 3 or np.std(y) == 0:
        return math.nan
    rng = np.random.default_rng(seed)
    # tied groups' average ranks lie ≥ 1 apart, so noise below 0.5 reorders ties only
    ranks = stats.rankdata(y)
    return float(np.mean([stats.spearmanr(ranks + 0.49 * rng.random(len(y)), y)[0]
                          for _ in range(draws)]))


def rate_labelled(model, rows: list[dict]) -> list[dict]:
    """rows: {"video", "mos", <dimension>: score …} → each row with `pred` (1–5 level-logit
    score) and `pred_<dimension>` (score head, label scale) added; a clip that fails is skipped."""
    from vqa.errors import VideoError

    out = []
    for r in rows:
        try:
            res = model.rate(r["video"])
        except (VideoError, FileNotFoundError):
            continue
        out.append({**r, "pred": res["score"],
                    **{f"pred_{d}": v for d, v in res["dimensions"].items()}})
    return out


def rating_table(rated: list[dict], dimensions: list[str]) -> dict[str, dict]:
    """{"overall (level logits)": corr, "<dim> (head)": corr …} over the rated rows, each with
    its `srcc_ceiling` (`tie_ceiling` of its labels)."""
    pairs = {"overall (level logits)": ("pred", "mos")}
    for d in dimensions:
        if rated and f"pred_{d}" in rated[0] and d in rated[0]:
            pairs[f"{d} (head)"] = (f"pred_{d}", d)
    return {name: {**correlations([r[p] for r in rated], [r[y] for r in rated]),
                   "srcc_ceiling": tie_ceiling([r[y] for r in rated])}
            for name, (p, y) in pairs.items()}


def targets(rated: list[dict], head_dims: list[str] = ()) -> list[tuple[str, str, str]]:
    """(table name, prediction column, label column) for what the rows can compare: overall by
    level logits, then each dimension the model predicts and the labels carry (the score head's
    overall against the MOS)."""
    out = [("overall (level logits)", "pred", "mos")]
    dims = sorted({k[5:] for r in rated for k in r if k.startswith("pred_")})
    for d in dims:
        label = "mos" if d == "overall" else d
        if any(r.get(label) is not None and r.get(f"pred_{d}") is not None for r in rated):
            how = "head" if d in head_dims else "level logits"
            out.append((f"{d} ({how})", f"pred_{d}", label))
    return out


def metrics_table(rated: list[dict], head_dims: list[str] = (), n_resamples: int = 1000,
                  confidence: float = 0.95, seed: int = 0) -> list[dict]:
    """One row per (subset, target): every subset the labels carry, then all videos together;
    metrics raw and after the logistic fit, with bootstrap bounds."""
    from vqa.evaluate.metrics import rating_metrics

    subsets = sorted({r["subset"] for r in rated if r.get("subset")})
    groups = [(s, [r for r in rated if r.get("subset") == s]) for s in subsets]
    groups.append(("all", rated))
    rows = []
    for subset, rs in groups:
        for name, pcol, lcol in targets(rs, head_dims):
            pairs = [(r[pcol], r[lcol]) for r in rs
                     if r.get(pcol) is not None and r.get(lcol) is not None]
            if not pairs:
                continue
            p, y = zip(*pairs)
            rows.append({"subset": subset, "target": name, "pred": pcol, "label": lcol,
                         **rating_metrics(p, y, n_resamples, confidence, seed)})
    return rows

"""Rating metrics the VQA literature reports: SRCC, KRCC, PLCC and RMSE, raw and after the VQEG
4-parameter logistic fit (PLCC/RMSE are only comparable across models after that fit: a model's
scale is its own), with bootstrap confidence intervals. scipy does the statistics; written here
is only the logistic (VQEG's formula) and the choice of what to report."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import optimize, special, stats

RAW, FITTED = "raw", "logistic"
NAMES = ("srcc", "krcc", "plcc", "rmse")  # every one reported raw and after the fit
MIN_DISTINCT = 3  # label values: with two, any correlation only says which group is which


def logistic4(x, b1, b2, b3, b4):
    """VQEG (2003) 4-parameter logistic: b2 + (b1 - b2) / (1 + exp(-(x - b3) / |b4|)), written
    with `expit` so a steep curve saturates instead of overflowing `exp`."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return b2 + (b1 - b2) * special.expit((np.asarray(x, float) - b3) / abs(b4))


def not_meaningful(pred, label) -> str | None:
    """Why a correlation of these predictions with these labels means nothing, or None: too
    few videos, fewer than MIN_DISTINCT distinct label values (2 give 1.000 for any predictor
    that separates the groups), or constant predictions."""
    x, y = np.asarray(pred, float), np.asarray(label, float)
    if len(x) < 3:
        return f"{len(x)} videos (3 needed)"
    distinct = len(np.unique(y))
    if distinct < MIN_DISTINCT:
        return f"{distinct} distinct label value{'s' * (distinct != 1)} in {len(y)} videos " \
               f"({MIN_DISTINCT} needed)"
    if np.std(x) == 0:
        return f"constant predictions over {len(x)} videos"
    return None


def step_fit(pred, params) -> str | None:
    """Why a logistic fit is degenerate, or None: a step — the fitted values in two tight
    groups, one gap ≥ 90 % of their range — only splits the videos in two, and its PLCC reads
    near 1.000 whatever the order within each group."""
    fitted = np.sort(logistic4(pred, *params))
    spread = fitted[-1] - fitted[0]
    if len(fitted) < 2 or spread <= 0:
        return "degenerate logistic fit (constant)"
    gap = int(np.argmax(np.diff(fitted)))
    if np.diff(fitted)[gap] < 0.9 * spread:
        return None
    return f"degenerate logistic fit (a step: {gap + 1} and {len(fitted) - gap - 1} of " \
           f"{len(fitted)} videos on its two plateaus)"


def fit_logistic(pred, label, p0=None) -> np.ndarray | None:
    """Least-squares fit of `logistic4` mapping predictions onto the label scale; starts from
    VQEG's recommended initial guess (max, min, mean, std) unless given one. None when it does
    not converge or there are too few videos (five at least: four parameters)."""
    x, y = np.asarray(pred, float), np.asarray(label, float)
    if len(x) < 5:
        return None
    p0 = [y.max(), y.min(), x.mean(), x.std() or 1.0] if p0 is None else p0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            params, _ = optimize.curve_fit(logistic4, x, y, p0=p0, maxfev=20000)
    except (RuntimeError, ValueError, TypeError):
        return None
    return params if np.all(np.isfinite(params)) else None


def _degenerate(x: np.ndarray, y: np.ndarray) -> bool:
    return not_meaningful(x, y) is not None


def _corr(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    if _degenerate(x, y):
        return {"srcc": math.nan, "krcc": math.nan, "plcc": math.nan,
                "rmse": float(np.sqrt(np.mean((x - y) ** 2))) if len(x) else math.nan}
    return {"srcc": float(stats.spearmanr(x, y)[0]), "krcc": float(stats.kendalltau(x, y)[0]),
            "plcc": float(stats.pearsonr(x, y)[0]), "rmse": float(np.sqrt(np.mean((x - y) ** 2)))}


def point_metrics(pred, label) -> dict[str, float]:
    """{"<name>_raw", "<name>_logistic" for srcc/krcc/plcc/rmse, "n", "fit_ok", "note"}: raw
    on the model's own scale; logistic after mapping predictions onto the label scale. NaN
    where the numbers would mean nothing, and `note` says why (with the count)."""
    x, y = np.asarray(pred, float), np.asarray(label, float)
    note = not_meaningful(x, y)
    out: dict = {f"{k}_{RAW}": v for k, v in _corr(x, y).items()}
    params = None if note else fit_logistic(x, y)
    if params is not None and (why := step_fit(x, params)):
        params, note = None, why
    elif params is None and not note:
        note = "the logistic fit did not converge"
    fitted = _corr(logistic4(x, *params), y) if params is not None else \
        dict.fromkeys(NAMES, math.nan)
    out.update({f"{k}_{FITTED}": v for k, v in fitted.items()})
    out.update(n=len(x), fit_ok=params is not None, note=note or "")
    return out


def _vec_pearson(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    xm = x - x.mean(axis=axis, keepdims=True)
    ym = y - y.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xm * ym).sum(axis) / np.sqrt((xm ** 2).sum(axis) * (ym ** 2).sum(axis))


def _vec_spearman(x, y, axis=-1):
    return _vec_pearson(stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis), axis)


def _fitted_plcc(p0):
    """PLCC after the fit, refitted on each resample (warm-started from the full-data fit)."""
    def stat(x, y):
        params = None if _degenerate(x, y) else fit_logistic(x, y, p0)
        if params is None or step_fit(x, params):
            return math.nan
        return float(stats.pearsonr(logistic4(x, *params), y)[0])
    return stat


STATISTICS = {  # name → (statistic(x, y[, axis]) or a maker of one from the fit, vectorized)
    f"srcc_{RAW}": (_vec_spearman, True),
    f"plcc_{RAW}": (_vec_pearson, True),
    f"krcc_{RAW}": (lambda x, y: stats.kendalltau(x, y)[0], False),
    f"plcc_{FITTED}": (_fitted_plcc, False),
}


def bootstrap_ci(pred, label, names=tuple(STATISTICS), n_resamples: int = 1000,
                 confidence: float = 0.95, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap CIs (videos resampled in pairs, `scipy.stats.bootstrap`) of the
    named statistics → {name: (low, high)}; NaN bounds when there are too few videos."""
    x, y = np.asarray(pred, float), np.asarray(label, float)
    out = {}
    for name in names:
        fn, vectorized = STATISTICS[name]
        p0 = None if _degenerate(x, y) or not name.endswith(FITTED) else fit_logistic(x, y)
        if p0 is not None and step_fit(x, p0):
            p0 = None
        if _degenerate(x, y) or n_resamples < 1 or (name.endswith(FITTED) and p0 is None):
            out[name] = (math.nan, math.nan)
            continue
        fn = fn(p0) if name.endswith(FITTED) else fn
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore")  # constant resamples: NaN, kept out of the bounds
            res = stats.bootstrap((x, y), fn, paired=True, vectorized=vectorized,
                                  n_resamples=n_resamples, confidence_level=confidence,
                                  method="percentile", rng=np.random.default_rng(seed))
        ci = res.confidence_interval
        out[name] = (float(ci.low), float(ci.high))
    return out


def rating_metrics(pred, label, n_resamples: int = 1000, confidence: float = 0.95,
                   seed: int = 0) -> dict[str, float]:
    """Point metrics + `<name>_lo` / `<name>_hi` bootstrap bounds: one table row."""
    out = point_metrics(pred, label)
    for name, (lo, hi) in bootstrap_ci(pred, label, n_resamples=n_resamples,
                                       confidence=confidence, seed=seed).items():
        out[f"{name}_lo"], out[f"{name}_hi"] = lo, hi
    return out

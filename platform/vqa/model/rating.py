"""One rating, read one way everywhere (`vqa score`, `/rate`, the page, the pipeline table,
MLflow, evaluation predictions): a model's raw `rate` output → the readings a user sees.

- the score on its own scale (the level weights, 1–5) and on 0–100 (`to_100`, a linear map);
- its level: the level whose band on 0–100 holds the score (`level_of_100`; the bands the
  labels were cut with, LSVQ's 20/40/60/80 for five levels) — a 3.53 of 5 is "good";
- apart and labelled, the likeliest level (the arg-max of the level probabilities) and its
  probability, which can differ from the score's level (3.53 with p(excellent) = 0.40);
- the score head's dimensions clipped to the scale they declare (a regression head can leave
  it), each clipped one recorded with its raw value; the head's own `overall` named
  `overall_head`, apart from the score."""

from __future__ import annotations

import numpy as np

from vqa.subjective.levels import level_index, to_0_100

UNCERTAIN_P = 0.4  # a likeliest level below this probability is reported as uncertain
HEAD_OVERALL = "overall_head"  # the score head's `overall`, never confused with the score


def to_100(score: float, value_range) -> float:
    """A score on `value_range` (e.g. the level weights' 1–5) on 0–100."""
    return float(to_0_100([score], (min(value_range), max(value_range)))[0])


def level_of_100(score_100: float, words_best_first) -> str:
    """The level whose band holds a 0–100 score: equal bands (20/40/60/80 for five levels,
    the LSVQ cut points the labels use); a score on a cut point goes up."""
    words = list(words_best_first)
    n = len(words)
    bounds = [100.0 * i / n for i in range(1, n)]
    return words[n - 1 - int(level_index([score_100], bounds)[0])]


def scales(cfg) -> dict:
    """What each number means: the overall score's range, and each dimension's."""
    w = cfg.scoring.weights
    lo, hi = min(w), max(w)
    dims = {d: [lo, hi] for d in cfg.scoring.dimensions}
    if cfg.head.enabled:
        head = [0.0, cfg.head.scale] if cfg.head.scale > 1 else "score head (targets' scale)"
        dims.update({_head_name(d): head for d in cfg.head.dimensions})
    return {"score": [lo, hi], "score_100": [0.0, 100.0], "dimensions": dims}


def _head_name(dim: str) -> str:
    return HEAD_OVERALL if dim == "overall" else dim


def clip_dimensions(dimensions: dict, ranges: dict) -> tuple[dict, dict]:
    """→ (each dimension within its declared range, {dimension: raw value} for those clipped)."""
    kept, clipped = {}, {}
    for d, v in dimensions.items():
        r = ranges.get(d)
        if isinstance(r, list) and not r[0] <= v <= r[1]:
            clipped[d] = float(v)
            v = float(np.clip(v, r[0], r[1]))
        kept[d] = float(v)
    return kept, clipped


def describe(cfg, rating: dict) -> dict:
    """A model's `rate` output ({score, level (arg-max), probs, dimensions}) → the reading."""
    sc = scales(cfg)
    score = float(rating["score"])
    s100 = to_100(score, sc["score"])
    likeliest = max(rating["probs"], key=rating["probs"].get)
    p = float(rating["probs"][likeliest])
    head = set(cfg.head.dimensions) if cfg.head.enabled else set()
    dims = {(_head_name(d) if d in head else d): v for d, v in rating["dimensions"].items()}
    dims, clipped = clip_dimensions(dims, sc["dimensions"])
    return {"score": score, "score_100": s100, "level": level_of_100(s100, cfg.scoring.levels),
            "likeliest_level": likeliest, "p_likeliest": p, "uncertain": p < UNCERTAIN_P,
            "probs": rating["probs"], "dimensions": dims,
            **({"clipped": clipped} if clipped else {}),
            **{k: v for k, v in rating.items()
               if k not in ("score", "level", "probs", "dimensions")}}


def one_line(r: dict) -> str:
    """A described rating in a few words (tables): the score, its level, the likeliest apart."""
    return (f"{r['score']:.2f} ({r['level']}; likeliest {r['likeliest_level']} "
            f"p={r['p_likeliest']:.2f})")

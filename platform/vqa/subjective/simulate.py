"""A simulated subjective study with a known ground truth, for tests, the demo and benchmarks.

Each video has a latent quality; each dimension's true score on the rating scale follows it with
its own spread (temporal least, overall most). Good subjects rate truth·gain + bias + noise,
rounded to the scale's step and clipped, and slip now and then (a random score). Bad subjects
are the kinds BT.500 screening exists for: a random clicker and a subject who inverts the scale.
Distortion dimensions also get attribute ticks (the true type when the distortion is visible).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vqa.data import DIMENSIONS

# FineVD offers three common types per dimension + "other" + "none"; the paper's figure with
# the names did not survive, these are representative ones.
ATTRIBUTE_OPTIONS = {
    "color": ("over-exposure", "under-exposure", "color cast"),
    "noise": ("sensor noise", "low-light noise", "grain"),
    "artifact": ("blocking", "ringing", "banding"),
    "blur": ("out of focus", "motion blur", "upscaling blur"),
    "temporal": ("stutter", "jitter", "flicker"),
}
BAD_KINDS = ("random", "inverted")


@dataclass
class StudySpec:
    subjects: int = 22            # FineVD's panel
    videos: int = 300
    dimensions: tuple[str, ...] = DIMENSIONS
    bad_subjects: int = 2         # the last ones; kinds cycle through BAD_KINDS
    scale: tuple[float, float] = (1.0, 5.0)
    step: float = 1.0             # 0 for a continuous slider
    noise: tuple[float, float] = (0.35, 0.7)  # per-subject rating noise sd, uniform in this range
    bias: float = 0.15            # per-subject offset sd (z-scores remove it)
    slip_rate: float = 0.01       # chance that a good subject enters a random score
    attributes: bool = True
    seed: int = 0


def subject_ids(n: int) -> list[str]:
    return [f"s{i:02d}" for i in range(n)]


def simulate_study(spec: StudySpec | None = None, quality: dict[str, float] | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(ratings, truth, info): the long ratings table, (video, dimension, truth) and
    info = {"bad_subjects": {subject: kind}, "slips": number of planted slips}.
    `quality` (video → 0–100, e.g. objective labels) names the videos and sets their latent
    quality; without it `spec.videos` anonymous videos get a uniform one."""
    import dataclasses

    spec = spec or StudySpec()
    rng = np.random.default_rng(spec.seed)
    lo, hi = spec.scale
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    if quality:
        videos = list(quality)
        spec = dataclasses.replace(spec, videos=len(videos))
        latent = np.clip((np.array([quality[v] for v in videos], float) - 50.0) / 50.0, -1, 1)
    else:
        videos = [f"v{i:04d}" for i in range(spec.videos)]
        latent = rng.uniform(-1, 1, spec.videos)
    truth = {}
    for j, dim in enumerate(spec.dimensions):
        own = rng.uniform(-1, 1, spec.videos)
        weight = 0.9 if dim == "overall" else (0.4 if dim == "temporal" else 0.65)
        t = weight * latent + (1 - weight) * own
        truth[dim] = mid + 0.85 * half * t / np.abs(t).max()
    subjects = subject_ids(spec.subjects)
    bad = {s: BAD_KINDS[i % len(BAD_KINDS)]
           for i, s in enumerate(subjects[spec.subjects - spec.bad_subjects:])}
    rows, slips = [], 0
    for s in subjects:
        sd, bias = rng.uniform(*spec.noise), rng.normal(0, spec.bias)
        gain = rng.uniform(0.85, 1.15)
        for dim in spec.dimensions:
            t = truth[dim]
            if bad.get(s) == "random":
                score = rng.uniform(lo, hi, spec.videos)
            elif bad.get(s) == "inverted":
                score = (lo + hi - t) + rng.normal(0, sd, spec.videos)
            else:
                score = mid + gain * (t - mid) + bias + rng.normal(0, sd, spec.videos)
                slip = rng.random(spec.videos) < spec.slip_rate
                slips += int(slip.sum())
                score = np.where(slip, rng.uniform(lo, hi, spec.videos), score)
            if spec.step:
                score = lo + np.round((score - lo) / spec.step) * spec.step
            score = np.clip(score, lo, hi)
            attrs = _attributes(rng, dim, t, score, lo, hi, spec) if spec.attributes else None
            for i, v in enumerate(videos):
                row = {"subject": s, "video": v, "dimension": dim, "score": float(score[i])}
                if attrs is not None:
                    row["attributes"] = attrs[i]
                rows.append(row)
    truth_df = pd.DataFrame([{"video": v, "dimension": d, "truth": float(truth[d][i])}
                             for d in spec.dimensions for i, v in enumerate(videos)])
    return pd.DataFrame(rows), truth_df, {"bad_subjects": bad, "slips": slips}


def true_attribute(dim: str, video_index: int) -> str:
    options = ATTRIBUTE_OPTIONS[dim]
    return options[video_index % len(options)]


def _attributes(rng, dim, truth, score, lo, hi, spec) -> list[str]:
    """A subject ticks the true type when they rated the dimension in its lower half."""
    if dim not in ATTRIBUTE_OPTIONS:
        return [""] * len(truth)
    seen = score < lo + (hi - lo) / 2
    miss = rng.random(len(truth)) < 0.1
    return [true_attribute(dim, i) if (s and not m) else "none"
            for i, (s, m) in enumerate(zip(seen, miss))]

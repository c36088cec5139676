"""Facts a question can ask about, and plausible wrong values for each (neighbouring locations,
other seconds, other types, other levels): shared by the training QA and the benchmark."""

from __future__ import annotations

import numpy as np

from vqa.distort.describe import TYPE_NAMES, count_text, seconds_text, span_text
from vqa.distort.regions import neighbours
from vqa.distort.spatial import LEVEL_NAMES, SPATIAL_TYPES
from vqa.distort.spec import STUTTER, Distortion

SPATIAL_ASPECTS = ("what", "where", "when", "severity")
STUTTER_ASPECTS = ("what", "when", "count")


def facts(specs: list[Distortion]) -> dict:
    """The askable values of a clip (one spatial distortion, or its stutter events)."""
    if specs and specs[0].spatial:
        s = specs[0]
        return {"kind": "spatial", "type": TYPE_NAMES[s.type], "what": TYPE_NAMES[s.type],
                "where": s.location, "when": span_text(s.start, s.duration),
                "severity": s.level_name, "location": s.location,
                "span": span_text(s.start, s.duration), "level": s.level_name}
    starts = [s.start for s in specs]
    return {"kind": "temporal", "type": TYPE_NAMES[STUTTER], "what": TYPE_NAMES[STUTTER],
            "when": seconds_text(starts), "count": count_text(len(starts)),
            "seconds": seconds_text(starts)}


def alternatives(aspect: str, specs: list[Distortion], clip_seconds: int,
                 rng: np.random.Generator, k: int = 3) -> list[str]:
    """Up to k wrong values for `aspect`, most plausible first, all different from the truth."""
    s = specs[0]
    if aspect == "what":
        pool = [TYPE_NAMES[t] for t in SPATIAL_TYPES if t != s.type]
        return [pool[i] for i in rng.permutation(len(pool))[:k]]
    if aspect == "where":
        near = neighbours(s.location)
        return near[:k]
    if aspect == "severity":
        return [LEVEL_NAMES[lv] for lv in sorted(LEVEL_NAMES) if lv != s.level][:k]
    if aspect == "count":
        n = len(specs)
        return [count_text(c) for c in sorted({1, 2, 3, 4} - {n}, key=lambda c: abs(c - n))][:k]
    if aspect == "when" and s.spatial:
        truth = (s.start, s.duration)
        spans = [(a, d) for d in range(1, 4) for a in range(0, clip_seconds - d + 1)
                 if (a, d) != truth]
        spans.sort(key=lambda ad: (abs(ad[0] - truth[0]) + abs(ad[1] - truth[1]), rng.random()))
        return [span_text(a, d) for a, d in spans[:k]]
    if aspect == "when":
        starts = sorted(x.start for x in specs)
        truth = seconds_text(starts)
        found: list[str] = []
        for _ in range(50):  # shift one event by ±1..2 seconds, stay inside the clip
            moved = list(starts)
            j = int(rng.integers(len(moved)))
            moved[j] = int(np.clip(moved[j] + rng.choice([-2, -1, 1, 2]), 0, clip_seconds - 1))
            text = seconds_text(sorted(set(moved)))
            if text != truth and text not in found:
                found.append(text)
            if len(found) == k:
                break
        return found
    raise ValueError(f"unknown aspect {aspect!r}")

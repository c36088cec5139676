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
        # A wrong time names no second of the true window [start, start + duration): "the 5th
        # second" is not wrong for a distortion over the 5th to the 6th second, so a "No" to it
        # would teach a lie. Nearest disjoint spans first.
        a0, a1 = s.start, s.start + s.duration
        spans = [(a, d) for d in range(1, 4) for a in range(0, clip_seconds - d + 1)
                 if a + d <= a0 or a >= a1]
        spans.sort(key=lambda ad: (abs(ad[0] - a0) + abs(ad[1] - s.duration), rng.random()))
        return [span_text(a, d) for a, d in spans[:k]]
    if aspect == "when":
        # Stutter: the same number of events, none at a second that truly stutters (shifting
        # one event would keep the others true). Every event shifted together first: the
        # events are non-adjacent, so a ±1 s shift is disjoint and stays plausible.
        starts = sorted(x.start for x in specs)
        taken = {t for x in specs for t in range(x.start, x.start + x.duration)}
        free = [t for t in range(1, clip_seconds) if t not in taken]
        found: list[str] = []
        for shift in rng.permutation([1, -1, 2, -2]).tolist():
            moved = [t + shift for t in starts]
            if all(t in free for t in moved):
                found.append(seconds_text(moved))
        for _ in range(50):
            if len(found) >= k or len(free) < len(starts):
                break
            pick = sorted(int(t) for t in rng.choice(free, size=len(starts), replace=False))
            text = seconds_text(pick)
            if text not in found:
                found.append(text)
        return found[:k]
    raise ValueError(f"unknown aspect {aspect!r}")

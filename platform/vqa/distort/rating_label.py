"""The synthetic quality label of a globally degraded clip (KADID-10k / LIVE-style synthetic MOS
on the LSVQ 0–100 scale) — the one rule the rating mode uses, written down:

1. A clip carries 0, 1 or 2 degradations, each (type, severity 1..5); each type damages one
   FineVD dimension: blur → blur, noise → noise, jpeg/h264 → artifact, over/under-exposure,
   colour cast, desaturation → color, stutter/judder → temporal.
2. A degradation at severity s removes `penalty[s-1]` points (default 26, 42, 58, 74, 90) from
   its dimension's score, which starts at 100 (undistorted). Two on one dimension: their
   remaining shares multiply, like rule 3.
3. overall = 100 · Π_d (score_d / 100): each damaged dimension keeps only its share of what
   is left, so two degradations are worse than either alone. mos = overall.
4. Levels from the scores with the LSVQ cut points 20/40/60/80 (`vqa.subjective.levels`): overall
   in OmniVQA words (low..excellent), each dimension in FineVD words (severe..undistorted for
   noise/artifact/blur, bad..excellent for color/temporal).
Monotone: more severity, or one more degradation, never raises any score (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vqa.data.schemas import DIMENSIONS
from vqa.distort.degrade import DIMENSION_OF, SEVERITIES
from vqa.errors import ConfigError
from vqa.subjective.levels import LSVQ_BOUNDARIES, OMNIVQA_WORDS, level_index, words

FIVE = tuple(d for d in DIMENSIONS if d != "overall")


@dataclass
class LabelParams:
    penalty: list[float] = field(default_factory=lambda: [26.0, 42.0, 58.0, 74.0, 90.0])

    def validate(self) -> None:
        p = list(self.penalty)
        if len(p) != len(SEVERITIES) or not all(0 < a < b <= 100 for a, b in zip(p, p[1:])) \
                or p[0] <= 0:
            raise ConfigError(f"label.penalty: need {len(SEVERITIES)} strictly rising points in "
                              f"(0, 100], got {p}")


def scores(degradations: list[tuple[str, int]], p: LabelParams | None = None) -> dict[str, float]:
    """The six FineVD dimension scores (0–100, 100 = undistorted) of a clip."""
    p = p or LabelParams()
    keep = dict.fromkeys(FIVE, 1.0)
    for kind, sev in degradations:
        keep[DIMENSION_OF[kind]] *= 1.0 - p.penalty[int(sev) - 1] / 100.0
    out = {d: round(100.0 * keep[d], 3) for d in FIVE}
    overall = 1.0
    for d in FIVE:
        overall *= keep[d]
    out["overall"] = round(100.0 * overall, 3)
    return out


def level_words(sc: dict[str, float]) -> dict[str, str]:
    """Level word per dimension: OmniVQA words for overall, FineVD words for the others."""
    out = {}
    for d, v in sc.items():
        idx = int(level_index([v], LSVQ_BOUNDARIES)[0])
        out[d] = OMNIVQA_WORDS[idx] if d == "overall" else words(d, "finevd")[idx]
    return out

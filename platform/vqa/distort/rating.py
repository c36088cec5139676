"""Rating mode: per source, which clips to make (references + one or two global degradations at
balanced severities), the split by source, and the instruction samples of a labelled clip."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from vqa.distort.degrade import CASTS, DIMENSION_OF, GLOBAL_TYPES, SEVERITIES, DegradeParams
from vqa.distort.rating_label import FIVE, LabelParams
from vqa.errors import ConfigError

SPLITS = ("train", "val", "test")


@dataclass
class RatingParams:
    clips_per_source: int = 12         # references + singles + doubles
    references: int = 1                # untouched clips per source (label 100)
    double_share: float = 0.35         # share of the degraded clips with two degradations
    types: list[str] = field(default_factory=lambda: list(GLOBAL_TYPES))
    max_seconds: float | None = 4.0    # cut long sources (training clips need not be long)
    min_chroma: float = 2.0            # below it (0–255) a source is grey: no desaturation
    min_motion: float = 0.5            # below it (0–255 per frame) a source is still: no
                                       # stutter / judder (see degrade.visible_types)
    splits: dict[str, float] = field(default_factory=lambda: {"train": 0.7, "val": 0.1,
                                                              "test": 0.2})
    split_salt: str = "rating"
    held_out: list[str] = field(default_factory=list)  # source ids that ARE the test split
    # (the rest go to train / val by their fractions): with a few dozen sources a hashed split
    # is lumpy (seen: 6 of 7 held-out sources greyscale scans), so a team pins what it reports on
    dimension_questions: bool = True   # FineVQ's per-dimension questions besides the overall one
    degrade: DegradeParams = field(default_factory=DegradeParams)
    label: LabelParams = field(default_factory=LabelParams)

    def validate(self) -> None:
        bad = set(self.types) - set(GLOBAL_TYPES)
        if bad or not self.types:
            raise ConfigError(f"rating.types: unknown {sorted(bad)}; known {list(GLOBAL_TYPES)}")
        if not 0 <= self.references <= self.clips_per_source or self.clips_per_source < 1:
            raise ConfigError("rating: need 0 <= references <= clips_per_source, >= 1 clip")
        if not 0 <= self.double_share <= 1:
            raise ConfigError("rating.double_share must be in [0, 1]")
        if set(self.splits) != set(SPLITS) or any(v < 0 for v in self.splits.values()) \
                or abs(sum(self.splits.values()) - 1) > 1e-6:
            raise ConfigError(f"rating.splits: fractions for {list(SPLITS)} summing to 1, "
                              f"got {self.splits}")
        if self.min_chroma < 0 or self.min_motion < 0:
            raise ConfigError("rating.min_chroma and rating.min_motion must be >= 0")
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ConfigError("rating.max_seconds must be > 0 (or null: whole sources)")
        self.degrade.validate()
        self.label.validate()


def _unit(*parts) -> float:
    h = hashlib.sha1(":".join(str(p) for p in parts).encode()).digest()[:8]
    return int.from_bytes(h, "big") / 2**64


def split_of(source_id: str, seed: int, p: RatingParams) -> str:
    """Deterministic from (salt, seed, source id): every clip of a source is in one split."""
    if p.held_out:
        if source_id in p.held_out:
            return "test"
        rest = p.splits["train"] + p.splits["val"]
        fractions = {"train": p.splits["train"] / rest if rest else 1.0, "val": 0.0, "test": 0.0}
        fractions["val"] = 1.0 - fractions["train"]
    else:
        fractions = p.splits
    u, acc = _unit(p.split_salt, seed, source_id), 0.0
    for name in SPLITS:
        acc += fractions[name]
        if u < acc:
            return name
    return SPLITS[-1]


def plan_source(source_id: str, seed: int, p: RatingParams,
                types: list[str] | None = None) -> list[dict]:
    """Clip plans: {clip_id, degradations: [(type, severity)], cast}. Types (`p.types`, or the
    subset that is visible on this source) cycle through a per-source permutation; a double pairs
    two types of different dimensions. Severities start from a per-source offset spread over the
    types and step on each time a type (or a double's pair) comes round again, so a source never
    gets the same plan twice while a type has severities left (severities stepping with the clip
    counter instead repeated every plan of 10-type colour sources after 10 clips)."""
    rng = np.random.default_rng(int(_unit("plan", seed, source_id) * 2**63))
    pool = list(p.types if types is None else types)
    if not pool:
        raise ValueError("no degradation type is visible on this source")
    types = [pool[i] for i in rng.permutation(len(pool))]
    cycle = len(types)
    degraded = p.clips_per_source - p.references
    doubles = int(round(degraded * p.double_share))
    if len({DIMENSION_OF[t] for t in types}) < 2:
        doubles = 0
    offset = int(rng.integers(len(SEVERITIES)))
    sev = lambda k: SEVERITIES[(offset + k) % len(SEVERITIES)]  # noqa: E731
    rounds: dict = {}

    def came_round(slot) -> int:  # how often this slot has been planned before
        rounds[slot] = rounds.get(slot, 0) + 1
        return rounds[slot] - 1

    plans = [{"degradations": []} for _ in range(p.references)]
    for i in range(degraded - doubles):
        j = i % cycle
        plans.append({"degradations": [(types[j], sev(j + came_round(("single", j))))]})
    for i in range(doubles):
        j = (i * 2 + 1) % cycle
        a = types[j]
        b = next(t for t in types[(i * 2 + 2) % cycle:] + types
                 if DIMENSION_OF[t] != DIMENSION_OF[a])
        k = j + came_round(("double", j))
        plans.append({"degradations": [(a, sev(k)), (b, sev(k + 2))]})
    casts = list(CASTS)
    for n, plan in enumerate(plans):
        name = "+".join(f"{t}-{s}" for t, s in plan["degradations"]) or "ref"
        plan["clip_id"] = f"{source_id}__{n:02d}_{name}"
        plan["cast"] = casts[int(rng.integers(len(casts)))]
    return plans


def clip_samples(clip_id: str, video: str, sc: dict, words: dict, split: str, meta: dict,
                 p: RatingParams, question: str, answer_prefix: str) -> list[dict]:
    """OmniVQA's rating question (→ the overall level word) and, when on, FineVQ's question per
    dimension (→ that dimension's word), in the model's own prompt wording so the level word is
    the token right after the answer prefix that `vqa.model.scoring` reads."""
    dims = ["overall", *(FIVE if p.dimension_questions else ())]
    out = []
    for d in dims:
        phrase = "" if d == "overall" else f"{d} "
        out.append({
            "id": f"{clip_id}-rating" + ("" if d == "overall" else f"-{d}"), "video": video,
            "task": "rating", "mos": float(sc["overall"]), "scores": dict(sc),
            "conversations": [
                {"from": "human", "value": "<video>\n" + question.format(dimension=phrase)},
                {"from": "gpt", "value": f"{answer_prefix.format(dimension=phrase)} "
                                         f"{words[d]}."}],
            "meta": dict(meta, source="synthesize-rating", dimension=d, level=words[d],
                         split=split, clip_id=clip_id)})
    return out

"""Judge voting (§3.2, App. A.2): R rounds on the paper's 0/1/2 scale. Any round at or below the
threshold sends the factor to a human, who picks the summary or that round's modified summary;
otherwise the majority score picks the post-processing (2 keep, 1 use the modified summary)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from vqa.annotate.endpoints import Malformed
from vqa.annotate.jsonout import loads_object
from vqa.errors import ConfigError

KEEP, MODIFY, HUMAN = "keep", "modify", "human"


@dataclass
class VotingConfig:
    rounds: int = 3  # OmniVQA: 3 voting rounds per factor
    scale: list[int] = field(default_factory=lambda: [0, 1, 2])
    human_threshold: int = 0  # any round scoring <= this → human review
    actions: list[str] = field(default_factory=lambda: [HUMAN, MODIFY, KEEP])  # by score 0, 1, 2
    tie: Literal["lower", "higher"] = "lower"  # majority ties (e.g. even rounds): be conservative
    always_review: list[str] = field(default_factory=list)  # factors a human always sees

    def validate(self) -> None:
        if self.rounds < 1:
            raise ConfigError(f"voting.rounds must be >= 1, got {self.rounds}")
        if len(self.actions) != len(self.scale) or set(self.actions) - {KEEP, MODIFY, HUMAN}:
            raise ConfigError(f"voting.actions: one of keep/modify/human per score in "
                              f"{self.scale}, got {self.actions}")


@dataclass
class Vote:
    score: int
    modified: str = ""


@dataclass
class Decision:
    action: str  # keep / modify / human
    score: int  # the majority score
    text: str | None  # the final summary; None while a human has to choose
    review_round: int | None = None  # the round whose modified summary the human sees


def parse_vote(text: str, scale: list[int]) -> Vote:
    obj = loads_object(text)
    try:
        score = int(obj.get("score"))
    except (TypeError, ValueError):
        raise Malformed(f"judge: score {obj.get('score')!r} is not a number") from None
    if score not in scale:
        raise Malformed(f"judge: score {score} not in {scale}")
    return Vote(score, str(obj.get("modified") or "").strip())


def majority(scores: list[int], tie: str = "lower") -> int:
    counts = Counter(scores)
    best = max(counts.values())
    tied = [s for s, c in counts.items() if c == best]
    return min(tied) if tie == "lower" else max(tied)


def decide(factor: str, summary: str, votes: list[Vote], cfg: VotingConfig) -> Decision:
    """Route one factor's votes to keep / modify / human review."""
    score = majority([v.score for v in votes], cfg.tie)
    low = [i for i, v in enumerate(votes) if v.score <= cfg.human_threshold]
    action = cfg.actions[cfg.scale.index(score)]
    if low or factor in cfg.always_review or action == HUMAN:
        rnd = low[0] if low else min(range(len(votes)), key=lambda i: votes[i].score)
        return Decision(HUMAN, score, None, rnd)
    if action == MODIFY:
        modified = next((v.modified for v in votes if v.score == score and v.modified), "")
        if modified:
            return Decision(MODIFY, score, modified)
        return Decision(HUMAN, score, None, next(i for i, v in enumerate(votes)
                                                  if v.score == score))
    return Decision(KEEP, score, summary)

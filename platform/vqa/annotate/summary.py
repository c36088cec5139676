"""OmniVQA's summary rules over K coarse answers (§3.2), applied in code so they hold whatever
the summarizer model does: the reasoning LLM reads each answer into a verdict plus neutral
details; a verdict shared by at least `min_agree` answers is *positive* (merged), answers with
another verdict are *negative* (dropped), neutral details are kept from every answer."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from vqa.annotate.endpoints import Malformed
from vqa.annotate.jsonout import loads_object

VERDICTS = ("excellent", "good", "fair", "poor", "bad")


@dataclass
class RuleResult:
    verdict: str | None  # the positive verdict; None: no verdict reached min_agree
    positive: list[int] = field(default_factory=list)
    negative: list[int] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)

    @property
    def consensus(self) -> bool:
        return self.verdict is not None


def _norm(text: str) -> str:
    return " ".join(text.lower().strip(" .;,").split())


def apply_rules(verdicts: list[str | None], neutrals: list[list[str]],
                min_agree: int = 3) -> RuleResult:
    """Classify answers into positive / negative / neutral by the paper's rules."""
    labels = [_norm(v) if v else None for v in verdicts]
    counts = Counter(v for v in labels if v)
    top, n = counts.most_common(1)[0] if counts else (None, 0)
    tied = sum(1 for c in counts.values() if c == n) > 1
    kept, seen = [], set()
    for details in neutrals:
        for d in details or []:
            if d and _norm(d) not in seen:
                seen.add(_norm(d))
                kept.append(d.strip().rstrip("."))
    if top is None or n < min_agree or tied:
        return RuleResult(None, [], [], kept)
    return RuleResult(top,
                      [i for i, v in enumerate(labels) if v == top],
                      [i for i, v in enumerate(labels) if v and v != top],
                      kept)


def compose_summary(factor: str, verdict: str, neutral: list[str]) -> str:
    """A plain summary from the rules' output, used when the model's own text breaks them."""
    text = f"The {factor} is {verdict}"
    if neutral:
        text += " with " + "; ".join(neutral)
    return text + "."


def parse_summary(text: str, k: int) -> tuple[list[str | None], list[list[str]], str]:
    """The summarizer's JSON → (verdicts, neutral details, its summary text)."""
    obj = loads_object(text)
    answers = obj.get("answers")
    if not isinstance(answers, list) or len(answers) != k:
        raise Malformed(f"summarizer: expected {k} classified answers, got "
                        f"{len(answers) if isinstance(answers, list) else type(answers).__name__}")
    verdicts, neutrals = [], []
    for a in answers:
        if not isinstance(a, dict):
            raise Malformed("summarizer: each answer must be an object")
        v = a.get("verdict")
        verdicts.append(str(v) if v else None)
        n = a.get("neutral") or []
        neutrals.append([str(x) for x in (n if isinstance(n, list) else [n])])
    summary = obj.get("summary")
    return verdicts, neutrals, str(summary).strip() if summary else ""


def summarize(factor: str, verdicts: list[str | None], neutrals: list[list[str]],
              model_summary: str, min_agree: int = 3) -> tuple[RuleResult, str | None]:
    """Rules + the text to keep: the model's summary when it states the positive verdict (so a
    model that merged a negative answer is overruled), else the composed one; None: no
    consensus (the factor is rejected)."""
    rules = apply_rules(verdicts, neutrals, min_agree)
    if not rules.consensus:
        return rules, None
    words = set(re.findall(r"[a-z]+", model_summary.lower()))
    says = lambda v: set(re.findall(r"[a-z]+", v)) <= words  # noqa: E731
    if model_summary and says(rules.verdict):
        others = {_norm(verdicts[i]) for i in rules.negative} - {rules.verdict}
        if not any(says(o) for o in others):
            return rules, model_summary
    return rules, compose_summary(factor, rules.verdict, rules.neutral)

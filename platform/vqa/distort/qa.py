"""Instruction samples from specs: binary, multiple-choice, open-ended and cloze questions about
what / where / when / how severe, plus the paper's summary question."""

from __future__ import annotations

import itertools
import string

import numpy as np

from vqa.distort.describe import describe
from vqa.distort.options import SPATIAL_ASPECTS, STUTTER_ASPECTS, alternatives, facts
from vqa.distort.spec import Distortion
from vqa.distort.templates import fill, load_templates

FORMS = ("binary", "choice", "open", "cloze")
BLANK = "____"


def _pick(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def choose_pairs(aspects: tuple[str, ...], n: int, rng: np.random.Generator) -> list[tuple]:
    """n distinct (aspect, form) pairs covering every aspect and every form before repeating."""
    every = list(itertools.product(aspects, FORMS))
    pairs = [every[i] for i in rng.permutation(len(every))]
    seen_a = dict.fromkeys(aspects, 0)
    seen_f = dict.fromkeys(FORMS, 0)
    chosen = []
    while pairs and len(chosen) < n:
        best = min(pairs, key=lambda p: (seen_a[p[0]], seen_f[p[1]]))
        pairs.remove(best)
        chosen.append(best)
        seen_a[best[0]] += 1
        seen_f[best[1]] += 1
    return chosen


def lettered(options: list[str]) -> str:
    return "\n".join(f"{string.ascii_uppercase[i]}. {o}" for i, o in enumerate(options))


def one_question(aspect: str, form: str, specs: list[Distortion], clip_seconds: int,
                 rng: np.random.Generator, templates: dict) -> tuple[str, str, dict]:
    """(question, answer, meta) for one aspect in one form; meta holds the value asked."""
    f = facts(specs)
    group = templates["spatial" if f["kind"] == "spatial" else "temporal"]
    value = f[aspect]
    values = dict(f, value=value, value_cap=value[:1].upper() + value[1:])
    answer = fill(_pick(rng, group["answers"][aspect]), values)
    if form == "choice" and not alternatives(aspect, specs, clip_seconds,
                                             np.random.default_rng(0)):
        form = "open"  # nothing wrong to offer (a 3 s window in a 3 s clip): ask it openly
    meta = {"aspect": aspect, "form": form, "value": value}
    if form == "open":
        question = fill(_pick(rng, group["open"][aspect]), values)
    elif form == "choice":
        wrong = alternatives(aspect, specs, clip_seconds, rng)
        options = [value, *wrong]
        options = [options[i] for i in rng.permutation(len(options))]
        letter = string.ascii_uppercase[options.index(value)]
        question = (fill(_pick(rng, group["open"][aspect]), values) + "\n" + lettered(options)
                    + "\n" + _pick(rng, templates["forms"]["choice_prompt"]))
        answer = f"{letter}. {value}"
        meta.update(options=options, answer=letter)
    elif form == "binary":
        wrong = alternatives(aspect, specs, clip_seconds, rng, k=1)
        truth = not wrong or bool(rng.random() < 0.5)
        cand = value if truth else wrong[0]
        question = fill(_pick(rng, group["binary"][aspect]), dict(values, cand=cand))
        answer = ("Yes. " if truth else "No. ") + answer
        meta.update(candidate=cand, answer="yes" if truth else "no")
    elif form == "cloze":
        sentence = fill(_pick(rng, group["cloze"][aspect]), values)
        question = _pick(rng, templates["forms"]["cloze_prompt"]) + sentence
        answer = sentence.replace(BLANK, value)
    else:
        raise ValueError(f"unknown form {form!r}")
    return question, answer, meta


def clip_samples(clip_id: str, video: str, specs: list[Distortion], clip_seconds: int,
                 seed: int, per_clip: int = 5, templates: str = "incontext",
                 extra_meta: dict | None = None) -> list[dict]:
    """`per_clip` questions + the summary question, as instruction samples (task incontext)."""
    rng = np.random.default_rng(seed)
    tpl = load_templates(templates)
    aspects = SPATIAL_ASPECTS if specs[0].spatial else STUTTER_ASPECTS
    base = dict(extra_meta or {}, clip_id=clip_id, specs=[s.to_dict() for s in specs])
    samples = []
    for i, (aspect, form) in enumerate(choose_pairs(aspects, per_clip, rng)):
        question, answer, meta = one_question(aspect, form, specs, clip_seconds, rng, tpl)
        samples.append(_sample(f"{clip_id}-q{i}", video, question, answer, dict(base, **meta)))
    summary = describe(specs)
    samples.append(_sample(f"{clip_id}-summary", video, tpl["summary"], summary,
                           dict(base, aspect="summary", form="open", value=summary)))
    return samples


def _sample(sid: str, video: str, question: str, answer: str, meta: dict) -> dict:
    return {"id": sid, "video": video, "task": "incontext", "meta": meta,
            "conversations": [{"from": "human", "value": "<video>\n" + question},
                              {"from": "gpt", "value": answer}]}

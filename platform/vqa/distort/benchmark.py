"""OmniVQA-FG-style machine-annotated benchmark: single-answer multiple-choice questions on
spatial (S), temporal (T) and spatiotemporal (ST) concerns, with plausible distractors and
correct letters balanced across the benchmark."""

from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass

import numpy as np

from vqa.distort.describe import span_text
from vqa.distort.options import alternatives, facts
from vqa.distort.regions import neighbours
from vqa.distort.spec import Distortion
from vqa.distort.templates import fill, load_templates

# (clip kind, concern) → category
CATEGORIES = {("spatial", "what"): "S", ("spatial", "where"): "S", ("spatial", "severity"): "S",
              ("spatial", "when"): "T", ("temporal", "what"): "T", ("temporal", "when"): "T",
              ("temporal", "count"): "T", ("spatial", "where_when"): "ST"}


@dataclass
class Clip:
    clip_id: str
    video: str
    specs: list[Distortion]
    seconds: int
    source_id: str


def where_when_options(specs: list[Distortion], seconds: int, rng: np.random.Generator,
                       tpl: dict) -> tuple[str, list[str]]:
    """Truth + (neighbour, same time), (same place, other time), (neighbour, other time)."""
    s = specs[0]
    near = neighbours(s.location)
    other_time = alternatives("when", specs, seconds, rng, k=1)
    truth = fill(tpl["where_when_option"], {"location": s.location,
                                            "span": span_text(s.start, s.duration)})
    wrong = [fill(tpl["where_when_option"], {"location": near[0],
                                             "span": span_text(s.start, s.duration)})]
    if other_time:
        wrong.append(fill(tpl["where_when_option"], {"location": s.location,
                                                     "span": other_time[0]}))
        wrong.append(fill(tpl["where_when_option"], {"location": near[1], "span": other_time[0]}))
    return truth, wrong


def candidates(clip: Clip, rng: np.random.Generator, tpl: dict) -> list[dict]:
    """Every benchmark question one clip can give (options unordered: truth first)."""
    f = facts(clip.specs)
    out = []
    for (kind, concern), category in CATEGORIES.items():
        if kind != f["kind"]:
            continue
        stems = tpl[kind][concern]
        stem = fill(stems[int(rng.integers(len(stems)))], f)
        if concern == "where_when":
            truth, wrong = where_when_options(clip.specs, clip.seconds, rng, tpl)
        else:
            truth, wrong = f[concern], alternatives(concern, clip.specs, clip.seconds, rng)
        if not wrong:
            continue
        out.append({"category": category, "concern": concern, "stem": stem, "truth": truth,
                    "wrong": wrong, "clip": clip})
    return out


def build_benchmark(clips: list[Clip], mix: dict[str, int], total: int, seed: int,
                    templates: str = "benchmark") -> list[dict]:
    """Pick questions in the S : T : ST proportions of `mix` (up to `total`), then give each the
    least used correct letter so answer letters are balanced."""
    rng = np.random.default_rng(seed)
    tpl = load_templates(templates)
    pool: dict[str, list[dict]] = {c: [] for c in mix}
    for clip in clips:
        for q in candidates(clip, rng, tpl):
            if q["category"] in pool:
                pool[q["category"]].append(q)
    weight = sum(mix.values())
    chosen = []
    for category, share in mix.items():
        want = round(total * share / weight)
        items = pool[category]
        chosen += [items[i] for i in rng.permutation(len(items))[:want]]
    chosen = [chosen[i] for i in rng.permutation(len(chosen))]
    letters: Counter = Counter()
    records = []
    for n, q in enumerate(chosen):
        k = len(q["wrong"]) + 1
        slots = list(string.ascii_uppercase[:k])
        least = min(letters[s] for s in slots)
        letter = [s for s in slots if letters[s] == least][int(rng.integers(
            sum(letters[s] == least for s in slots)))]
        letters[letter] += 1
        wrong = [q["wrong"][i] for i in rng.permutation(len(q["wrong"]))]
        pos = slots.index(letter)
        options = wrong[:pos] + [q["truth"]] + wrong[pos:]
        records.append(_record(n, q, options, letter, tpl["prompt"]))
    return records


def _record(n: int, q: dict, options: list[str], letter: str, prompt: str) -> dict:
    clip: Clip = q["clip"]
    body = "\n".join(f"{string.ascii_uppercase[i]}. {o}" for i, o in enumerate(options))
    question = f"{q['stem']}\n{body}\n{prompt}"
    return {"id": f"fg-{n:05d}", "video": clip.video, "category": q["category"],
            "concern": q["concern"], "question": question, "options": options,
            "answer": letter, "answer_text": q["truth"], "source_id": clip.source_id,
            "clip_id": clip.clip_id, "specs": [s.to_dict() for s in clip.specs],
            "conversations": [{"from": "human", "value": "<video>\n" + question},
                              {"from": "gpt", "value": f"{letter}. {q['truth']}"}]}

"""Generated questions: every answer derivable from the spec, no question leaks its answer,
all forms and aspects covered, phrasings varied."""

import json

import numpy as np
import pytest

from vqa.distort import STUTTER, PlanParams, plan_clip
from vqa.distort.describe import seconds_text, span_text
from vqa.distort.qa import clip_samples
from vqa.distort.templates import load_templates

NAMES = {"blur": "blur", "overexposure": "overexposure", "underexposure": "underexposure",
         "noise": "noise", "jpeg": "compression distortion", STUTTER: "stutter"}
LEVELS = {1: "noticeable", 2: "relatively severe", 3: "severe"}
COUNTS = {1: "once", 2: "twice", 3: "three times"}


def expected(aspect, specs):
    s = specs[0]
    return {"what": NAMES[s.type], "where": s.location, "severity": LEVELS.get(s.level),
            "when": span_text(s.start, s.duration) if s.spatial
            else seconds_text([x.start for x in specs]),
            "count": COUNTS.get(len(specs))}[aspect]


def check_sample(sample, specs):
    """The rules the e2e test also applies to a whole job's output."""
    meta = sample["meta"] if isinstance(sample["meta"], dict) else json.loads(sample["meta"])
    q = sample["conversations"][0]["value"]
    a = sample["conversations"][1]["value"]
    assert q.startswith("<video>\n")
    if meta["aspect"] == "summary":
        assert q.endswith("Please describe the information of the spatiotemporal local "
                          "distortions of the video.")
        for s in specs:
            assert NAMES[s.type] in a.lower()
            if s.spatial:
                assert s.location in a and span_text(s.start, s.duration) in a
                assert LEVELS[s.level] in a.lower()
        return meta
    value = expected(meta["aspect"], specs)
    assert meta["value"] == value
    stem = q.split("\nA. ")[0]
    if meta["form"] == "binary":
        assert (meta["candidate"] == value) == (meta["answer"] == "yes")
        assert a.startswith("Yes." if meta["answer"] == "yes" else "No.")
        assert meta["candidate"] in stem and value.lower() in a.lower()
    else:
        assert value not in stem.lower(), (stem, value)  # no leak
    if meta["form"] == "choice":
        opts = meta["options"]
        assert len(set(opts)) == len(opts) >= 2 and opts.count(value) == 1
        assert a == f"{meta['answer']}. {value}"
        assert opts[ord(meta["answer"]) - 65] == value
        for i, o in enumerate(opts):
            assert f"\n{chr(65 + i)}. {o}\n" in q
    if meta["form"] in ("open", "cloze"):
        assert value.lower() in a.lower()
    if meta["form"] == "cloze":
        assert "____" in q and "____" not in a
    return meta


@pytest.mark.parametrize("variant", ["blur", "overexposure", "underexposure", "noise", "jpeg",
                                     STUTTER])
def test_answers_derivable_and_no_leaks(variant):
    forms, aspects, questions = set(), set(), set()
    for seed in range(40):
        specs = plan_clip(variant, 320, 240, 60, 10.0, np.random.default_rng(seed), PlanParams())
        samples = clip_samples(f"c{seed}", f"c{seed}.mp4", specs, 6, seed=seed)
        assert len(samples) == 6 and samples[-1]["id"] == f"c{seed}-summary"
        assert len({s["id"] for s in samples}) == 6
        metas = [check_sample(s, specs) for s in samples]
        assert len({(m["aspect"], m["form"]) for m in metas}) == 6  # no duplicate question
        forms |= {m["form"] for m in metas[:-1]}
        aspects |= {m["aspect"] for m in metas[:-1]}
        questions |= {s["conversations"][0]["value"].split("\n")[1] for s in samples[:-1]}
    assert forms == {"binary", "choice", "open", "cloze"}
    assert aspects == ({"what", "when", "count"} if variant == STUTTER
                       else {"what", "where", "when", "severity"})
    assert len(questions) > 25  # many phrasings, not one sentence


def test_every_aspect_covered_within_one_clip_and_deterministic():
    specs = plan_clip("blur", 320, 240, 60, 10.0, np.random.default_rng(1), PlanParams())
    a = clip_samples("c", "c.mp4", specs, 6, seed=3)
    assert {s["meta"]["aspect"] for s in a[:-1]} == {"what", "where", "when", "severity"}
    assert {s["meta"]["form"] for s in a[:-1]} == {"binary", "choice", "open", "cloze"}
    assert a == clip_samples("c", "c.mp4", specs, 6, seed=3)


def test_templates_never_use_the_placeholder_of_their_own_answer():
    tpl = load_templates("incontext")
    own = {"what": "{type}", "where": "{location}", "when": ("{span}", "{seconds}"),
           "severity": "{level}", "count": "{count}"}
    for group in ("spatial", "temporal"):
        for form in ("open", "binary", "cloze"):
            for aspect, phrasings in tpl[group][form].items():
                assert len(phrasings) >= 1
                for p in phrasings:
                    for ph in np.atleast_1d(own[aspect]):
                        assert ph not in p, (group, form, aspect, p)

"""FG benchmark: categories in the paper's proportions, balanced letters, plausible distractors."""

from collections import Counter

import numpy as np

from vqa.distort import STUTTER, PlanParams, neighbours, plan_clip
from vqa.distort.benchmark import Clip, build_benchmark
from vqa.distort.describe import span_text


NAMES = {"blur": "blur", "overexposure": "overexposure", "underexposure": "underexposure",
         "noise": "noise", "jpeg": "compression distortion", STUTTER: "stutter"}


def clips(n):
    out = []
    variants = ["blur", "overexposure", "underexposure", "noise", "jpeg", STUTTER]
    for i in range(n):
        v = variants[i % len(variants)]
        specs = plan_clip(v, 320, 240, 80, 10.0, np.random.default_rng(i), PlanParams())
        out.append(Clip(f"c{i}_{v}", f"c{i}.mp4", specs, 8, f"src{i // 6}"))
    return out


def test_mix_letters_and_answers():
    recs = build_benchmark(clips(240), {"S": 400, "T": 200, "ST": 150}, 150, seed=0)
    cats = Counter(r["category"] for r in recs)
    assert cats == {"S": 80, "T": 40, "ST": 30}
    letters = Counter(r["answer"] for r in recs)
    assert set(letters) == set("ABCD") and max(letters.values()) - min(letters.values()) <= 1
    by_id = {c.clip_id: c for c in clips(240)}
    for r in recs:
        assert r["options"][ord(r["answer"]) - 65] == r["answer_text"]
        assert len(set(r["options"])) == len(r["options"]) >= 2
        assert r["answer_text"] not in r["question"].split("\nA. ")[0]
        s = by_id[r["clip_id"]].specs[0]
        if r["concern"] == "where":
            assert r["answer_text"] == s.location
            assert set(r["options"]) - {s.location} <= set(neighbours(s.location)[:3])
        if r["concern"] == "when" and s.spatial:
            assert r["answer_text"] == span_text(s.start, s.duration)
        if r["concern"] == "severity":
            assert r["answer_text"] == ["noticeable", "relatively severe", "severe"][s.level - 1]
            assert sorted(r["options"]) == ["noticeable", "relatively severe", "severe"]
        if r["concern"] == "where_when":
            assert r["answer_text"] == f"in the {s.location} region during " \
                                       f"{span_text(s.start, s.duration)}"
        if r["concern"] == "what":
            assert r["answer_text"] == NAMES[s.type]
            assert set(r["options"]) <= set(NAMES.values())
    assert len({r["id"] for r in recs}) == len(recs)


def test_same_seed_same_benchmark():
    c = clips(30)
    assert build_benchmark(c, {"S": 8, "T": 4, "ST": 3}, 30, 1) == \
        build_benchmark(c, {"S": 8, "T": 4, "ST": 3}, 30, 1)

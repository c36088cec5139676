"""Time questions never lie: a negative ("No") or wrong option names only seconds outside the
true distortion window, a positive one overlaps it — for every template, form and seed."""

import re

import numpy as np
import pytest

from vqa.distort.benchmark import Clip, build_benchmark
from vqa.distort.qa import clip_samples
from vqa.distort.spec import STUTTER, PlanParams, plan_clip

VARIANTS = ["blur", "overexposure", "underexposure", "noise", "jpeg", STUTTER]


def named_seconds(text: str) -> set[int]:
    """1-based seconds a time phrase names: "the 5th to the 7th second" → {5, 6, 7};
    "the 2nd and the 4th seconds" → {2, 4}."""
    nums = [int(n) for n in re.findall(r"the (\d+)(?:st|nd|rd|th)", text)]
    if " to the " in text:
        assert len(nums) == 2, text
        return set(range(nums[0], nums[1] + 1))
    return set(nums)


def true_seconds(specs) -> set[int]:
    return {t + 1 for s in specs for t in range(s.start, s.start + s.duration)}


def clips(seeds=range(60), seconds=(3, 4, 6, 10)):
    for seed in seeds:
        for n in seconds:
            for variant in VARIANTS:
                specs = plan_clip(variant, 320, 240, n * 10, 10.0,
                                  np.random.default_rng(seed * 131 + n), PlanParams())
                yield seed, n, variant, specs


def test_named_seconds_parser():
    assert named_seconds("the 5th to the 7th second") == {5, 6, 7}
    assert named_seconds("the 2nd and the 4th seconds") == {2, 4}
    assert named_seconds("the 1st, the 3rd and the 11th seconds") == {1, 3, 11}


@pytest.mark.parametrize("templates", ["incontext"])
def test_incontext_negative_times_disjoint_positive_overlap(templates):
    asked = {"yes": 0, "no": 0, "choice": 0}
    for seed, n, variant, specs in clips():
        truth = true_seconds(specs)
        for s in clip_samples("c", "c.mp4", specs, n, seed=seed, per_clip=12,
                              templates=templates):
            meta = s["meta"]
            if meta["aspect"] != "when":
                continue
            if meta["form"] == "binary":
                named = named_seconds(meta["candidate"])
                assert named and named <= set(range(1, n + 1))
                if meta["answer"] == "no":
                    assert not named & truth, (variant, specs, meta["candidate"])
                else:
                    assert named & truth
                asked[meta["answer"]] += 1
            if meta["form"] == "choice":
                for o in meta["options"]:
                    if o != meta["value"]:
                        assert not named_seconds(o) & truth, (variant, specs, o)
                asked["choice"] += 1
    assert min(asked.values()) > 50  # every case exercised, both answers


@pytest.mark.parametrize("templates", ["benchmark"])
def test_benchmark_wrong_time_options_disjoint(templates):
    pool = [Clip(f"c{i}", f"c{i}.mp4", specs, n, f"s{i}")
            for i, (seed, n, variant, specs) in enumerate(clips(range(20)))]
    records = build_benchmark(pool, {"S": 0, "T": 400, "ST": 300}, 700, 0, templates)
    seen = 0
    for r in records:
        if r["concern"] not in ("when", "where_when"):
            continue
        clip = next(c for c in pool if c.clip_id == r["clip_id"])
        truth = true_seconds(clip.specs)
        for o in r["options"]:
            named = named_seconds(o)
            if o == r["answer_text"]:
                assert named & truth
            elif r["concern"] == "when" or f"the {clip.specs[0].location} region" in o:
                # the same place at another time must be another time
                assert not named & truth, (clip.specs, o)
            seen += 1
    assert seen > 500


def test_short_clip_choice_without_wrong_times_becomes_open():
    from vqa.distort.spec import Distortion

    specs = [Distortion("blur", 0, 3, level=1, location="center", box=(0, 0, 8, 8))]
    for seed in range(10):
        for s in clip_samples("c", "c.mp4", specs, 3, seed=seed, per_clip=16):
            if s["meta"].get("form") == "choice":
                assert len(s["meta"]["options"]) >= 2

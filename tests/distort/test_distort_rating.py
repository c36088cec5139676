"""Rating mode pieces: the label rule is monotone, references score highest, each degradation
moves a frame measure the expected way and each severity step is worse, splits go by source."""

import itertools
import json

import cv2
import numpy as np
import pytest

from vqa.distort.degrade import (
    DIMENSION_OF, GLOBAL_TYPES, SEVERITIES, DegradeParams, degrade_stream)
from vqa.distort.rating import RatingParams, clip_samples, plan_source, split_of
from vqa.distort.rating_label import FIVE, LabelParams, level_words, scores
from vqa.errors import ConfigError
from vqa.model.config import DISTORTION_LEVELS, OMNIVQA_LEVELS, PromptConfig
from vqa.subjective.levels import FINEVD_QUALITY_WORDS

P = DegradeParams()




def photo(n=20, w=160, h=120):
    from vqa.corpus import pan_zoom, photo as ph
    return pan_zoom(ph("astronaut"), w, h, n, np.random.default_rng(0))


def sharpness(f):
    return float(cv2.Laplacian(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def noise_level(f):
    g = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float64)
    return float(np.std(g - cv2.medianBlur(g.astype(np.uint8), 3)))


def luma(f):
    return float(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).mean())


def chroma(f):
    ycc = cv2.cvtColor(f, cv2.COLOR_RGB2YCrCb).astype(np.float64)
    return float(np.abs(ycc[..., 1:] - 128).mean())


def cast_strength(f, ref):
    return float(np.abs(f.astype(float).mean((0, 1)) - ref.astype(float).mean((0, 1))).sum())


def repeats(frames):
    return sum(np.array_equal(a, b) for a, b in zip(frames, frames[1:]))


def psnr(a, b):
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def degraded(src, kind, sev, fps=10.0):
    out = list(degrade_stream(iter(src), fps, [(kind, sev)], P, seed=1))
    if kind == "h264":  # the renderer's real encode: write at the CRF, decode
        import tempfile
        from pathlib import Path

        from vqa.video import write_video
        from vqa.video.decode import iter_frames
        with tempfile.TemporaryDirectory() as d:
            write_video(out, fps, Path(d) / "x.mp4", quality=P.value("h264", sev),
                        preset="veryfast", threads=1)
            out = list(iter_frames(Path(d) / "x.mp4"))
    return out


MEASURE = {  # kind → (measure(frames, src), direction vs. the reference: +1 up, -1 down)
    "blur": (lambda o, s: np.mean([sharpness(f) for f in o]), -1),
    "noise": (lambda o, s: np.mean([noise_level(f) for f in o]), +1),
    "overexposure": (lambda o, s: np.mean([luma(f) for f in o]), +1),
    "underexposure": (lambda o, s: np.mean([luma(f) for f in o]), -1),
    "desaturation": (lambda o, s: np.mean([chroma(f) for f in o]), -1),
    "colorcast": (lambda o, s: np.mean([cast_strength(f, r) for f, r in zip(o, s)]), +1),
    "stutter": (lambda o, s: repeats(o), +1),
    "judder": (lambda o, s: repeats(o), +1),
    "jpeg": (lambda o, s: np.mean([psnr(f, r) for f, r in zip(o, s)]), -1),
    "h264": (lambda o, s: np.mean([psnr(f, r) for f, r in zip(o, s)]), -1),
}


@pytest.mark.parametrize("kind", GLOBAL_TYPES)
def test_each_degradation_moves_its_measure_at_every_step(kind):
    src = photo()
    measure, sign = MEASURE[kind]
    values = [measure(src, src)] + [measure(degraded(src, kind, s), src) for s in SEVERITIES]
    steps = np.diff(values) * sign
    assert (steps > 0).all(), (kind, values)  # reference → s1 → … → s5, each strictly worse
    # and everything gets further from the reference with each step (rankable by a model)
    err = [psnr(np.stack(degraded(src, kind, s)), np.stack(src)) for s in SEVERITIES]
    assert all(a > b for a, b in zip(err, err[1:])), (kind, err)
    assert err[0] < 40, (kind, err)  # severity 1 is visible: PSNR well under ~40 dB


def test_stream_keeps_frame_count_and_shape():
    src = photo(25)
    for degs in ([], [("stutter", 3), ("blur", 2)], [("judder", 5), ("noise", 1)]):
        out = list(degrade_stream(iter(src), 10.0, degs, P, seed=0))
        assert len(out) == 25 and all(o.shape == src[0].shape for o in out)
    assert all(np.array_equal(a, b) for a, b in
               zip(degrade_stream(iter(src), 10.0, [], P, 0), src))


def test_label_rule_monotone_and_references_highest():
    ref = scores([])
    assert ref == dict.fromkeys([*FIVE, "overall"], 100.0)
    assert level_words(ref)["overall"] == "excellent" and level_words(ref)["blur"] == "undistorted"
    combos = [[]] + [[(t, s)] for t in GLOBAL_TYPES for s in SEVERITIES] + \
        [[(a, s), (b, u)] for a, b in itertools.combinations(GLOBAL_TYPES, 2)
         for s in SEVERITIES for u in SEVERITIES]
    for degs in combos:
        sc = scores(degs)
        assert all(0 <= v <= 100 for v in sc.values())
        if degs:
            assert sc["overall"] < 100
            assert sc["overall"] <= min(sc[d] for d in FIVE)
        for k, (t, s) in enumerate(degs):
            dim = DIMENSION_OF[t]
            assert sc[dim] < 100
            if s < 5:  # one more step of severity never raises any score
                worse = scores(degs[:k] + [(t, s + 1)] + degs[k + 1:])
                assert all(worse[d] <= sc[d] for d in sc) and worse[dim] < sc[dim]
                assert worse["overall"] < sc["overall"]
        for t in GLOBAL_TYPES:  # one more degradation never raises any score
            more = scores(degs + [(t, 1)])
            assert all(more[d] <= sc[d] for d in sc)
    # undamaged dimensions stay at 100
    sc = scores([("blur", 3)])
    assert sc["noise"] == sc["color"] == 100.0 and sc["blur"] == sc["overall"] == 42.0
    # severity 1 is no longer "excellent"; severity 5 is "low"; words follow FineVD wording
    assert level_words(scores([("noise", 1)])) ["noise"] == "slight"
    assert level_words(scores([("noise", 5)]))["overall"] == "low"
    assert level_words(scores([("stutter", 2)]))["temporal"] in FINEVD_QUALITY_WORDS


def test_config_validation():
    with pytest.raises(ConfigError, match="blur_sigma"):
        DegradeParams(blur_sigma=[3, 2, 1, 4, 5]).validate()
    with pytest.raises(ConfigError, match="penalty"):
        LabelParams(penalty=[10, 20]).validate()
    with pytest.raises(ConfigError, match="splits"):
        RatingParams(splits={"train": 0.5, "test": 0.5}).validate()
    with pytest.raises(ConfigError, match="types"):
        RatingParams(types=["sepia"]).validate()
    from vqa.config import from_dict
    from vqa.pipelines.synthesize import SynthesizeConfig
    with pytest.raises(ConfigError, match="unknown key 'blur_sigmaa'"):
        from_dict(SynthesizeConfig, {"manifest": "m", "out": "o", "mode": "rating",
                                     "rating": {"degrade": {"blur_sigmaa": [1, 2, 3, 4, 5]}}})


def test_plans_balanced_and_split_by_source():
    p = RatingParams()
    sev, types, refs, doubles = [], [], 0, 0
    for i in range(200):
        plans = plan_source(f"src{i}", 0, p)
        assert len(plans) == p.clips_per_source
        assert len({x["clip_id"] for x in plans}) == len(plans)
        assert plans == plan_source(f"src{i}", 0, p)  # deterministic
        for x in plans:
            degs = x["degradations"]
            refs += not degs
            doubles += len(degs) == 2
            if len(degs) == 2:
                assert DIMENSION_OF[degs[0][0]] != DIMENSION_OF[degs[1][0]]
            sev += [s for _, s in degs]
            types += [t for t, _ in degs]
    assert refs == 200 and doubles == 200 * 4
    counts = np.bincount(sev)[1:]
    assert counts.min() > 0.9 * counts.mean()  # severities balanced
    assert set(types) == set(GLOBAL_TYPES)
    splits = {f"src{i}": split_of(f"src{i}", 0, p) for i in range(1000)}
    share = {s: list(splits.values()).count(s) / 1000 for s in ("train", "val", "test")}
    assert abs(share["train"] - 0.7) < 0.05 and abs(share["test"] - 0.2) < 0.05
    assert splits == {k: split_of(k, 0, p) for k in splits}  # stable
    assert any(split_of(k, 1, p) != v for k, v in splits.items())  # the seed reshuffles


@pytest.mark.parametrize("kinds", [len(GLOBAL_TYPES), len(GLOBAL_TYPES) - 1, 7])
@pytest.mark.parametrize("clips", [12, 24, 48])
def test_a_source_never_gets_the_same_plan_twice(kinds, clips):
    # colour sources take all 10 types, grey ones 9 (no desaturation): severities that stepped
    # with the clip counter paired each of 10 types with one severity, so plans repeated
    p = RatingParams(clips_per_source=clips, types=list(GLOBAL_TYPES[:kinds]))
    for i in range(50):
        plans = plan_source(f"src{i}", 0, p)
        degs = [tuple(x["degradations"]) for x in plans if x["degradations"]]
        assert len(set(degs)) == len(degs), f"src{i}: a plan repeats"
        by_type: dict = {}
        for d in degs:
            if len(d) == 1:
                by_type.setdefault(d[0][0], []).append(d[0][1])
        for kind, sevs in by_type.items():  # a single type's rounds walk the severities
            assert len(set(sevs)) == min(len(sevs), 5), (kind, sevs)


def test_held_out_sources_are_the_test_split_and_the_rest_keep_their_shares():
    p = RatingParams(held_out=["src3", "src7"])
    splits = {f"src{i}": split_of(f"src{i}", 0, p) for i in range(1000)}
    assert [k for k, v in splits.items() if v == "test"] == ["src3", "src7"]
    share = list(splits.values()).count("train") / 998
    assert abs(share - 0.7 / 0.8) < 0.05  # train : val stays 7 : 1


def test_samples_use_the_model_prompt_and_level_word_position():
    p = RatingParams()
    prompt = PromptConfig()
    sc = scores([("blur", 2), ("stutter", 4)])
    words = level_words(sc)
    samples = clip_samples("c", "c.mp4", sc, words, "train", {"source_id": "s"}, p,
                           prompt.question, prompt.answer_prefix)
    assert len(samples) == 6
    main = samples[0]
    assert main["conversations"][0]["value"] == "<video>\nHow would you rate the quality of " \
                                                "this video?"
    assert main["conversations"][1]["value"] == f"The quality of this video is {words['overall']}."
    assert words["overall"] in OMNIVQA_LEVELS
    for s in samples:
        assert s["task"] == "rating" and s["mos"] == sc["overall"] and s["scores"] == sc
        d = s["meta"]["dimension"]
        phrase = "" if d == "overall" else f"{d} "
        q, a = (t["value"] for t in s["conversations"])
        assert q == "<video>\n" + prompt.question.format(dimension=phrase)
        prefix = prompt.answer_prefix.format(dimension=phrase)
        assert a == f"{prefix} {words[d]}."  # level word right after prefix + " " (scoring)
        if d in ("noise", "artifact", "blur"):
            assert words[d] in DISTORTION_LEVELS
    assert samples[4]["conversations"][1]["value"] == "The blur quality of this video is mild."
    only = clip_samples("c", "c.mp4", sc, words, "train", {}, RatingParams(
        dimension_questions=False), prompt.question, prompt.answer_prefix)
    assert len(only) == 1
    json.dumps(samples)


def test_visible_types_leave_out_no_op_degradations():
    """Desaturating a grey source or freezing a still one changes nothing, so the label rule
    would call an untouched clip degraded: those types are left out for such sources."""
    from vqa.distort.degrade import TEMPORAL_TYPES, visible_types
    colour_moving = list(photo(n=12))
    grey_moving = [np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None], 3, -1)
                   for f in colour_moving]
    colour_still = [colour_moving[0]] * 12
    p = RatingParams()
    assert visible_types(colour_moving, GLOBAL_TYPES, p.min_chroma, p.min_motion) == \
        list(GLOBAL_TYPES)
    assert visible_types(grey_moving, GLOBAL_TYPES, p.min_chroma, p.min_motion) == \
        [t for t in GLOBAL_TYPES if t != "desaturation"]
    assert visible_types(colour_still, GLOBAL_TYPES, p.min_chroma, p.min_motion) == \
        [t for t in GLOBAL_TYPES if t not in TEMPORAL_TYPES]
    with pytest.raises(ValueError, match="visible"):
        plan_source("s", 0, p, types=[])


def test_rendered_rating_clips_of_a_grey_source_all_differ_from_the_reference(tmp_path):
    """Every degraded clip of a greyscale source is visibly different from its reference
    (no clip labelled degraded is a copy), and the summary names the left-out type."""
    from vqa.config import from_dict
    from vqa.pipelines.synthesize import SynthesizeConfig
    from vqa.pipelines.synthesize_rating import render_rating_source
    from vqa.video.decode import iter_frames
    from vqa.video.writer import write_video

    frames = [np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None], 3, -1)
              for f in photo(n=20, w=96, h=72)]
    src = tmp_path / "grey.mp4"
    write_video(iter(frames), 10.0, src, quality=0, pix_fmt="yuv444p")
    cfg = from_dict(SynthesizeConfig, {"manifest": "m", "out": str(tmp_path / "out"),
                                       "mode": "rating", "rating": {"clips_per_source": 12}})
    rows = render_rating_source({"video_id": "grey", "path": str(src), "fps": 10.0,
                                 "frames": 20, "width": 96, "height": 72}, cfg)
    assert len(rows) == 12 and all(r["status"] == "ok" for r in rows)
    assert all(r["skipped_types"] == ["desaturation"] for r in rows)
    assert not any("desaturation" in r["types"] for r in rows)
    ref = np.stack(list(iter_frames(next(r["video"] for r in rows if not r["types"]))))
    for r in rows:
        if r["types"]:
            got = np.stack(list(iter_frames(r["video"]))).astype(np.float64)
            assert np.abs(got - ref).mean() > 1.0, r["degradations"]


def test_a_held_out_id_that_is_not_a_source_is_named(tmp_path):
    from types import SimpleNamespace

    import pyarrow as pa
    import pyarrow.parquet as pq

    from vqa.errors import ConfigError
    from vqa.pipelines.synthesize_rating import load_rating_sources

    pq.write_table(pa.table({"video_id": ["a", "b"], "path": ["a.mp4", "b.mp4"],
                             "status": ["ok", "ok"], "fps": [10.0] * 2, "frames": [30] * 2,
                             "width": [64] * 2, "height": [48] * 2}), tmp_path / "m.parquet")
    cfg = SimpleNamespace(manifest=str(tmp_path / "m.parquet"), max_sources=None,
                          rating=RatingParams(held_out=["b", "coffe"]))
    with pytest.raises(ConfigError, match=r"\['coffe'\]"):
        load_rating_sources(cfg)
    cfg.rating.held_out = ["b"]
    assert load_rating_sources(cfg)[0].num_rows == 2

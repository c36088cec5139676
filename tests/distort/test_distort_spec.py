"""Timing bounds, stutter freezes, determinism by seed, spec round trips."""

import numpy as np
import pytest
from photo_clips import photo_clip

from vqa.distort import (
    STUTTER, Distortion, PlanParams, apply_distortions, frame_span, plan_clip, whole_seconds)
from vqa.distort.describe import describe, span_text
from vqa.distort.render import clip_seed

P = PlanParams()


def test_frame_span_and_whole_seconds():
    assert frame_span(1, 3, 25.0, 200) == (25, 75)
    assert frame_span(1, 2, 29.97, 300) == (30, 60)  # frames i with 1 <= i/29.97 < 2
    assert frame_span(4, 6, 10.0, 50) == (40, 50)    # clipped to the clip
    assert whole_seconds(100, 25.0) == 4 and whole_seconds(99, 25.0) == 3
    assert whole_seconds(90, 29.97) == 3


@pytest.mark.parametrize("seconds", [3, 4, 7, 14])
def test_spatial_timing_integer_and_inside_the_clip(seconds):
    fps = 10.0
    for seed in range(60):
        (s,) = plan_clip("noise", 160, 120, seconds * 10, fps, np.random.default_rng(seed), P)
        assert isinstance(s.start, int) and isinstance(s.duration, int)
        assert s.duration in (1, 2, 3)  # the paper's 1–3 whole seconds
        end = s.start + s.duration  # video seconds, not wall-clock time
        assert 0 <= s.start < end <= seconds
        assert s.level in (1, 2, 3) and s.location and s.box


def test_stutter_plan_events_distinct_non_adjacent_inside():
    counts = set()
    for seed in range(60):
        specs = plan_clip(STUTTER, 160, 120, 100, 10.0, np.random.default_rng(seed), P)
        starts = [s.start for s in specs]
        counts.add(len(specs))
        assert 1 <= len(specs) <= 3 and starts == sorted(starts)
        assert all(1 <= x <= 9 - 0 and x + 1 <= 10 for x in starts)
        assert all(b - a >= 2 for a, b in zip(starts, starts[1:]))
    assert counts == {1, 2, 3}
    with pytest.raises(ValueError, match="too short"):
        plan_clip(STUTTER, 16, 16, 10, 10.0, np.random.default_rng(0), P)


def test_stutter_frames_are_exact_repeats_and_the_second_is_removed():
    frames = photo_clip(64, 48, 60, seed=2)  # 6 s at 10 fps, every frame distinct
    specs = [Distortion(STUTTER, 2, 1), Distortion(STUTTER, 4, 1)]
    out = apply_distortions(frames, 10.0, specs, seed=0)
    assert out.shape == frames.shape
    for i in list(range(20, 30)) + list(range(40, 50)):
        frozen = 19 if i < 30 else 39
        np.testing.assert_array_equal(out[i], frames[frozen])
    keep = [i for i in range(60) if not (20 <= i < 30 or 40 <= i < 50)]
    np.testing.assert_array_equal(out[keep], frames[keep])
    for i in range(20, 30):  # the removed second's content is gone
        assert not any(np.array_equal(out[j], frames[i]) for j in range(60))


def test_same_seed_same_bytes_other_seed_other_noise():
    frames = photo_clip(96, 64, 30, seed=3)
    for variant in ("noise", "jpeg", "blur", STUTTER):
        a = plan_clip(variant, 96, 64, 30, 10.0, np.random.default_rng(7), P)
        b = plan_clip(variant, 96, 64, 30, 10.0, np.random.default_rng(7), P)
        assert a == b
        assert apply_distortions(frames, 10.0, a, 11).tobytes() == \
            apply_distortions(frames, 10.0, b, 11).tobytes()
    spec = [Distortion("noise", 0, 2, level=2, location="center",
                       box=(24, 16, 72, 48))]
    assert not np.array_equal(apply_distortions(frames, 10.0, spec, 1),
                              apply_distortions(frames, 10.0, spec, 2))
    assert clip_seed(0, "v1", "blur") == clip_seed(0, "v1", "blur") != clip_seed(0, "v1", "noise")


def test_spec_dict_round_trip_and_description_uses_one_based_seconds():
    s = Distortion("jpeg", 2, 2, level=3, location="top-left", box=(0, 0, 8, 8))
    assert Distortion.from_dict(s.to_dict()) == s
    assert span_text(0, 1) == "the 1st second" and span_text(2, 2) == "the 3rd to the 4th second"
    text = describe([s])
    assert "Severe compression distortion" in text and "top-left" in text
    assert "the 3rd to the 4th second" in text
    assert "freezes during the 2nd and the 5th seconds" in describe(
        [Distortion(STUTTER, 1, 1), Distortion(STUTTER, 4, 1)])


def test_freeze_under_a_spatial_region_and_streaming_holds_one_frame():
    import cv2

    frames = photo_clip(64, 48, 50, seed=4)  # 5 s at 10 fps
    blur = Distortion("blur", 1, 3, level=1, location="top-left", box=(0, 0, 32, 24))
    out = apply_distortions(frames, 10.0, [Distortion(STUTTER, 2, 1), blur], seed=0)
    for i in range(50):
        src = frames[19] if 20 <= i < 30 else frames[i]  # frozen on the frame before second 2
        want = src.copy()
        if 10 <= i < 40:
            want[:24, :32] = cv2.GaussianBlur(np.ascontiguousarray(src[:24, :32]), (17, 17), 0)
        np.testing.assert_array_equal(out[i], want)
    from vqa.distort.spec import distort_stream

    pulled = []

    def source():
        for i, f in enumerate(frames):
            pulled.append(i)
            yield f

    stream = distort_stream(source(), 10.0, [Distortion(STUTTER, 2, 1)], 0)
    for i in range(25):
        next(stream)
    assert pulled == list(range(25))  # lazy: one frame in, one frame out

"""Every spatial distortion against its formula, on real photographic content."""

import cv2
import numpy as np
import pytest
from photo_clips import photo_clip

from vqa.distort import Distortion, SpatialParams, apply_distortions, distort_region, location_box

P = SpatialParams()


@pytest.fixture(scope="module")
def frames():
    return photo_clip(160, 120, 20, seed=1)  # 20 frames at 10 fps = 2 s


def _spec(kind, level, location="center-right", start=0, duration=1, w=160, h=120):
    return Distortion(kind, start, duration, level=level, location=location,
                      box=location_box(location, w, h))


@pytest.mark.parametrize("level,kernel", [(1, 17), (2, 33), (3, 49)])
def test_blur_is_opencv_gaussian_with_kernel_16l_plus_1_inside_box_only(frames, level, kernel):
    spec = _spec("blur", level)
    out = apply_distortions(frames, 10.0, [spec], seed=0, params=P)
    x0, y0, x1, y1 = spec.box
    for i in range(10):  # second 0 = frames 0..9
        want = cv2.GaussianBlur(np.ascontiguousarray(frames[i, y0:y1, x0:x1]), (kernel, kernel), 0)
        np.testing.assert_array_equal(out[i, y0:y1, x0:x1], want)
        outside = np.ones(frames.shape[1:3], bool)
        outside[y0:y1, x0:x1] = False
        np.testing.assert_array_equal(out[i][outside], frames[i][outside])
    np.testing.assert_array_equal(out[10:], frames[10:])  # after its second: untouched
    assert not np.array_equal(out[0, y0:y1, x0:x1], frames[0, y0:y1, x0:x1])


@pytest.mark.parametrize("kind,level,factor", [("overexposure", 1, 1.3), ("overexposure", 3, 1.9),
                                               ("underexposure", 1, 0.75),
                                               ("underexposure", 3, 0.25)])
def test_exposure_scales_and_clamps_to_1_254(frames, kind, level, factor):
    region = frames[0, :40, :40]
    got = distort_region(region, kind, level, P)
    want = np.clip(np.rint(region.astype(np.float64) * factor), 1, 254)
    np.testing.assert_array_equal(got, want.astype(np.uint8))
    assert got.min() >= 1 and got.max() <= 254
    extremes = np.array([[[0, 128, 255]]], np.uint8)
    assert distort_region(extremes, kind, level, P).tolist()[0][0][0] == 1
    assert distort_region(extremes, kind, level, P).tolist()[0][0][2] == (254 if factor > 1
                                                                          else round(255 * factor))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_noise_has_sigma_10l_and_zero_mean(level):
    flat = np.full((200, 200, 3), 128, np.uint8)  # mid grey: no clipping for σ ≤ 30 (4σ < 127)
    got = distort_region(flat, "noise", level, P, np.random.default_rng(5)).astype(np.float64)
    diff = got - 128
    assert abs(diff.mean()) < 0.3
    assert diff.std() == pytest.approx(10 * level, rel=0.03)
    # the exact draw: rint(x + N(0, σ)) from the given generator
    draw = np.random.default_rng(5).normal(0, 10 * level, flat.shape)
    want = np.clip(np.rint(128 + draw), 0, 255)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("level,quality", [(1, 25), (2, 15), (3, 5)])
def test_jpeg_is_an_opencv_round_trip_at_quality_35_minus_10l(frames, level, quality):
    region = np.ascontiguousarray(frames[3, 20:100, 30:130])
    got = distort_region(region, "jpeg", level, P)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(region, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    want = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(got, want)


def test_stronger_levels_degrade_more(frames):
    region = np.ascontiguousarray(frames[5, :60, :80])
    for kind in ("blur", "jpeg", "noise"):
        err = [np.abs(distort_region(region, kind, lv, P, np.random.default_rng(0)).astype(int)
                      - region).mean() for lv in (1, 2, 3)]
        assert err[0] < err[1] < err[2], (kind, err)


def test_bad_level_and_type_are_refused(frames):
    with pytest.raises(ValueError, match="level"):
        distort_region(frames[0], "blur", 4, P)
    with pytest.raises(ValueError, match="unknown spatial"):
        distort_region(frames[0], "sharpen", 1, P)

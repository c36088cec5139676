"""A clip with a display rotation (phone video) is described and decoded as displayed, on every
route: probe, decord's sparse reads, the PyAV pass (keyframes + motion), frame iteration."""

import av
import numpy as np
import pytest

from vqa.video import (KeyframeSpec, MotionSpec, probe, read_dense, read_sparse, sample_clip,
                       sample_keyframes, sample_motion, sample_uniform)
from vqa.video.decode import iter_frames

CASES = [("r90.mp4", 90), ("r270.mkv", 270), ("r180.mp4", 180)]  # decord rotates MP4 only


def displayed(path, rotate) -> np.ndarray:
    """The reference: PyAV's coded frames, turned `rotate` degrees clockwise by numpy."""
    with av.open(str(path)) as c:
        coded = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    return np.rot90(coded, -(rotate // 90), axes=(1, 2))


def red_corner(frame) -> tuple[bool, bool]:
    """(top, left) of the red block: where the coded top-left corner is shown."""
    red = (frame[..., 0] > 200) & (frame[..., 1] < 60) & (frame[..., 2] < 60)
    ys, xs = np.nonzero(red)
    h, w = frame.shape[:2]
    return ys.mean() < h / 2, xs.mean() < w / 2


WHERE = {90: (True, False), 180: (False, False), 270: (False, True)}


@pytest.mark.parametrize("name, rotate", CASES)
def test_probe_reports_the_displayed_size_and_the_rotation(rotated_clip, name, rotate):
    path = rotated_clip(name, rotate)
    wh = (64, 48) if rotate == 180 else (48, 64)
    for verify in ("none", "packets"):
        info = probe(path, verify=verify)
        assert (info.width, info.height, info.rotation) == (*wh, rotate)


@pytest.mark.parametrize("name, rotate", CASES)
def test_every_decoder_route_returns_frames_as_displayed(rotated_clip, name, rotate):
    path = rotated_clip(name, rotate)
    ref = displayed(path, rotate)
    assert red_corner(ref[0]) == WHERE[rotate]
    h, w = ref.shape[1:3]
    routes = {
        "read_sparse": read_sparse(path, [5, 0]),
        "read_dense": read_dense(path, {"f": ([5, 0], None)})["f"],
        "keyframes": sample_keyframes(path).frames,
        "uniform": sample_uniform(path, n=2).frames,
        "motion": sample_motion(path, size=None).frames,
        "iter_frames": np.stack(list(iter_frames(path))),
    }
    for name_, frames in routes.items():
        assert frames.shape[1:3] == (h, w), name_
        assert red_corner(frames[0]) == WHERE[rotate], name_
    assert np.abs(routes["read_sparse"].astype(int) - ref[[5, 0]]).mean() < 2
    assert np.abs(routes["iter_frames"].astype(int) - ref).mean() < 2
    # Sizes are asked for as displayed (height, width): a portrait request stays portrait.
    clip = sample_clip(path, KeyframeSpec(size=(32, 24)), MotionSpec(size=(16, 12)))
    assert clip["keyframes"].frames.shape[1:3] == (32, 24)
    assert clip["motion"].frames.shape[1:3] == (16, 12)
    assert red_corner(clip["keyframes"].frames[0]) == red_corner(
        sample_keyframes(path, size=(32, 24)).frames[0]) == WHERE[rotate]


def test_the_manifest_records_the_rotation(rotated_clip, clip_factory):
    from vqa.data.io import manifest_table
    from vqa.pipelines.ingest import probe_row

    rows = [probe_row("r", str(rotated_clip("r90.mp4", 90)), "packets", 0, 100),
            probe_row("u", str(clip_factory("upright.mp4", frames=6)), "packets", 0, 100)]
    table = manifest_table(rows).to_pylist()
    assert [(r["width"], r["height"], r["rotation"]) for r in table] == [(48, 64, 90),
                                                                        (160, 120, 0)]

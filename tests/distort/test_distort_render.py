"""One source → clips + spec rows, without Ray: visibility gate, error rows, recorded settings."""

import json
from pathlib import Path

import numpy as np

from vqa.distort import Distortion, PlanParams, SpatialParams, apply_distortions
from vqa.distort.spec import visibility
from vqa.video import probe

ENC = {"quality": 0, "pix_fmt": "yuv444p", "preset": "ultrafast", "codec": "libx264"}


def source(path):
    info = probe(path)
    return {"video_id": Path(path).stem, "path": str(path), "fps": info.fps,
            "frames": info.frames, "width": info.width, "height": info.height}


def test_visibility_is_the_mean_change_in_box_and_span():
    frames = np.full((20, 8, 8, 3), 100, np.uint8)
    spec = Distortion("overexposure", 1, 1, level=1, location="top-left", box=(0, 0, 4, 4))
    out = apply_distortions(frames, 10.0, [spec], 0)
    assert visibility(frames, out, spec, 10.0) == 30.0  # 100 × 1.3 = 130 everywhere in the box
    still = Distortion("stutter", 1, 1)
    assert visibility(frames, apply_distortions(frames, 10.0, [still], 0), still, 10.0) == 0.0


def test_render_writes_clips_records_and_gates(clip_factory, tmp_path):
    from vqa.distort.render import render_source

    src = source(clip_factory("render_src.mp4", width=64, height=48, frames=30, fps=10.0))
    rows = render_source(src, ["blur", "stutter"], str(tmp_path / "a"), 0, PlanParams(),
                         SpatialParams(), ENC)
    assert {r["status"] for r in rows} == {"ok"} and {r["variant"] for r in rows} == {"blur",
                                                                                       "stutter"}
    for r in rows:
        assert Path(r["video"]).exists() and r["visibility"] > 0
        assert json.loads(r["encode"])["crf"] == 0 and json.loads(r["encode"])["frames"] == 30
    gated = render_source(src, ["blur"], str(tmp_path / "b"), 0, PlanParams(), SpatialParams(),
                          ENC, min_visibility=1000)
    assert [r["status"] for r in gated] == ["filtered"] and "not visible" in gated[0]["error"]
    assert gated[0]["video"] is None and not list((tmp_path / "b").rglob("*.mp4"))


def test_broken_source_becomes_error_rows(broken_files, tmp_path):
    from vqa.distort.render import render_source

    src = {"video_id": "bad", "path": str(broken_files["truncated"]), "fps": 25.0,
           "frames": 60, "width": 160, "height": 120}
    rows = render_source(src, ["noise", "stutter"], str(tmp_path), 0, PlanParams(),
                         SpatialParams(), ENC)
    assert [r["status"] for r in rows] == ["error", "error"]
    assert all(r["error"].startswith(("decode failed", "decoded ")) for r in rows), rows
    assert not list(tmp_path.rglob("*.mp4"))  # no half-written clip is left behind


def test_a_rotated_source_gives_upright_clips(rotated_clip, tmp_path):
    """A phone clip (display rotation 90°) is distorted as displayed and written upright: the
    clip has no rotation to apply and is the source's displayed shape."""
    from vqa.distort.render import render_source

    src = source(rotated_clip("r90.mp4", 90))
    assert (src["width"], src["height"]) == (48, 64)
    from vqa.video.decode import iter_frames

    row = render_source(src, ["stutter"], str(tmp_path), 0, PlanParams(), SpatialParams(),
                        ENC)[0]
    assert row["status"] == "ok", row
    info = probe(row["video"])
    assert (info.width, info.height, info.rotation) == (48, 64, 0)
    first = next(iter_frames(row["video"]))
    assert first[:16, -12:, 0].mean() > 200 and first[:16, -12:, 1:].mean() < 60  # top right

"""One source video → its distorted clips and their spec rows (no Ray here: the pipeline maps
this over batches). Frames stream decode → distort → encode, one at a time, so memory does not
grow with the clip. A failure becomes an error row, never an exception."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from vqa.data import fs
from vqa.distort.spatial import SpatialParams
from vqa.distort.spec import (
    PlanParams, Visibility, distort_pairs, frame_span, plan_clip, whole_seconds)
from vqa.video.decode import iter_frames
from vqa.video.writer import write_video


def clip_seed(seed: int, video_id: str, variant: str) -> int:
    """Independent of scheduling: the same (seed, source, variant) always plans the same clip."""
    return int.from_bytes(hashlib.sha1(f"{seed}:{video_id}:{variant}".encode()).digest()[:4],
                          "big")


def spec_rows(base: dict, specs, fps: float, frames: int, seen: list[float]) -> list[dict]:
    rows = []
    for spec, vis in zip(specs, seen):
        a, b = frame_span(spec.start, spec.start + spec.duration, fps, frames)
        rows.append(dict(base, type=spec.type, level=spec.level, level_name=spec.level_name,
                         location=spec.location, box=list(spec.box) if spec.box else None,
                         start=spec.start, duration=spec.duration, start_frame=a, end_frame=b,
                         visibility=round(vis, 3)))
    return rows


class _Timed:
    """Wraps an iterator and adds the time spent inside it to `self.seconds`."""

    def __init__(self, it):
        self.it, self.seconds = iter(it), 0.0

    def __iter__(self):
        return self

    def __next__(self):
        t = time.perf_counter()
        try:
            return next(self.it)
        finally:
            self.seconds += time.perf_counter() - t


def render_clip(path: str, fps: float, frames: int, specs, seed: int, spatial: SpatialParams,
                video: Path, encode: dict) -> tuple[dict, list[float], dict]:
    """Decode → distort → encode in one pass; returns (encode settings, visibility, timings)."""
    vis = Visibility(specs, fps)
    decode = _Timed(iter_frames(path))

    def frames_out():
        for i, (src, out) in enumerate(distort_pairs(decode, fps, specs, seed, spatial)):
            vis.add(i, src, out)
            yield out

    produce = _Timed(frames_out())
    t0 = time.perf_counter()
    settings = write_video(produce, fps, video, **encode)
    total = time.perf_counter() - t0
    if settings["frames"] != frames:
        raise ValueError(f"decoded {settings['frames']} frames, the manifest says {frames}")
    times = {"decode_s": decode.seconds, "distort_s": produce.seconds - decode.seconds,
             "encode_s": total - produce.seconds}
    return settings, vis.values(), times


def render_source(source: dict, variants: list[str], out_dir: str, seed: int, plan: PlanParams,
                  spatial: SpatialParams, encode: dict, min_visibility: float = 0.0) -> list[dict]:
    """Per variant: plan, then stream the clip through its distortions into a near-lossless
    encode, and record. A clip whose distortion changes its pixels by less than
    `min_visibility` (mean, 0–255) is deleted again: status `filtered`. A remote source is staged
    once for all its variants; remote clips are written locally and uploaded."""
    with fs.staged(source["path"]) as (local, stage_error):
        return _render_source(source, local, stage_error, variants, out_dir, seed, plan, spatial,
                              encode, min_visibility)


def _render_source(source: dict, local: str | None, stage_error: str | None, variants, out_dir,
                   seed, plan, spatial, encode, min_visibility) -> list[dict]:
    vid, path = source["video_id"], source["path"]
    fps, n = float(source["fps"]), int(source["frames"])
    common = {"source_id": vid, "source_path": path, "fps": fps, "frames": n,
              "width": source["width"], "height": source["height"],
              "seconds": whole_seconds(n, fps), "status": "ok", "error": None}
    rows = []
    for variant in variants:
        clip_id = f"{vid}__{variant}"
        s = clip_seed(seed, vid, variant)
        base = dict(common, clip_id=clip_id, variant=variant, seed=s)
        video = fs.join(out_dir, "clips", f"{clip_id}.mp4")
        if stage_error:
            rows.append(dict(base, status="error", error=stage_error))
            continue
        try:
            specs = plan_clip(variant, int(source["width"]), int(source["height"]), n, fps,
                              np.random.default_rng(s), plan)
            with fs.local_output(video) as written:
                settings, seen, times = render_clip(local, fps, n, specs, s, spatial,
                                                    Path(written), encode)
                base.update(video=video, encode=json.dumps(settings, sort_keys=True), **times)
                if min(seen) < min_visibility:
                    os.unlink(written)
                    base.update(video=None, status="filtered", error=f"not visible: mean "
                                f"change {min(seen):.2f} < {min_visibility:g}")
            rows += spec_rows(base, specs, fps, n, seen)
        except Exception as exc:
            fs.remove(video)
            reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
            rows.append(dict(base, status="error", error=reason))
    return rows

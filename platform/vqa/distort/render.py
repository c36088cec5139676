"""One source video → its distorted clips and their spec rows (no Ray here: the pipeline maps
this over batches). A failure becomes an error row, never an exception."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from vqa.distort.spatial import SpatialParams
from vqa.distort.spec import (
    PlanParams, apply_distortions, frame_span, plan_clip, visibility, whole_seconds)
from vqa.video.decode import read_dense
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


def render_source(source: dict, variants: list[str], out_dir: str, seed: int, plan: PlanParams,
                  spatial: SpatialParams, encode: dict, min_visibility: float = 0.0) -> list[dict]:
    """Decode once, then per variant: plan, distort, encode near-losslessly, record. A clip
    whose distortion changes its pixels by less than `min_visibility` (mean, 0–255) is not
    written: status `filtered`."""
    vid, path = source["video_id"], source["path"]
    fps, n = float(source["fps"]), int(source["frames"])
    common = {"source_id": vid, "source_path": path, "fps": fps, "frames": n,
              "width": source["width"], "height": source["height"],
              "seconds": whole_seconds(n, fps), "status": "ok", "error": None}
    t0 = time.perf_counter()
    try:
        frames = read_dense(path, {"all": (np.arange(n), None)})["all"]
    except Exception as exc:
        return [dict(common, clip_id=f"{vid}__{v}", variant=v, status="error",
                     error=f"decode: {getattr(exc, 'reason', None) or exc}") for v in variants]
    decode_s = (time.perf_counter() - t0) / max(1, len(variants))
    rows = []
    for variant in variants:
        clip_id = f"{vid}__{variant}"
        s = clip_seed(seed, vid, variant)
        base = dict(common, clip_id=clip_id, variant=variant, seed=s, decode_s=decode_s)
        try:
            h, w = frames.shape[1:3]
            specs = plan_clip(variant, w, h, n, fps, np.random.default_rng(s), plan)
            t1 = time.perf_counter()
            distorted = apply_distortions(frames, fps, specs, s, spatial)
            t2 = time.perf_counter()
            seen = [visibility(frames, distorted, spec, fps) for spec in specs]
            if min(seen) < min_visibility:
                rows += [dict(r, status="filtered", error=f"not visible: mean change "
                              f"{min(seen):.2f} < {min_visibility:g}")
                         for r in spec_rows(base, specs, fps, n, seen)]
                continue
            video = Path(out_dir) / "clips" / f"{clip_id}.mp4"
            settings = write_video(distorted, fps, video, **encode)
            t3 = time.perf_counter()
            base.update(video=str(video), encode=json.dumps(settings, sort_keys=True),
                        distort_s=t2 - t1, encode_s=t3 - t2)
            rows += spec_rows(base, specs, fps, n, seen)
        except Exception as exc:
            rows.append(dict(base, status="error", error=f"{type(exc).__name__}: {exc}"))
    return rows

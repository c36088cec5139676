"""Synthesis cost on one core: distorted clips per second, and the time split between decode,
distortion and encode, per variant and per encode setting (the job's stage, without Ray).

    python benchmarks/synthesize.py [--size 640x360] [--seconds 5] [--fps 25] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from vqa.corpus import pan_zoom, photo  # noqa: E402
from vqa.distort.render import render_source  # noqa: E402
from vqa.distort.spatial import SPATIAL_TYPES, SpatialParams  # noqa: E402
from vqa.distort.spec import STUTTER, PlanParams  # noqa: E402
from vqa.video import probe, write_video  # noqa: E402

ENCODES = {
    "crf0-yuv444p-ultrafast (default)": {"quality": 0, "pix_fmt": "yuv444p", "preset": "ultrafast"},
    "crf0-yuv444p-veryfast": {"quality": 0, "pix_fmt": "yuv444p", "preset": "veryfast"},
    "crf10-yuv444p-veryfast": {"quality": 10, "pix_fmt": "yuv444p", "preset": "veryfast"},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    import cv2

    cv2.setNumThreads(1)
    variants = [*SPATIAL_TYPES, STUTTER]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.mp4"
        n = int(args.seconds * args.fps)
        write_video(pan_zoom(photo("astronaut"), w, h, n, np.random.default_rng(0)), args.fps,
                    src, quality=18)
        info = probe(src)
        source = {"video_id": "src", "path": str(src), "fps": info.fps, "frames": info.frames,
                  "width": w, "height": h}
        runs: dict[str, list[dict]] = {name: [] for name in ENCODES}
        for r in range(args.rounds):  # settings interleaved: background load hits all alike
            for name, enc in ENCODES.items():
                t0 = time.perf_counter()
                rows = render_source(source, variants, f"{tmp}/out{r}", r, PlanParams(),
                                     SpatialParams(), dict(enc, codec="libx264"))
                wall = time.perf_counter() - t0
                clips = {x["clip_id"]: x for x in rows if x["status"] == "ok"}.values()
                assert len(clips) == len(variants), rows
                frames = {c["variant"]: sum(x["end_frame"] - x["start_frame"] for x in rows
                                            if x["clip_id"] == c["clip_id"]) for c in clips}
                runs[name].append({
                    "wall": wall,
                    "decode": sum(c["decode_s"] for c in clips),
                    "distort": {c["variant"]: c["distort_s"] for c in clips},
                    "distort_frames": frames,
                    "encode": {c["variant"]: c["encode_s"] for c in clips},
                    "mb": sum(Path(c["video"]).stat().st_size for c in clips) / 1e6,
                })
        results = {}
        for name, per_round in runs.items():
            med = lambda f: statistics.median(f(x) for x in per_round)  # noqa: E731
            distort = med(lambda x: sum(x["distort"].values()))
            encode = med(lambda x: sum(x["encode"].values()))
            decode = med(lambda x: x["decode"])
            wall = med(lambda x: x["wall"])
            results[name] = {
                "clips_per_s_per_core": round(len(variants) / wall, 2),
                "wall_s_per_source": round(wall, 2),
                "share_decode": round(decode / wall, 3),
                "share_distort": round(distort / wall, 3),
                "share_encode": round(encode / wall, 3),
                "distort_ms_per_clip": {v: round(1000 * med(lambda x: x["distort"][v]), 1)
                                        for v in variants},
                # includes the clip's one full copy (the input is never mutated): per-frame
                # cost is high for clips with few distorted frames
                "distort_ms_per_distorted_frame": {
                    v: round(1000 * med(lambda x: x["distort"][v] / max(1, x["distort_frames"][v])),
                             2) for v in variants},
                "mb_per_clip": round(med(lambda x: x["mb"]) / len(variants), 2),
            }
    print(json.dumps({"size": args.size, "frames_per_clip": n, "fps": args.fps,
                      "variants": variants, "results": results}, indent=2))


if __name__ == "__main__":
    main()

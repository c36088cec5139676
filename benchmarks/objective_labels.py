"""How well the built-in baseline rater (`vqa label`'s `baseline`) ranks the rating mode's
degradations — no fitting anywhere, the fixed rule of `vqa.objective.baseline`.

    python benchmarks/objective_labels.py [--size 320x240] [--sources chelsea coffee …]

Per source photograph: a pan/zoom clip (50 frames @ 25 fps), the reference plus every global
type of `vqa synthesize --mode rating` at severities 1..5 (the same `degrade_stream`; h264 by a
real x264 encode at the type's CRF, decoded back), each scored by the baseline. Reported: SRCC
of score against −severity (reference = 0) within each source over all types pooled, and per
type (mean over sources). The baseline's anchors come from `astronaut` at 160×120, which is left
out of the default sources.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))

SOURCES = ("chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field",
           "retina", "camera")


def degraded(frames: np.ndarray, kind: str, sev: int) -> np.ndarray:
    from vqa.distort.degrade import DegradeParams, degrade_stream
    from vqa.video import write_video
    from vqa.video.decode import iter_frames

    p = DegradeParams()
    if kind != "h264":
        return np.stack(list(degrade_stream(frames, 25.0, [(kind, sev)], p, seed=sev)))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.mp4")
        write_video(frames, 25.0, path, quality=p.value("h264", sev), preset=p.h264_preset)
        return np.stack(list(iter_frames(path)))


def main(argv=None) -> int:
    from vqa.corpus import pan_zoom, photo
    from vqa.distort.degrade import GLOBAL_TYPES
    from vqa.objective.baseline import rate_frames

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--sources", nargs="+", default=list(SOURCES))
    args = ap.parse_args(argv)
    w, h = map(int, args.size.split("x"))
    t0, per_type, pooled = time.perf_counter(), {t: [] for t in GLOBAL_TYPES}, []
    for i, name in enumerate(args.sources):
        frames = pan_zoom(photo(name), w, h, 50, np.random.default_rng(i))
        ref = rate_frames(frames)["score"]
        sev, score = [0], [ref]
        for kind in GLOBAL_TYPES:
            s = [rate_frames(degraded(frames, kind, k))["score"] for k in range(1, 6)]
            per_type[kind].append(spearmanr([0, 1, 2, 3, 4, 5], [ref, *s])[0] * -1)
            sev += [1, 2, 3, 4, 5]
            score += s
        pooled.append(spearmanr(sev, score)[0] * -1)
        print(f"{name}: reference {ref:.1f}, SRCC vs -severity (all types) {pooled[-1]:.3f}")
    print(f"\n{len(args.sources)} sources at {w}x{h}, {time.perf_counter() - t0:.0f} s")
    print("| type | SRCC vs -severity (mean over sources, min) |\n|---|---|")
    for kind, v in per_type.items():
        v = np.nan_to_num(v)
        print(f"| {kind} | {np.mean(v):.2f} ({np.min(v):.2f}) |")
    print(f"| **all types pooled, within a source** | {np.mean(pooled):.3f} "
          f"({np.min(pooled):.3f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

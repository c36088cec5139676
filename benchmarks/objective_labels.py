"""How well the built-in baseline rater (`vqa label`'s `baseline`) ranks the rating mode's
degradations — no fitting anywhere, the fixed rule of `vqa.objective.baseline`.

    python benchmarks/objective_labels.py [--size 320x240] [--sources chelsea coffee …]
    python benchmarks/objective_labels.py --specs rating/specs.parquet   # real rating-mode clips

Per source photograph: a pan/zoom clip (50 frames @ 25 fps), the reference plus every global
type of `vqa synthesize --mode rating` at severities 1..5 (the same `degrade_stream`; h264 by a
real x264 encode at the type's CRF, decoded back), each scored by the baseline. Reported: SRCC
of score against −severity (reference = 0) within each source over all types pooled, and per
type (mean over sources). The baseline's anchors come from `astronaut` at 160×120, which is left
out of the default sources. With `--specs` (the specs.parquet of `vqa synthesize --mode
rating`): every ok clip as rendered (references, singles and doubles), SRCC of the score against
the clip's synthetic MOS within each source and pooled.
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


def on_specs(path: str) -> int:
    import pandas as pd

    from vqa.objective.baseline import rate_frames
    from vqa.objective.raters import read_frames

    t0 = time.perf_counter()
    spec = pd.read_parquet(path)
    spec = spec[spec.status == "ok"].reset_index(drop=True)
    spec["score"] = [rate_frames(read_frames(v, 50))["score"] for v in spec.video]
    per = spec.groupby("source_id").apply(lambda g: spearmanr(g.score, g.mos)[0])
    print(f"{len(spec)} clips / {spec.source_id.nunique()} sources, "
          f"{time.perf_counter() - t0:.0f} s")
    print(f"SRCC vs MOS within a source: mean {per.mean():.3f} (min {per.min():.3f}, max "
          f"{per.max():.3f}); pooled over sources {spearmanr(spec.score, spec.mos)[0]:.3f}")
    single = spec[spec.types.map(len) == 1]
    if len(single):
        by = single.assign(t=single.types.map(lambda t: t[0]))
        rows = by.groupby("t").apply(lambda g: spearmanr(g.score, g.mos)[0])
        print("single-degradation clips, SRCC vs MOS by type (pooled over sources):",
              ", ".join(f"{k} {v:.2f}" for k, v in rows.items()))
    return 0


def main(argv=None) -> int:
    from vqa.corpus import pan_zoom, photo
    from vqa.distort.degrade import GLOBAL_TYPES
    from vqa.objective.baseline import rate_frames

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--sources", nargs="+", default=list(SOURCES))
    ap.add_argument("--specs", help="specs.parquet of `vqa synthesize --mode rating`")
    args = ap.parse_args(argv)
    if args.specs:
        return on_specs(args.specs)
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

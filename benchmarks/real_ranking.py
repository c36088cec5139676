"""Does a trained model rank *real* videos by severity? Degrade real clips globally (the rating
mode's own degradations) at severities 0..5 and rate each with `vqa score`'s path.

    python benchmarks/real_ranking.py --model DIR_OR_URI ../shared/videos/kinetics_*.mp4

Prints, per clip and degradation, the rated scores by severity and their SRCC with −severity
(1.0 = perfectly ordered, best first).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from scipy import stats

from vqa.distort.degrade import DegradeParams, degrade_stream
from vqa.model.registry import resolve_model_path
from vqa.model.vqa_model import VQAModel
from vqa.video import probe, write_video
from vqa.video.decode import iter_frames


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("videos", nargs="+")
    ap.add_argument("--model", required=True)
    ap.add_argument("--kinds", default="blur,noise,jpeg,underexposure")
    ap.add_argument("--max-frames", type=int, default=72)
    a = ap.parse_args(argv)
    model = VQAModel.from_pretrained(resolve_model_path(a.model))
    p = DegradeParams()
    tmp = Path(tempfile.mkdtemp(prefix="vqa-real-"))
    rows = []
    for video in a.videos:
        fps = probe(video).fps
        frames = [f for _, f in zip(range(a.max_frames), iter_frames(video))]
        for kind in a.kinds.split(","):
            scores = []
            for sev in range(6):
                out = tmp / f"{Path(video).stem}_{kind}_{sev}.mp4"
                degs = [(kind, sev)] if sev else []
                write_video(np.stack(list(degrade_stream(frames, fps, degs, p, seed=0))), fps,
                            out, quality=0)
                scores.append(model.rate(out)["score"])
            srcc = stats.spearmanr(scores, -np.arange(6))[0]
            rows.append((Path(video).name, kind, scores, srcc))
            print(f"{Path(video).name:34s} {kind:14s} " + " ".join(f"{s:.3f}" for s in scores)
                  + f"  SRCC {srcc:+.2f}", flush=True)
    print(f"mean SRCC over {len(rows)} (clip, degradation) series: "
          f"{np.nanmean([r[3] for r in rows]):+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

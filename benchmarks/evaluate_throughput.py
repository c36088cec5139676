"""Evaluation throughput: rated videos/s of `vqa evaluate`'s Ray Data actor pool, 1 vs 2 actors.

The real pipeline (`run_evaluate`, rating only, no bootstrap): a tiny model saved here, N
real-content clips with labels; each configuration runs --repeats times, interleaved, on one
local Ray cluster. `pool_s` is the wall time of the Ray Data part, actor start (model load)
included — what a user waits for; `in_actor_s` is the median time an actor spends on one video
(decode + model, from the predictions' `seconds`), so `actors / in_actor_s` is what the pool
sustains once its actors are up.

    python benchmarks/evaluate_throughput.py [--videos 24] [--repeats 2] [--actors 1 2]
        [--num-cpus 2] [--preset tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from vqa.corpus import pan_zoom, photo
from vqa.video import write_video


def clips(root: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        path = root / f"eval_{i:03d}.mp4"
        if not path.exists():
            frames = pan_zoom(photo(["astronaut", "chelsea", "coffee", "rocket"][i % 4]),
                              320, 240, 50, np.random.default_rng(i))
            write_video(frames, 25.0, path)
        out.append(path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--num-cpus", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--preset", default="tiny")
    args = ap.parse_args()

    import torch

    from vqa.evaluate.config import EvaluateConfig
    from vqa.model import build_model
    from vqa.pipelines.evaluate import prepare, run_evaluate
    from vqa.runtime import init_ray

    root = Path(tempfile.mkdtemp(prefix="vqa-bench-eval-"))
    torch.manual_seed(0)
    build_model(args.preset).save_pretrained(root / "model")
    paths = clips(root, args.videos)
    (root / "labels.csv").write_text("video,mos\n" + "".join(
        f"{p},{10 + 80 * i / max(1, len(paths) - 1):.2f}\n" for i, p in enumerate(paths)))
    init_ray(num_cpus=args.num_cpus)
    results = {a: [] for a in args.actors}
    inside = {a: [] for a in args.actors}
    for rep in range(args.repeats):
        for a in args.actors:
            cfg = EvaluateConfig(model=str(root / "model"), labels=[str(root / "labels.csv")],
                                 actors=a, batch_size=args.batch_size, bootstrap=0,
                                 out=str(root / f"out-{a}-{rep}"))
            cfg.validate()
            s = run_evaluate(cfg, prepare(cfg), progress=open(os.devnull, "w"))
            secs = pq.read_table(Path(cfg.out) / "rating_predictions.parquet",
                                 columns=["seconds"]).column("seconds").to_pylist()
            results[a].append(s["rated"] / s["pool_s"])
            inside[a].append(float(np.median(secs)))
            print(json.dumps({"actors": a, "repeat": rep, "rated": s["rated"],
                              "pool_s": s["pool_s"], "videos_per_s": round(results[a][-1], 3),
                              "in_actor_s": round(inside[a][-1], 4)}), flush=True)
    for a, v in results.items():
        best = min(inside[a])
        print(f"actors={a}: best {max(v):.3f} videos/s end to end; in actor {best:.3f} s/video "
              f"→ {a / best:.2f} videos/s sustained ({args.videos} videos, {args.num_cpus} CPUs, "
              f"preset {args.preset})")


if __name__ == "__main__":
    main()

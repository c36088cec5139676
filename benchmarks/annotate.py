"""Annotation throughput against the scripted server (a test double) with a fixed latency.

The bound on request throughput is (requests in flight) / latency = actors × max_in_flight /
latency; this measures how close the Ray Data actor pool gets, and how it scales with actors.
Throughput is taken at the server, from its answer times: `overall` = every request of the run
over the span from the first to the last answer; `steady` = the middle 80 % of answers over
the time they took (leaves out the ramp-up and the last videos' tails).

    PYTHONPATH=platform python benchmarks/annotate.py --videos-per-actor 24 --latency 0.2 \
        --in-flight 16 --actors 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np


def stats(port: int, since: int = 0) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats?since={since}") as r:
        return json.loads(r.read())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--videos", type=int, default=48)
    p.add_argument("--videos-per-actor", type=int,
                   help="weak scaling: videos = this × actors (overrides --videos)")
    p.add_argument("--latency", type=float, default=0.2)
    p.add_argument("--in-flight", type=int, default=16, help="requests in flight per actor")
    p.add_argument("--actors", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--batches-per-actor", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--num-cpus", type=int, default=4)
    p.add_argument("--port", type=int, default=18765)
    p.add_argument("--json", help="write the results here too")
    args = p.parse_args()

    from vqa.annotate.config import AnnotateConfig
    from vqa.config import from_dict
    from vqa.corpus import pan_zoom, photo
    from vqa.data import write_manifest
    from vqa.pipelines.annotate import run_annotate
    from vqa.runtime import init_ray
    from vqa.video import write_video

    work = Path(tempfile.mkdtemp(prefix="vqa-bench-annotate-"))
    clip = work / "clip.mp4"
    write_video(pan_zoom(photo("astronaut"), 96, 64, 40, np.random.default_rng(0)), 25.0, clip)
    most = max(args.actors) * args.videos_per_actor if args.videos_per_actor else args.videos
    write_manifest([{"video_id": f"v{i:04d}", "path": str(clip), "duration": 1.6, "status": "ok"}
                    for i in range(most)], work / "manifest.parquet")
    server = subprocess.Popen([sys.executable, "-m", "vqa.annotate.testing", "--port",
                               str(args.port), "--latency", str(args.latency)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    try:
        for _ in range(100):
            try:
                stats(args.port)
                break
            except OSError:
                time.sleep(0.1)
        init_ray(num_cpus=args.num_cpus)
        url = f"http://127.0.0.1:{args.port}/v1"
        for actors in args.actors:
            roles = {r: {"base_url": url, "model": f"scripted-{r}", "max_in_flight": args.in_flight,
                         "media": m} for r, m in (("expert", "video_url"), ("summarizer", "none"),
                                                  ("judge", "image_url"), ("writer", "none"))}
            cfg = from_dict(AnnotateConfig, {
                "manifest": str(work / "manifest.parquet"), "out": str(work / f"out-{actors}"),
                "roles": roles, "branches": ["technical"], "keyframe_size": 32,
                "max_keyframes": 2, "actors": actors, "max_in_flight": args.in_flight,
                "limit": actors * args.videos_per_actor if args.videos_per_actor else args.videos,
                "batch_size": args.batch_size, "batches_per_actor": args.batches_per_actor})
            mark = stats(args.port)["answered"]
            t0 = time.time()
            summary = run_annotate(cfg, progress=open(os.devnull, "w"))
            wall = time.time() - t0
            done = np.sort(np.asarray(stats(args.port, mark)["done_at"]))
            n = len(done)
            overall = n / (done[-1] - done[0] + args.latency)
            lo, hi = done[int(0.1 * n)], done[int(0.9 * n) - 1]
            steady = (int(0.9 * n) - int(0.1 * n)) / (hi - lo)
            bound = actors * args.in_flight / args.latency if args.latency else float("inf")
            row = {"actors": actors, "in_flight_per_actor": args.in_flight,
                   "latency_s": args.latency, "videos": cfg.limit, "requests": n,
                   "rows_done": summary["this_run.done"] + summary["this_run.review"],
                   "bound_rps": round(bound, 1), "overall_rps": round(overall, 1),
                   "steady_rps": round(steady, 1), "overall_pct": round(100 * overall / bound, 1),
                   "steady_pct": round(100 * steady / bound, 1), "wall_s": round(wall, 1)}
            results.append(row)
            print(json.dumps(row), flush=True)
        row = stats(args.port)
        print(f"server: max requests in flight seen {row['max_in_flight']}", flush=True)
    finally:
        server.terminate()
        server.wait()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

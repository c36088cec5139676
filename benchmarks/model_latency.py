"""Rating latency of one 10 s clip, split into decode / vision / motion / LLM, and peak memory.

    python benchmarks/model_latency.py                       # tiny preset, CPU
    python benchmarks/model_latency.py --preset omnivqa-7b --device cuda   # real size, random
                                                             # weights, bf16 (needs a GPU)

`tiny` times the whole path on a laptop CPU (decode dominates: the source is 720p); the real
presets are built from their architectures (`vqa.model.architecture`) with random weights, so
no checkpoint is needed and the numbers are the real-size compute. Median of --repeats after
one warm-up run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _clips import bench_clips  # noqa: E402

from vqa.model import architecture, build_model  # noqa: E402
from vqa.model.inference import encode_video  # noqa: E402

SIZES = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}


def _rss_gib() -> float:
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * resource.getpagesize() / 2**30, 3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--preset", default="tiny", choices=["tiny", "omnivqa-7b", "finevq-8b"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--size", default="720p", choices=sorted(SIZES))
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    root = Path(tempfile.gettempdir()) / "vqa_bench_clips_model"
    clip_args = (root, args.seconds, args.fps, {args.size: SIZES[args.size]})
    # Write the clip in a child process so its frames do not count in this process's peak RSS.
    child = multiprocessing.get_context("spawn").Process(target=bench_clips, args=clip_args)
    child.start()
    child.join()
    clip = bench_clips(*clip_args)[0]
    rss_start = _rss_gib()
    t0 = time.perf_counter()
    torch.manual_seed(0)
    cfg = "tiny" if args.preset == "tiny" else architecture(args.preset)
    model = build_model(cfg, device=args.device).eval()
    build_s = time.perf_counter() - t0
    rss_built = _rss_gib()
    cuda = args.device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    enc = encode_video(model, clip)
    tokens = {"vision": int(enc["vision"].shape[0] * enc["vision"].shape[1]),
              "motion": 0 if enc["motion"] is None else int(enc["motion"].shape[0])}
    runs = []
    for i in range(args.repeats + 1):
        t: dict = {}
        start = time.perf_counter()
        model.rate(clip, timings=t)
        t["total"] = time.perf_counter() - start
        if i:  # the first run is a warm-up
            runs.append(t)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    result = {
        "preset": args.preset, "device": args.device, "clip": f"{args.size} {args.seconds:g}s "
        f"@{args.fps}fps", "repeats": args.repeats, "torch_threads": torch.get_num_threads(),
        "build_s": round(build_s, 2), "tokens": tokens,
        "parameters": sum(p.numel() for p in model.parameters()),
        "median_s": {k: round(v, 4) for k, v in med.items()},
        "rss_gib": {"after_imports": rss_start, "after_build": rss_built,
                    "peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)},
    }
    if cuda:
        result["gpu"] = torch.cuda.get_device_name()
        result["peak_gpu_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k:>14}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training throughput: samples/s at 1 and 2 Ray Train workers (ZeRO-2, the tiny preset), and
the frame-shard path (`vqa frames`, workers never decode) against decode-on-the-fly, side by side
on the same data and budget; ratios against the 1-worker / on-the-fly baselines.

    python benchmarks/train_throughput.py --out /tmp/throughput --steps 40

The last progress window's samples/s is the figure (the first steps include DeepSpeed's set-up).
On a 2-core machine 2 workers share the cores with Ray itself: expect a ratio below 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from vqa.cli import main as vqa
from vqa.corpus import make_clip

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "brick")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="throughput_out")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=4)
    a = ap.parse_args(argv)
    out = Path(a.out).resolve()
    (out / "corpus").mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(PHOTOS):
        if not (out / "corpus" / f"{p}.mp4").exists():
            make_clip(out / "corpus" / f"{p}.mp4", p, 320, 240, 25, 4.0, seed=i)
    vqa(["ingest", str(out / "corpus"), "--out", str(out / "ingest")])
    vqa(["synthesize", "--mode", "rating", "--manifest", str(out / "ingest" / "manifest.parquet"),
         "--out", str(out / "rating"), "--clips-per-source", "6"])
    samples = out / "rating_all.jsonl"
    samples.write_text("".join((out / "rating" / s / "samples.jsonl").read_text()
                               for s in ("train", "val", "test")
                               if (out / "rating" / s / "samples.jsonl").exists()))
    results = {}
    for workers, frames in ((1, False), (2, False), (1, True), (2, True)):
        name = f"w{workers}-{'shards' if frames else 'decode'}"
        cfg = {"name": name, "out": str(out / name), "model": {"preset": "tiny"},
               "datasets": {"r": {"path": str(samples)}},
               "stages": [{"name": "r", "datasets": ["r"],
                           "optim": {"lr": 1e-3, "max_steps": a.steps, "batch_size": a.batch,
                                     "precision": "fp32"}}],
               "deepspeed": {"zero_stage": 2}, "scaling": {"workers": workers},
               "frames": {"root": str(out / "frames") if frames else None},
               "checkpoint": {"every_steps": None}, "log_every": max(1, a.steps // 4)}
        path = out / f"{name}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        if frames:  # build the shards first, so the measured run only reads them
            vqa(["frames", "--samples", str(samples), "--preset", "tiny", "--out",
                 str(out / "frames")])
        summary_file = out / name / "summary.json"
        vqa(["train", "--config", str(path), "--json"])
        results[name] = json.loads(summary_file.read_text())["samples_per_s"] \
            if summary_file.exists() else None
    base = results["w1-decode"]
    print(json.dumps(results, indent=1))
    print("| run | samples/s | ratio vs 1 worker, decoding |\n|---|---|---|")
    for k, v in results.items():
        print(f"| {k} | {v:.2f} | {v / base:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Training input: samples/s delivered to one consumer from frame shards vs decode-on-the-fly.

shards = `vqa frames` once (not in the timed loop; its one-off cost is printed), then
         `training_dataset(...).iter_rows()` + `decode_row` per sample — what a Train worker does;
fly    = `sample_frames(cfg, video)` per sample — what a worker does without shards.
Same clips, same samples (several per video, as instruction data has), the `tiny` preset's frame
config unless --preset/--set say otherwise; interleaved, best of N epochs.

    python benchmarks/frame_shards.py [--repeats 3] [--per-video 4] [--videos FILES...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from _clips import bench_clips

from vqa.data.frame_store import decode_row, sample_from_row
from vqa.model.frames import frames_key, sample_frames
from vqa.model.presets import model_config
from vqa.pipelines.frames import FramesJobConfig, run_frames, training_dataset

CONV = [{"from": "human", "value": "<video>\nHow would you rate the quality of this video?"},
        {"from": "gpt", "value": "The quality of this video is good."}]


def from_shards(ds) -> int:
    n = 0
    for row in ds.iter_rows():
        frames = decode_row(row)
        sample_from_row(row)
        n += len(frames["keyframes"].frames) > 0
    return n


def on_the_fly(cfg, samples: list[dict]) -> int:
    return sum(len(sample_frames(cfg, s["video"])["keyframes"].frames) > 0 for s in samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", nargs="*", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--per-video", type=int, default=4, help="samples per video")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()

    import ray
    import yaml

    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    cfg = model_config(args.preset, overrides=overrides)
    tmp = Path(tempfile.mkdtemp(prefix="vqa_frame_shards_"))
    videos = args.videos or bench_clips(Path(tempfile.gettempdir()) / "vqa_bench_clips",
                                        sizes={"360p": (640, 360), "540p": (960, 540),
                                               "720p": (1280, 720)})
    samples = [{"id": f"{v.stem}-{j}", "video": str(v), "conversations": CONV, "mos": 3.0}
               for v in videos for j in range(args.per_video)]
    path = tmp / "samples.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in samples))

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    t0 = time.perf_counter()
    summary = run_frames(FramesJobConfig(out=str(tmp / "frames"), samples=[str(path)],
                                         preset=args.preset, overrides=overrides))
    build = time.perf_counter() - t0
    ds, counts = training_dataset([str(path)], tmp / "frames", frames_key(cfg))
    ds = ds.materialize()  # the dataset a trainer is handed; iteration is what is timed
    shard_mb = summary["written_mb"]

    best = {"shards": float("inf"), "fly": float("inf")}
    for _ in range(args.repeats):
        for name, fn in (("shards", lambda: from_shards(ds)),
                         ("fly", lambda: on_the_fly(cfg, samples))):
            t = time.perf_counter()
            n = fn()
            best[name] = min(best[name], time.perf_counter() - t)
            assert n == len(samples), (name, n)
    n = len(samples)
    print(f"frame config: key {summary['key']}, "
          f"{cfg.frames}, motion={cfg.motion.enabled}")
    print(f"{len(videos)} videos × {args.per_video} samples = {n} samples; one-off shard build "
          f"{build:.2f} s on 2 Ray CPUs ({summary['decoded']} decoded, {shard_mb} MB written)")
    print("| source | best epoch (s) | samples/s |")
    print("|---|---|---|")
    for name in ("shards", "fly"):
        print(f"| {name} | {best[name]:.3f} | {n / best[name]:.1f} |")
    print(f"shards / fly throughput: {best['fly'] / best['shards']:.1f}×")
    ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

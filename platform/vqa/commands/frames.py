"""`vqa frames`: decode each training video's keyframes + motion frames once, into parquet
shards keyed by the model's frame config, so training workers never decode."""

from __future__ import annotations

import argparse

import yaml

from vqa.commands.common import add_runtime_flags, print_summary, run_job
from vqa.config import load
from vqa.errors import ConfigError
from vqa.errors import InputError, JobFailed
from vqa.outputs import check_out_dir
from vqa.pipelines.frames import FramesJobConfig, collect_videos, model_config, run_frames


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "frames",
        epilog="Reference: docs/data.md in the vqa checkout.",
        help="decode training videos once into frame shards (parquet) keyed by frame config",
        description="Collect the distinct videos of the instruction samples (and/or a "
                    "manifest), sample keyframes + motion frames as the model config asks, and "
                    "write OUT/<frames_key>/part-*.parquet, one row per video (a broken video "
                    "is an error row). Videos already stored under the key are reused; two "
                    "model configs with the same frame config share the shards.",
    )
    p.add_argument("--samples", nargs="+", metavar="FILE",
                   help="instruction sample files (.jsonl / .json / .parquet)")
    p.add_argument("--manifest", help="an ingest manifest.parquet (its ok rows' paths)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", help="model preset name (e.g. tiny)")
    src.add_argument("--model", help="saved model folder (only its config.yaml is read)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override the model config, dotted (--set frames.keyframe_size=64); "
                        "VALUE is YAML")
    p.add_argument("--out", help="shard root: shards go to OUT/<frames_key>/")
    p.add_argument("--video-root", help="relative video paths resolve here (default: cwd)")
    p.add_argument("--batch-size", type=int, help="videos per task (default 1)")
    add_runtime_flags(p)
    p.set_defaults(func=main)


def parse_sets(items: list[str]) -> dict | None:
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out or None


def main(args: argparse.Namespace) -> int:
    cfg = load(FramesJobConfig, args.config, {
        "samples": args.samples, "manifest": args.manifest, "preset": args.preset,
        "model": args.model, "overrides": parse_sets(args.set), "out": args.out,
        "video_root": args.video_root, "batch_size": args.batch_size,
    })
    check_out_dir(cfg.out, resumes=True)  # shards already there are reused
    model_config(cfg.preset, cfg.model, cfg.overrides)  # a bad preset / model / --set: here
    if not collect_videos(cfg):
        raise InputError(f"{cfg.samples or cfg.manifest}: no videos to decode")
    summary = run_job("frames", cfg, run_frames, args)
    print_summary("frames", summary, args.json)
    if summary["decoded"] and not summary["ok"] and summary["decoded"] == summary["failed"]:
        reasons = summary.get("error_reasons") or {}
        raise JobFailed(f"all {summary['failed']} videos failed to decode"
                        + (f"; commonest: {next(iter(reasons))}" if reasons else ""))
    return 0

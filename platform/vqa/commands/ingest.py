"""`vqa ingest`: probe a video pool into a manifest on Ray Data."""

from __future__ import annotations

import argparse

from vqa.commands.common import add_overwrite_flag, add_runtime_flags, print_summary, run_job
from vqa.config import load
from vqa.errors import JobFailed
from vqa.pipelines.ingest import IngestConfig, check_inputs, run_ingest


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest",
        epilog="Reference: docs/data.md in the vqa checkout.",
        help="probe a pool of videos into a parquet manifest",
        description="Probe every video of SRC in parallel on Ray Data (frames, fps, duration, "
                    "size, codec), keep durations in [min, max), and write "
                    "OUT/manifest.parquet with one row per video: status ok / filtered / error "
                    "and the reason. Broken videos become error rows; the job never dies on one.",
    )
    p.add_argument("src", nargs="?", help="a folder (searched recursively), a glob "
                   "('pool/**/*.mp4'), or a .csv/.parquet (column path|video|file) or .txt list "
                   "of paths; or `src:` in --config")
    p.add_argument("--out", help="output folder (manifest.parquet, summary.json)")
    p.add_argument("--min-duration", type=float, help="shortest kept video, seconds (default 3)")
    p.add_argument("--max-duration", type=float, help="kept videos are shorter than this "
                                                      "(default 15)")
    p.add_argument("--verify", choices=["none", "packets", "decode"],
                   help="how hard to check each file: headers only, demux every packet + decode "
                        "the first frame (default), or decode every frame")
    p.add_argument("--batch-size", type=int, help="videos per probe task (default 8)")
    add_overwrite_flag(p)
    add_runtime_flags(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    cfg = load(IngestConfig, args.config, {
        "src": args.src, "out": args.out, "min_duration": args.min_duration,
        "max_duration": args.max_duration, "verify": args.verify, "batch_size": args.batch_size,
    })
    rows = check_inputs(cfg, args.overwrite)  # before Ray starts
    summary = run_job("ingest", cfg, lambda c: run_ingest(c, rows), args)
    print_summary("ingest", summary, args.json)
    if summary["videos"] and not summary["kept"]:
        raise JobFailed(f"no video kept of {summary['videos']}: {why_none_kept(summary)}")
    return 0


def why_none_kept(summary: dict) -> str:
    reasons = summary.get("error_reasons") or {}
    parts = [f"{n} {r}" for r, n in list(reasons.items())[:3]]
    if summary.get("filtered"):
        parts.append(f"{summary['filtered']} outside the duration range")
    return "; ".join(parts) + f" (see {summary['manifest']})"

"""`vqa label`: objective quality labels for a manifest — an ensemble of raters on Ray Data."""

from __future__ import annotations

import argparse

from vqa.commands.common import add_overwrite_flag, add_runtime_flags, print_summary, run_job
from vqa.config import load
from vqa.errors import JobFailed
from vqa.objective.raters import MODEL_SCHEMES
from vqa.pipelines.label import LabelConfig, check_inputs, run_label
from vqa.runtime import quiet_logs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "label",
        epilog="Reference: docs/data.md in the vqa checkout.",
        help="objective quality labels: score a manifest with an ensemble of raters",
        description="Score every ok row of MANIFEST (as `vqa ingest` writes it) with each "
                    "rater on Ray Data, normalise each to [0, 100), average into "
                    "objective_score and word it as objective_level (bad/poor/fair/good/"
                    "excellent at 20/40/60/80). Writes OUT/manifest.parquet: the manifest plus "
                    "one rater_<name> column per rater. Rows not ok pass through unscored; a "
                    "video that fails to decode becomes an error row.",
    )
    p.add_argument("manifest", nargs="?",
                   help="manifest.parquet of `vqa ingest` (file or folder); or `manifest:` in "
                        "--config")
    p.add_argument("--out", help="output folder (manifest.parquet, summary.json)")
    p.add_argument("--raters", nargs="+", metavar="RATER",
                   help="baseline (built in, no weights), a saved model folder, or "
                        "models:/NAME/VERSION (default: baseline)")
    p.add_argument("--max-frames", type=int, help="frames read per video (default 50)")
    p.add_argument("--batch-size", type=int, help="videos per task (default 4)")
    p.add_argument("--device", help="torch device for model raters")
    add_overwrite_flag(p)
    add_runtime_flags(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    cfg = load(LabelConfig, args.config, {
        "manifest": args.manifest, "out": args.out, "raters": args.raters,
        "max_frames": args.max_frames, "batch_size": args.batch_size, "device": args.device,
    })
    if any(r.startswith(MODEL_SCHEMES) for r in cfg.raters):
        import mlflow  # noqa: F401  (it sets its loggers up on import: quiet them after)
    quiet_logs(args.verbose)  # a models:/ rater opens the MLflow store before Ray starts
    checked = check_inputs(cfg, args.overwrite)  # before Ray starts
    summary = run_job("label", cfg, lambda c: run_label(c, checked), args)
    print_summary("label", summary, args.json)
    if summary["to_score"] and not summary["labelled"]:
        reason = next(iter(summary["error_reasons"]), "unknown")
        raise JobFailed(f"none of {summary['to_score']} videos could be scored; commonest: "
                        f"{reason} (see {summary['manifest']})")
    return 0

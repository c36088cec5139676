"""`vqa synthesize`: the in-context branch (distorted clips + instruction samples) and the
machine-annotated fine-grained benchmark, on Ray Data."""

from __future__ import annotations

import argparse
import dataclasses

import sys

from vqa.commands.common import add_overwrite_flag, add_runtime_flags, print_summary, run_job
from vqa.config import load
from vqa.errors import JobFailed
from vqa.pipelines.synthesize import SynthesizeConfig, check_inputs, run_synthesize


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synthesize",
        epilog="Reference: docs/data.md in the vqa checkout.",
        help="add local spatial/temporal distortions to clips and generate Q&A about them",
        description="Pick sources from an ingest manifest (objective score > --min-score when "
                    "the manifest has a score column; all sources otherwise, with a warning), "
                    "add one local distortion per clip (blur, over/underexposure, noise, JPEG on "
                    "1/4 of the frame at one of 9 locations, 1-3 s) or 1-3 stutter events, "
                    "write near-lossless clips, OUT/specs.parquet and OUT/samples.jsonl "
                    "(binary, multiple-choice, open, cloze + summary questions). With "
                    "--benchmark, use the held-out sources instead and write OUT/benchmark.jsonl "
                    "(single-answer multiple choice, categories S/T/ST, balanced letters).",
    )
    p.add_argument("--mode", choices=["incontext", "rating"],
                   help="incontext (default): local distortions + in-context Q&A; rating: "
                        "global degradations (blur, noise, JPEG/H.264, exposure, colour, "
                        "stutter/judder; 0-2 per clip, severity 1-5) with a synthetic MOS, "
                        "per-dimension scores and rating Q&A, split by source into "
                        "OUT/{train,val,test}/samples.jsonl + OUT/labels.csv; every ok source "
                        "is used (no score threshold)")
    p.add_argument("--clips-per-source", type=int,
                   help="rating mode: clips per source (default 12, 1 reference)")
    p.add_argument("--max-seconds", type=float,
                   help="rating mode: cut sources to this many seconds (default 4)")
    p.add_argument("--no-dimension-questions", action="store_true", default=None,
                   help="rating mode: only the overall rating question per clip")
    p.add_argument("--manifest", help="ingest manifest (parquet)")
    p.add_argument("--out", help="output folder")
    p.add_argument("--benchmark", action="store_true", default=None,
                   help="build the FG benchmark from the held-out sources")
    p.add_argument("--variants", help="comma list of clip variants, one clip each per source "
                                      "(default blur,overexposure,underexposure,noise,jpeg,"
                                      "stutter)")
    p.add_argument("--seed", type=int, help="same seed, same clips and questions (default 0)")
    p.add_argument("--min-score", type=float, help="objective quality threshold (default 70)")
    p.add_argument("--score-column", help="manifest column with objective scores "
                                          "(default objective_score, as vqa label writes it)")
    p.add_argument("--holdout-fraction", type=float,
                   help="share of sources held out for the benchmark (default 0.12)")
    p.add_argument("--max-sources", type=int, help="use at most this many sources")
    p.add_argument("--questions", type=int, help="benchmark size (default 750)")
    p.add_argument("--min-visibility", type=float,
                   help="drop clips whose distortion changes pixels by less than this on "
                        "average (0-255; default 0 keeps all)")
    p.add_argument("--crf", type=int, help="x264 CRF of the written clips (default 0, lossless)")
    p.add_argument("--rewrite-url", help="OpenAI-compatible endpoint: rewrite open answers "
                                         "with an LLM (off unless given)")
    p.add_argument("--rewrite-model", help="model name for --rewrite-url")
    add_overwrite_flag(p)
    add_runtime_flags(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    cfg = load(SynthesizeConfig, args.config, {
        "mode": args.mode, "manifest": args.manifest, "out": args.out,
        "benchmark": args.benchmark,
        "variants": args.variants.split(",") if args.variants else None, "seed": args.seed,
        "min_score": args.min_score, "score_column": args.score_column,
        "holdout_fraction": args.holdout_fraction, "max_sources": args.max_sources,
        "benchmark_questions": args.questions, "crf": args.crf,
        "min_visibility": args.min_visibility,
        "rewrite": True if args.rewrite_url else None, "rewrite_base_url": args.rewrite_url,
        "rewrite_model": args.rewrite_model,
    })
    rating = {"clips_per_source": args.clips_per_source, "max_seconds": args.max_seconds,
              "dimension_questions": False if args.no_dimension_questions else None}
    rating = {k: v for k, v in rating.items() if v is not None}
    if rating:  # merged into the config file's `rating:` section, then validated again
        cfg = dataclasses.replace(cfg, rating=dataclasses.replace(cfg.rating, **rating))
        cfg.validate()
    check_inputs(cfg, args.overwrite)  # before Ray starts
    summary = run_job("synthesize", cfg, run_synthesize, args)
    if args.json:
        print_summary("synthesize", summary, True)
    else:
        warnings = summary.pop("warnings", [])
        print_summary("synthesize", summary)
        for w in warnings:  # once, after the table whose counts they explain
            print(f"vqa synthesize: warning: {w}", file=sys.stderr)
    if not summary["clips"] and summary["failed_clips"]:
        raise JobFailed(f"all {summary['failed_clips']} clips failed; see {summary['specs']} "
                        f"(status, error)")
    return 0

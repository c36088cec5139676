"""`vqa evaluate`: how good a model is — rating correlations and benchmark accuracy, on Ray Data,
tracked in MLflow."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from vqa.commands.common import (
    add_overwrite_flag,
    add_runtime_flags,
    console,
    print_summary,
    run_job,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate", help="evaluate a model: SRCC/KRCC/PLCC on labels, accuracy on benchmarks",
        epilog="Reference: docs/evaluation.md in the vqa checkout.",
        description="Rate every labelled video (level logits, and the score head when the model "
                    "has one) and answer every benchmark question (greedy; the first option "
                    "letter, else an LMM judge over several rounds) on a Ray Data actor pool, "
                    "then write per-video predictions, the metrics tables (markdown + CSV: SRCC, "
                    "KRCC, PLCC raw and after the 4-parameter logistic fit, RMSE, bootstrap CIs, "
                    "per dimension and subset; accuracy per question type and concern with a "
                    "random-guess row) and a scatter plot to the MLflow run. Videos that are "
                    "missing or do not decode are reported and left out, with their count.")
    p.add_argument("--model", help="saved model folder or MLflow URI (models:/NAME/VERSION)")
    p.add_argument("--labels", action="append", help="rating labels: video,mos CSV, KoNViD/LSVQ "
                   "labels.txt, the rating mode's labels.csv or an instruction file (repeat: "
                   "each file is a subset)")
    p.add_argument("--benchmark", action="append", help="Q-Bench-Video .json or FG-benchmark "
                   ".jsonl (repeatable)")
    p.add_argument("--attributes", action="append", help="FineVD-style instruction file: "
                   "yes/no per dimension, which exist, which matters most (repeatable)")
    p.add_argument("--subset", action="append", help="keep only this subset (e.g. test)")
    p.add_argument("--video-root", help="relative video names resolve here")
    p.add_argument("--out", help="also keep the outputs in this folder")
    p.add_argument("--actors", type=int, help="Ray Data actors (one model each)")
    p.add_argument("--bootstrap", type=int, help="bootstrap resamples for the CIs (0: none)")
    p.add_argument("--judge-url", help="OpenAI-compatible judge endpoint (enables the judge)")
    p.add_argument("--judge-model", help="model name at --judge-url")
    add_overwrite_flag(p)
    add_runtime_flags(p)
    p.set_defaults(func=main)


def load_config(args: argparse.Namespace):
    import dataclasses

    from vqa.config import load
    from vqa.evaluate.config import EvaluateConfig

    cfg = load(EvaluateConfig, args.config, {
        "model": args.model, "labels": args.labels, "benchmarks": args.benchmark,
        "attributes": args.attributes,
        "subsets": args.subset, "video_root": args.video_root, "out": args.out,
        "actors": args.actors, "bootstrap": args.bootstrap})
    if args.judge_url or args.judge_model:
        ep = dataclasses.replace(cfg.judge.endpoint, **{k: v for k, v in (
            ("base_url", args.judge_url), ("model", args.judge_model)) if v})
        cfg.judge = dataclasses.replace(cfg.judge, enabled=True, endpoint=ep)
        cfg.validate()
    return cfg


def main(args: argparse.Namespace) -> int:
    from vqa.errors import JobFailed
    from vqa.outputs import check_out_dir
    from vqa.pipelines.evaluate import prepare, run_evaluate

    cfg = load_config(args)
    if cfg.out:
        check_out_dir(cfg.out, args.overwrite)
    prep = prepare(cfg)  # bad model, labels or benchmark files: before Ray starts
    with tempfile.TemporaryDirectory(prefix="vqa-evaluate-") as scratch:  # removed: no --out
        out = cfg.out or scratch
        summary = run_job("evaluate", cfg, lambda c: run_evaluate(c, prep, out_dir=out), args)
        print_summary("evaluate", summary, args.json)
        if summary.get("all_failed"):
            raise JobFailed(summary["all_failed"])
        if not args.json:
            for name in ("rating_table.md", "accuracy_table.md"):
                path = Path(out) / name
                if path.exists():  # plain: rich would wrap the table rows and read [..] as markup
                    print(path.read_text(), flush=True)
            if summary.get("missing_videos") or summary.get("undecodable"):
                console.print(f"[yellow]left out[/yellow]: {summary.get('missing_videos', 0)} "
                              f"missing, {summary.get('undecodable', 0)} undecodable videos")
    return 0

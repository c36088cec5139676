"""`vqa tune`: search LoRA rank / targets, frame counts, lr and score-loss weight with Ray Tune."""

from __future__ import annotations

import argparse

from vqa.commands.common import add_runtime_flags, print_summary, run_job


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune", help="hyper-parameter search over the training job (Ray Tune + ASHA)",
        epilog="Reference: docs/training.md in the vqa checkout.",
        description="Run the training config's stage list once per trial (a Train V2 "
                    "TorchTrainer each) with parameters from a search space (tune_spaces/*.yaml);"
                    " ASHA stops weak trials early on the held-out validation metric. Every "
                    "trial is an MLflow child run of the search's run; the best trial is written "
                    "to OUT/best.yaml (a ready training config) and its model registered.")
    p.add_argument("--name", help="search name (Tune run name)")
    p.add_argument("--out", help="output folder (best.yaml, trials/, ray/)")
    p.add_argument("--space", help="search space YAML (wins over the config's)")
    p.add_argument("--trials", type=int, help="number of trials")
    p.add_argument("--max-concurrent", type=int, help="trials at once (default: what fits)")
    p.add_argument("--register-as", help="MLflow registered model name for the best model")
    add_runtime_flags(p)
    p.set_defaults(func=main)


def load_config(args: argparse.Namespace):
    from vqa.config import load
    from vqa.errors import ConfigError
    from vqa.train.search import TuneJobConfig

    if not args.config:
        raise ConfigError("vqa tune needs --config (e.g. configs/local-tune.yaml)")
    return load(TuneJobConfig, args.config, {
        "name": args.name, "out": args.out, "space": args.space, "trials": args.trials,
        "max_concurrent": args.max_concurrent, "register_as": args.register_as})


def main(args: argparse.Namespace) -> int:
    from vqa.pipelines.tune import prepare_search, run_search

    cfg = load_config(args)
    prep = prepare_search(cfg)  # unknown parameters, bad paths, bad values: before Ray starts
    summary = run_job("tune", cfg, lambda c: run_search(c, prep), args, worker_output=True)
    print_summary("tune", summary, args.json)
    return 0

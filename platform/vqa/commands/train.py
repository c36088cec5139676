"""`vqa train`: fine-tune a VQA model with the stages of a strategy (Ray Train + DeepSpeed)."""

from __future__ import annotations

import argparse

from vqa.commands.common import add_runtime_flags, print_summary, run_job


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="fine-tune a model: the stages of a strategy on Ray Train + DeepSpeed",
        description="Run the config's stage list (direct, mix, complementary …) in one Ray Train "
                    "run: DeepSpeed ZeRO 0-3 in every worker, checkpoints at a step cadence and "
                    "at stage ends, resume from the latest checkpoint when the same command runs "
                    "again (same name and storage). Writes OUT/model (save_pretrained), an MLflow "
                    "parent run with a child run per stage, and registers the model when "
                    "register_as is set.")
    p.add_argument("--name", help="run name (fixed: the same name resumes the same run)")
    p.add_argument("--out", help="output folder (model/, ray/ storage unless storage_path)")
    p.add_argument("--workers", type=int, help="Ray Train workers (scaling.workers)")
    p.add_argument("--zero", type=int, choices=[0, 1, 2, 3], help="DeepSpeed ZeRO stage")
    p.add_argument("--register-as", help="MLflow registered model name")
    add_runtime_flags(p)
    p.set_defaults(func=main)


def load_config(args: argparse.Namespace):
    from vqa.config import load
    from vqa.errors import ConfigError
    from vqa.train.config import TrainConfig

    if not args.config:
        raise ConfigError("vqa train needs --config (e.g. configs/local-complementary.yaml)")
    cfg = load(TrainConfig, args.config, {"name": args.name, "out": args.out,
                                          "register_as": args.register_as})
    if args.workers is not None:
        cfg.scaling.workers = args.workers
    if args.zero is not None:
        cfg.deepspeed.zero_stage = args.zero
    cfg.validate()
    cfg.deepspeed.validate()
    return cfg


def main(args: argparse.Namespace) -> int:
    from vqa.pipelines.train import prepare, run_train

    from vqa.outputs import check_out_dir

    cfg = load_config(args)
    check_out_dir(cfg.out, resumes=True)  # the same name resumes
    prep = prepare(cfg)  # bad paths, typos, incompatible checkpoints: before Ray starts
    summary = run_job("train", cfg, lambda c: run_train(c, prep), args, worker_output=True)
    print_summary("train", summary, args.json)
    return 0

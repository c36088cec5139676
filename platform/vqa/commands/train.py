"""`vqa train`: fine-tune a VQA model with the stages of a strategy (Ray Train + DeepSpeed)."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from vqa.commands.common import add_runtime_flags, console, print_summary, run_job


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="fine-tune a model: the stages of a strategy on Ray Train + DeepSpeed",
        epilog="Reference: docs/training.md in the vqa checkout.",
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
    p.add_argument("--plan", action="store_true",
                   help="print the memory plan per stage (parameters per module group, tokens "
                        "per sample, per-GPU weights / gradients / optimizer states / "
                        "activations) and whether it fits --gpu-mem; builds nothing, starts no "
                        "Ray; exit 2 when a stage does not fit")
    p.add_argument("--gpu-mem", type=float, default=None, metavar="GIB",
                   help="GPU memory per worker for the plan's verdict (default 80; `vqa train` "
                        "with GPU workers checks it before Ray starts when given)")
    p.add_argument("--clip-seconds", type=float, default=10.0,
                   help="clip length the plan counts tokens for (default 10)")
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


def print_plan(plans, gpu_mem: float) -> None:
    from vqa.train.plan import STATES, gib

    for p in plans:
        table = Table(title=f"plan: stage {p.stage}", show_header=True)
        for col in ("group", "parameters", "trainable"):
            table.add_column(col, justify="left" if col == "group" else "right")
        for g, c in p.params.items():
            table.add_row(g, f"{c['total']:,}", f"{c['trainable']:,}")
        console.print(table)
        t = p.tokens
        console.print(f"tokens per sample: {t['total']:,} ({t['vision']:,} vision in "
                      f"{t['keyframes']} keyframes, {t['motion']:,} motion, {t['text']:,} text)")
        per_gpu = ", ".join(f"{k} {gib(p.per_gpu[k])}" for k in (*STATES, "activations"))
        console.print(f"per worker (GPU): {per_gpu}; total {gib(p.total)} of {gib(gpu_mem)}")
        host = {k: v for k, v in p.host.items() if v}
        if host:
            console.print("offloaded to each worker's host: " +
                          ", ".join(f"{k} {gib(v)}" for k, v in host.items()))
        console.print(f"activations: {gib(p.activations['with'])} with checkpointing, "
                      f"{gib(p.activations['without'])} without (configured: "
                      f"{', '.join(p.checkpointing) or 'off'})")
        console.print("verdict: fits" if p.fits else
                      "verdict: does NOT fit; change one of:\n  - " + "\n  - ".join(p.advice))


def refuse_what_does_not_fit(plans, gpu_mem: float, hint: str = "") -> None:
    """One line, exit 2, naming the first stage over `gpu_mem` and its first fix."""
    from vqa.errors import ConfigError
    from vqa.train.plan import gib

    over = [p for p in plans if not p.fits]
    if over:
        raise ConfigError(f"stage {over[0].stage} needs {gib(over[0].total)} per GPU, more than "
                          f"--gpu-mem {gib(gpu_mem)}: {over[0].advice[0]}{hint}")


def main(args: argparse.Namespace) -> int:
    from vqa.pipelines.train import prepare, run_train
    from vqa.train.plan import GiB

    from vqa.outputs import check_out_dir

    cfg = load_config(args)
    gpu_mem = (args.gpu_mem or 80.0) * GiB
    if args.plan:
        from vqa.pipelines.train import memory_plan

        plans = memory_plan(cfg, gpu_mem, args.clip_seconds)
        if args.json:
            from vqa.train.plan import as_rows

            print(json.dumps(as_rows(plans), indent=2))
        else:
            print_plan(plans, gpu_mem)
        refuse_what_does_not_fit(plans, gpu_mem)
        return 0
    check_out_dir(cfg.out, resumes=True)  # the same name resumes
    prep = prepare(cfg)  # bad paths, typos, incompatible checkpoints: before Ray starts
    if args.gpu_mem is not None and cfg.scaling.gpus_per_worker > 0:
        from vqa.train.plan import plan

        refuse_what_does_not_fit(plan(cfg, prep["model_cfg"], gpu_mem=gpu_mem,
                                      seconds=args.clip_seconds),
                                 gpu_mem, " (vqa train --plan shows the whole plan)")
    summary = run_job("train", cfg, lambda c: run_train(c, prep), args, worker_output=True)
    print_summary("train", summary, args.json)
    return 0

"""`vqa pipeline CONFIG`: the whole loop — every step's `vqa` command — as one job."""

from __future__ import annotations

import argparse

from vqa.commands.common import add_runtime_flags, console, serve_until_stopped
from vqa.pipeline.config import PipelineConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pipeline", help="run the whole loop (ingest → label → … → train → evaluate → serve) as "
                         "one job; finished steps are reused",
        epilog="Reference: docs/pipeline.md in the vqa checkout.",
        description="Run the steps of a pipeline YAML in order on one Ray cluster, each as its "
                    "own `vqa` command with its own config (the step's `set` merged in), under "
                    "an MLflow parent run with every step's run as a child. A step that finished "
                    "with the same command, config and inputs is reused; a changed step re-runs "
                    "with every step that reads it; a failed step stops the run, and the same "
                    "command resumes there. Services (Ray Serve apps, the scripted endpoint "
                    "double) start when a step that runs needs them and stop at the end unless "
                    "keep_serving. Ends with a table of results read from the steps' outputs.")
    p.add_argument("config", help="pipeline YAML (e.g. configs/local-pipeline.yaml)")
    p.add_argument("--out", help="root of every step's output (the config's out)")
    p.add_argument("--fresh", action="store_true", help="run every step again")
    p.add_argument("--until", metavar="STEP", help="stop after this step")
    p.add_argument("--plan", action="store_true",
                   help="print what a run would do with each step (reuse or run, and why) and "
                        "stop: nothing runs, Ray does not start")
    p.add_argument("--keep-serving", action="store_true", default=None,
                   help="leave the services up at the end and wait (Ctrl-C stops them)")
    add_runtime_flags(p, config=False)
    p.set_defaults(func=main)


def load_config(args: argparse.Namespace):
    from vqa.cli import build_parser
    from vqa.config import load
    from vqa.pipelines.run_pipeline import check

    cfg = load(PipelineConfig, args.config, {"out": args.out, "keep_serving": args.keep_serving})
    check(cfg, build_parser())  # every step's command, flags, config, `set` keys: before Ray
    return cfg


def main(args: argparse.Namespace) -> int:
    import json

    from vqa.cli import build_parser, main as vqa
    from vqa.pipeline.results import results
    from vqa.pipelines.run_pipeline import run_pipeline
    from vqa.runtime import init_ray

    cfg = load_config(args)
    if args.until:
        cfg.step(args.until)  # a typo is named before Ray starts
    if args.plan:
        from vqa.pipeline.plan import decide
        from vqa.pipeline.results import plan_rows

        rows = plan_rows(decide(cfg, build_parser(), args.fresh))
        if args.json:
            print(json.dumps({"plan": rows}, indent=2))
        else:
            print_plan(cfg, rows)
        return 0
    init_ray(args.address, args.num_cpus, args.verbose, worker_output=True)
    run = run_pipeline(cfg, build_parser(), vqa, fresh=args.fresh, until=args.until)
    rows = results(cfg, run)
    if args.json:
        print(json.dumps({"steps": run.status, "seconds": run.seconds,
                          "services": run.services, "results": rows}, indent=2, default=str))
    else:
        print_results(cfg, run, rows)
    if cfg.keep_serving and run.services:
        console.print("serving; Ctrl-C stops the services")
        serve_until_stopped(run.stop_services)
    return 0


def print_results(cfg: PipelineConfig, run, rows: list[dict]) -> None:
    from rich.table import Table

    from vqa.tracking import tracking_uri

    t = Table(title=f"pipeline {cfg.name}: results (from each step's summary.json)")
    for col in ("step", "status", "s", "result"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["step"], r["status"], f"{r['seconds']:.0f}" if r["seconds"] is not None
                  else "-", r["result"])
    console.print(t)
    console.print(f"outputs under {cfg.out}/; MLflow: mlflow ui --backend-store-uri "
                  f"{tracking_uri()}  (run {run.mlflow_run_id})")
    for name, urls in run.services.items():
        live = "up" if cfg.keep_serving else "stopped with the pipeline; --keep-serving keeps it"
        console.print(f"{name} ({live}): " + ", ".join(f"{k} {v}" for k, v in urls.items()))


def print_plan(cfg: PipelineConfig, rows: list[dict]) -> None:
    from rich.table import Table

    t = Table(title=f"pipeline {cfg.name}: plan (nothing has run)")
    for col in ("step", "action", "why", "fingerprint"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["step"], r["action"], r["why"], r["fingerprint"])
    console.print(t)

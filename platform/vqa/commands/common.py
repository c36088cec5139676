"""What every job command shares: runtime flags, config loading, Ray + MLflow around the job."""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from vqa.config import to_dict
from vqa.runtime import init_ray
from vqa.storage import run_name
from vqa.tracking import job_run, log_summary

console = Console()


def add_runtime_flags(parser: argparse.ArgumentParser, config: bool = True) -> None:
    """--config (unless the command takes its YAML as an argument), --address, --num-cpus,
    --verbose, --json."""
    g = parser.add_argument_group("runtime")
    if config:
        g.add_argument("--config", help="YAML config file; flags given on the command line win")
    g.add_argument("--address", help="join this Ray cluster (default: $RAY_ADDRESS, else start a "
                                     "local one)")
    g.add_argument("--num-cpus", type=int, help="CPUs for the embedded local Ray cluster")
    g.add_argument("--verbose", action="store_true", help="Ray's INFO logs and worker output; "
                                                          "tracebacks for bad inputs too")
    g.add_argument("--json", action="store_true", help="print the summary as JSON")


def add_overwrite_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the finished run in --out (refused without it)")


def run_job(kind: str, cfg: Any, fn: Callable[[Any], dict], args: argparse.Namespace,
            worker_output: bool = False) -> dict:
    """Start/join Ray, open an MLflow run with the resolved config, run `fn(cfg)`, log its
    numeric results as metrics and the whole summary as an artifact. `worker_output` shows the
    workers' prints (training progress) without Ray's INFO logs."""
    ctx = init_ray(args.address, args.num_cpus, args.verbose, worker_output=worker_output)
    with job_run(kind, to_dict(cfg), run_name=run_name(kind, cfg),
                 tags={"ray.cluster": ctx.gcs_address}) as run:
        summary = fn(cfg)
        log_summary(summary)
        summary["mlflow_run_id"] = run.info.run_id
        summary["ray_cluster"] = ctx.gcs_address
    return summary


def print_summary(title: str, summary: dict, as_json: bool = False) -> None:
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
        return
    table = Table(title=title, show_header=False)
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
        table.add_row(key, str(value))
    console.print(table)


def serve_until_stopped(stop: Callable[[], None]) -> None:
    """Block until Ctrl-C or SIGTERM (`kill` stops the services as Ctrl-C does), then `stop`."""
    import signal
    import time

    def _interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stop()

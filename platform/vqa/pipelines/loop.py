"""Run a pipeline (`vqa pipeline`, `jobs/pipeline.py`, `make demo`): each step's `vqa` command
in this process on one Ray cluster, under one MLflow parent run (each step's job run nests in
it). A step whose marker holds its current fingerprint is skipped; a changed step re-runs from
scratch, and so does every step that reads it; services start only when a step that runs needs
them."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console

from vqa.errors import ConfigError, JobFailed
from vqa.loop import plan
from vqa.loop.config import SERVICE_KEYS, LoopConfig, StepConfig
from vqa.loop.services import STARTERS

console = Console()


@dataclass
class Run:
    """What this run did, step by step, and the services it left up (or stopped)."""
    status: dict[str, str] = field(default_factory=dict)     # ran | reused | failed | started
    seconds: dict[str, float] = field(default_factory=dict)
    services: dict[str, dict[str, str]] = field(default_factory=dict)
    stops: list[Callable[[], None]] = field(default_factory=list)
    mlflow_run_id: str | None = None

    def stop_services(self) -> None:
        while self.stops:
            try:
                self.stops.pop()()
            except Exception as exc:  # noqa: BLE001  (stopping must not hide the result)
                console.print(f"[yellow]stopping a service failed: {exc}[/yellow]")


def check(cfg: LoopConfig) -> None:
    """Everything that can be checked before a step runs (commands, flags, configs, keys)."""
    from vqa.cli import build_parser

    parser = build_parser()
    for step in cfg.steps:
        if not step.service:
            plan.check_step(step, parser)


def run_loop(cfg: LoopConfig, fresh: bool = False, until: str | None = None) -> Run:
    """Run the steps in order (through `until`, when given); raise JobFailed naming the step
    that failed — the steps before it stay finished, so the same command resumes there."""
    import mlflow

    from vqa.cli import build_parser
    from vqa.config import to_dict
    from vqa.tracking import job_run

    if until is not None:
        cfg.step(until)  # names the step, or lists the known ones
    if fresh and Path(cfg.out).exists():
        shutil.rmtree(plan.state_dir(cfg), ignore_errors=True)
    parser = build_parser()
    run = Run()
    values: dict[str, str] = {"out": str(cfg.out)}
    prints: dict[str, str] = {}
    pending: dict[str, StepConfig] = {}  # services not started yet: started when needed
    with job_run("pipeline", to_dict(cfg), run_name=f"pipeline: {cfg.name}") as parent:
        try:
            for step in cfg.steps:
                upstream = [prints[r] for r in plan.refs(step)]
                if step.service:
                    prints[step.name] = plan.fingerprint(
                        {"service": step.service, "options": step.options}, upstream)
                    pending[step.name] = step
                else:
                    _command_step(cfg, step, parser, values, prints, upstream, pending, run,
                                  fresh)
                if step.name == until:
                    break
            if cfg.keep_serving:
                for name in list(pending):
                    _start(pending.pop(name), values, run)
        except BaseException:
            run.stop_services()
            raise
        finally:
            mlflow.set_tags({f"step.{k}": v for k, v in run.status.items()})
        mlflow.log_metrics({f"seconds.{k}": v for k, v in run.seconds.items()})
        run.mlflow_run_id = parent.info.run_id
    if not cfg.keep_serving:
        run.stop_services()
    return run


def _command_step(cfg, step, parser, values, prints, upstream, pending, run, fresh) -> None:
    from vqa.cli import main as vqa

    values[step.name] = plan.step_out(cfg, step.name)
    # the fingerprint sees a service as its name (its URL may change between runs)
    tokens = {f"{n}.{k}": f"<{n}.{k}>" for n in prints if n in run.services or n in pending
              for k in SERVICE_KEYS[cfg.step(n).service]}
    probe = {**values, **tokens}
    fp = plan.fingerprint({"argv": plan.command_argv(step, probe, values[step.name], None, parser),
                           "config": plan.step_config(step, probe)}, upstream)
    prints[step.name] = fp
    marker = plan.read_marker(cfg, step.name)
    if not fresh and marker and marker.get("fingerprint") == fp and marker.get("finished"):
        run.status[step.name] = "reused"
        run.seconds[step.name] = float(marker.get("seconds", 0.0))
        console.rule(f"[dim]{step.name}: finished earlier ({marker['finished']}), reused")
        return
    if fresh or (marker and marker.get("fingerprint") != fp):
        shutil.rmtree(values[step.name], ignore_errors=True)  # a changed step starts over
    for ref in plan.refs(step):  # the services it calls must be up
        if ref in pending:
            _start(pending.pop(ref), values, run)
    data = plan.step_config(step, values)
    config_path = plan.write_step_config(cfg, step.name, data) if data is not None else None
    argv = plan.command_argv(step, values, values[step.name], config_path, parser)
    plan.write_marker(cfg, step.name, {"fingerprint": fp, "argv": argv, "finished": None})
    console.rule(f"[bold]{step.name}[/bold]: vqa {' '.join(argv)}")
    start = time.perf_counter()
    try:
        code = vqa(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    seconds = round(time.perf_counter() - start, 1)
    run.seconds[step.name] = seconds
    if code:
        run.status[step.name] = "failed"
        raise JobFailed(f"step {step.name} failed (exit {code}); the steps before it are kept: "
                        f"the same command resumes from {step.name}")
    run.status[step.name] = "ran"
    plan.write_marker(cfg, step.name, {"fingerprint": fp, "argv": argv, "seconds": seconds,
                                       "finished": time.strftime("%Y-%m-%d %H:%M:%S")})


def _start(step: StepConfig, values: dict[str, str], run: Run) -> None:
    options = plan.substitute(step.options, values, f"step {step.name}")
    console.rule(f"[bold]{step.name}[/bold]: start {step.service}")
    start = time.perf_counter()
    try:
        urls, stop = STARTERS[step.service](options)
    except (ConfigError, RuntimeError, TimeoutError, OSError) as exc:
        run.status[step.name] = "failed"
        raise JobFailed(f"service {step.name} ({step.service}) did not start: {exc}") from exc
    run.stops.append(stop)
    run.services[step.name] = urls
    run.status[step.name] = "started"
    run.seconds[step.name] = round(time.perf_counter() - start, 1)
    values.update({f"{step.name}.{k}": v for k, v in urls.items()})
    for key, url in urls.items():
        console.print(f"  {step.name}.{key}: {url}")

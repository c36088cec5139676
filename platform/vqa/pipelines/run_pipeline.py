"""Run a pipeline (`vqa pipeline`, `jobs/pipeline.py`, `make demo`): each step's `vqa` command
in this process on one Ray cluster, under one MLflow parent run (each step's job run nests in
it). A step whose marker holds its current fingerprint is skipped; a changed step re-runs from
scratch, and so does every step that reads it; services start only when a step that runs needs
them. The `vqa` command line and its dispatcher are handed in by `vqa pipeline`: this room sits
below the CLI."""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass, field
from typing import Callable

from rich.console import Console

from vqa.errors import ConfigError, JobFailed
from vqa.pipeline import plan
from vqa.pipeline.config import PipelineConfig, StepConfig
from vqa.pipelines.services import STARTERS

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


def check(cfg: PipelineConfig, parser: argparse.ArgumentParser) -> None:
    """Everything that can be checked before a step runs (commands, flags, configs, keys);
    `parser` is the `vqa` command line's."""
    from vqa.pipelines.jobs import config_of

    for step in cfg.steps:
        if not step.service:
            plan.check_step(step, parser, config_of)


def run_pipeline(cfg: PipelineConfig, parser: argparse.ArgumentParser,
                 vqa: Callable[[list[str]], int], fresh: bool = False,
                 until: str | None = None) -> Run:
    """Run the steps in order (through `until`, when given) as `plan.decide` says, each through
    `vqa(argv)` (the CLI's dispatcher; `parser` its command line); raise JobFailed naming the
    step that failed — the steps before it stay finished, so the same command resumes there."""
    import mlflow

    from vqa.config import to_dict
    from vqa.tracking import job_run

    if until is not None:
        cfg.step(until)  # names the step, or lists the known ones
    run = Run()
    values: dict[str, str] = {"out": str(cfg.out)}
    pending: dict[str, StepConfig] = {}  # services not started yet: started when needed
    with job_run("pipeline", to_dict(cfg), run_name=f"pipeline: {cfg.name}") as parent:
        try:
            for d in plan.decide(cfg, parser, fresh):
                name = d.step.name
                if d.action == "service":
                    pending[name] = d.step
                elif d.action == "reuse":
                    values[name] = plan.step_out(cfg, name)
                    run.status[name], run.seconds[name] = "reused", d.seconds
                    console.rule(f"[dim]{name}: {d.why}: reused")
                else:
                    for ref in plan.refs(d.step):  # the services it calls must be up
                        if ref in pending:
                            _start(pending.pop(ref), values, run)
                    _run_step(cfg, d, parser, vqa, values, run)
                if name == until:
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


def _run_step(cfg: PipelineConfig, d: plan.Decision, parser, vqa: Callable[[list[str]], int],
              values: dict[str, str], run: Run) -> None:
    """One command step, in this process; its marker says finished only once it exits 0."""
    name = d.step.name
    values[name] = plan.step_out(cfg, name)
    if d.clear:
        shutil.rmtree(values[name], ignore_errors=True)  # a changed step starts over
    data = plan.step_config(d.step, values)
    config_path = plan.write_step_config(cfg, name, data) if data is not None else None
    argv = plan.command_argv(d.step, values, values[name], config_path, parser)
    plan.write_marker(cfg, name, {"fingerprint": d.fingerprint, "argv": argv, "finished": None})
    console.rule(f"[bold]{name}[/bold] ({d.why}): vqa {' '.join(argv)}")
    start = time.perf_counter()
    try:
        code = vqa(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    seconds = round(time.perf_counter() - start, 1)
    run.seconds[name] = seconds
    if code:
        run.status[name] = "failed"
        raise JobFailed(f"step {name} failed (exit {code}); the steps before it are kept: "
                        f"the same command resumes from {name}")
    run.status[name] = "ran"
    plan.write_marker(cfg, name, {"fingerprint": d.fingerprint, "argv": argv,
                                  "seconds": seconds,
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

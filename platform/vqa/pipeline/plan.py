"""What a pipeline run does with each step: its command line with placeholders filled, its
config written out with the step's overrides, and its fingerprint — a hash of all of that and of
the fingerprints of the steps it reads — which decides whether the step's last finished run
(its marker under OUT/.pipeline/) can be reused."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from vqa.config import deep_merge, read_yaml
from vqa.errors import ConfigError
from vqa.pipeline.config import PLACEHOLDER, PipelineConfig, StepConfig

STATE = ".pipeline"  # OUT/.pipeline/<step>.json (marker), <step>.yaml (the step's config)


def state_dir(cfg: PipelineConfig) -> Path:
    return Path(cfg.out) / STATE


def step_out(cfg: PipelineConfig, name: str) -> str:
    return os.path.join(cfg.out, name)


def substitute(value: Any, values: dict[str, str], where: str) -> Any:
    """Fill {out}, {STEP}, {SERVICE.KEY} in strings, lists and mappings."""
    if isinstance(value, str):
        def one(m):
            key = m.group(1) + (f".{m.group(2)}" if m.group(2) else "")
            if key not in values:
                raise ConfigError(f"{where}: {{{key}}} is not available (a service that did "
                                  f"not start?)")
            return values[key]
        return PLACEHOLDER.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, values, where) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, values, where) for k, v in value.items()}
    return value


def step_config(step: StepConfig, values: dict[str, str]) -> dict | None:
    """The step's config mapping: its YAML with `set` merged in, placeholders filled."""
    if not step.config:
        return None
    path = substitute(step.config, values, f"step {step.name}")
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return substitute(deep_merge(data, step.set), values, f"step {step.name}")


def refs(step: StepConfig) -> list[str]:
    """The steps and services this step reads, in order of first mention."""
    seen: list[str] = []
    for text in step.texts():
        for ref, _ in PLACEHOLDER.findall(text):
            if ref != "out" and ref not in seen:
                seen.append(ref)
    return seen


def fingerprint(payload: Any, upstream: list[str]) -> str:
    text = json.dumps({"payload": payload, "upstream": upstream}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def subparser(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The (sub-)subcommand parser that `argv` selects (`corpus make` → make's parser)."""
    current, rest = parser, list(argv)
    while rest:
        subs = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or rest[0] not in subs[0].choices:
            break
        current = subs[0].choices[rest.pop(0)]
    return current


def command_argv(step: StepConfig, values: dict[str, str], out: str,
                 config_path: str | None, parser: argparse.ArgumentParser) -> list[str]:
    """The full `vqa` argv of a command step: its `run`, --config, --out and --overwrite (a
    re-run replaces the step's own earlier output; train has no such flag and resumes)."""
    return _complete(substitute(list(step.run), values, f"step {step.name}"), step, out,
                     config_path, parser)


def _complete(argv: list[str], step: StepConfig, out: str, config_path: str | None,
              parser: argparse.ArgumentParser) -> list[str]:
    options = subparser(parser, argv)._option_string_actions
    if config_path:
        argv = argv + ["--config", config_path]
    if step.out and "--out" in options and "--out" not in argv:
        argv = argv + ["--out", out]
    if "--overwrite" in options and "--overwrite" not in argv:
        argv = argv + ["--overwrite"]
    return argv


def check_step(step: StepConfig, parser: argparse.ArgumentParser,
               config_of: Callable[[str], type | None]) -> None:
    """Before anything runs: the command and its flags parse, the config file exists, and the
    `set` keys are keys of the command's config (`config_of(command)`: its config class, None
    for a command without one)."""
    import contextlib
    import io

    from vqa.pipeline.config import check_set_keys

    argv = _complete(list(step.run), step, "OUT", step.config, parser)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parser.parse_args(argv)
    except SystemExit:
        why = (err.getvalue().strip().splitlines() or ["does not parse"])[-1]
        raise ConfigError(f"step {step.name}: `vqa {' '.join(step.run)}`: {why}") from None
    if step.config and not PLACEHOLDER.search(step.config):
        if not Path(step.config).is_file():
            raise ConfigError(f"step {step.name}: config file not found: {step.config}")
    config = config_of(step.run[0]) if step.set else None
    if config is not None:
        check_set_keys(config, step.set, f"step {step.name}: set")
        _check_set_is_used(step, argv, subparser(parser, argv))


def _check_set_is_used(step: StepConfig, argv: list[str], parser: argparse.ArgumentParser):
    """A `set` key that changes nothing is refused: one the step's command line also gives (the
    flag wins), or a new named entry (a dataset, …) that nothing in the merged config names —
    a typo for a name the config does use (`ratng:` for `rating:`) would otherwise add an
    unused entry and leave the real one as it was."""
    import difflib

    where = f"step {step.name}: set"
    given = {a.dest for tok in argv if tok.startswith("--")
             for a in [parser._option_string_actions.get(tok.split("=")[0])] if a}
    clash = sorted(set(step.set) & (given - {"config"}))
    if clash:
        raise ConfigError(f"{where}.{clash[0]}: the step's command line gives --"
                          f"{clash[0].replace('_', '-')} too, and the command line wins; set it "
                          f"in one place")
    if not step.config or PLACEHOLDER.search(step.config):
        return
    base = read_yaml(step.config) or {}
    merged = deep_merge(base, step.set)
    for field, entries in step.set.items():
        if not isinstance(entries, dict) or not isinstance(base.get(field), dict):
            continue
        names = {v for k, v in merged.items() if k != field for v in _strings(v)}
        used = sorted(names & set(merged[field]))
        for name in entries:
            if name not in base[field] and name not in names:
                close = difflib.get_close_matches(name, used or sorted(base[field]), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ConfigError(f"{where}.{field}: '{name}' is a new entry that nothing in "
                                  f"the config uses{hint}; the names in use: {used}")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def write_step_config(cfg: PipelineConfig, name: str, data: dict) -> str:
    path = state_dir(cfg) / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def read_marker(cfg: PipelineConfig, name: str) -> dict | None:
    path = state_dir(cfg) / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_marker(cfg: PipelineConfig, name: str, marker: dict) -> None:
    from vqa.outputs import write_text_atomic

    state_dir(cfg).mkdir(parents=True, exist_ok=True)
    write_text_atomic(state_dir(cfg) / f"{name}.json", json.dumps(marker, indent=2))


@dataclass
class Decision:
    """What a run will do with a step, and why (`vqa pipeline --plan` prints these)."""
    step: StepConfig
    fingerprint: str
    action: str          # reuse | run | service
    why: str
    clear: bool = False  # its folder holds another run's output: cleared before it runs
    seconds: float = 0.0  # of the finished run a reused step stands for


def decide(cfg: PipelineConfig, parser: argparse.ArgumentParser, fresh: bool = False
           ) -> list[Decision]:
    """Every step's fingerprint and fate, from the configs and the markers alone (nothing
    runs): a step is reused when its marker holds a finished run with the same fingerprint —
    its command line, merged config and the fingerprints of what it reads."""
    from vqa.pipeline.config import SERVICE_KEYS

    values: dict[str, str] = {"out": str(cfg.out)}
    prints: dict[str, str] = {}
    out: list[Decision] = []
    for step in cfg.steps:
        upstream = [prints[r] for r in refs(step)]
        if step.service:  # seen by its name: its URL may change between runs
            values.update({f"{step.name}.{k}": f"<{step.name}.{k}>"
                           for k in SERVICE_KEYS[step.service]})
            prints[step.name] = fingerprint({"service": step.service, "options": step.options},
                                            upstream)
            out.append(Decision(step, prints[step.name], "service", "started if a step that "
                                                                    "runs calls it"))
            continue
        values[step.name] = step_out(cfg, step.name)
        fp = fingerprint({"argv": command_argv(step, values, values[step.name], None, parser),
                          "config": step_config(step, values)}, upstream)
        prints[step.name] = fp
        marker = read_marker(cfg, step.name) or {}
        same = marker.get("fingerprint") == fp
        if fresh:
            out.append(Decision(step, fp, "run", "--fresh", clear=True))
        elif same and marker.get("finished"):
            out.append(Decision(step, fp, "reuse", f"finished {marker['finished']}, same inputs",
                                seconds=float(marker.get("seconds", 0.0))))
        elif same:
            out.append(Decision(step, fp, "run", "did not finish last time (resumes)"))
        elif marker:
            out.append(Decision(step, fp, "run", "its command, config or inputs changed",
                                clear=True))
        else:
            out.append(Decision(step, fp, "run", "no finished run yet"))
    return out

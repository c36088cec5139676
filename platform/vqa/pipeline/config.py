"""The whole loop as data: a pipeline YAML names its steps — each a `vqa` command line with its
own config — and the services (Ray Serve apps, the scripted endpoint double) that later steps
call. Checked before any step runs: commands and flags, config keys, placeholders."""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from vqa.config import unknown_key
from vqa.errors import ConfigError

# {out}, {STEP} (that step's output folder), {SERVICE.KEY} (a running service's URL)
PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w-]*)(?:\.(\w+))?\}")
SERVICE_KEYS = {"serve": ("rater", "chatter"), "endpoints-double": ("url",)}
NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass
class StepConfig:
    name: str                       # also its output folder: OUT/NAME
    run: list[str] = field(default_factory=list)   # `vqa` argv, e.g. [label, "{ingest}/…"]
    config: str | None = None       # the command's YAML (passed as --config)
    set: dict[str, Any] = field(default_factory=dict)  # merged into `config` before the run
    out: bool = True                # pass --out OUT/NAME (commands that write a folder)
    service: Literal["serve", "endpoints-double"] | None = None  # a service later steps call
    options: dict[str, Any] = field(default_factory=dict)  # the service's options

    def validate(self) -> None:
        if not NAME.match(self.name) or self.name == "out":
            raise ConfigError(f"step name {self.name!r}: lower-case letters, digits, - and _, "
                              f"starting with a letter (and not 'out')")
        if self.service:
            if self.run or self.config or self.set:
                raise ConfigError(f"step {self.name}: a service takes `options`, not run / "
                                  f"config / set")
            for key in self.options:
                if key not in SERVICE_OPTIONS[self.service]:
                    raise unknown_key(f"step {self.name}", key, SERVICE_OPTIONS[self.service],
                                      f"{self.service} option")
        elif not self.run:
            raise ConfigError(f"step {self.name}: give `run` (a vqa command line) or `service`")
        elif self.set and not self.config:
            raise ConfigError(f"step {self.name}: `set` overrides a `config`; give one")

    def texts(self) -> list[str]:
        """Every string of the step that may hold placeholders."""
        out = list(self.run) + ([self.config] if self.config else [])
        out += [v for v in _leaves(self.set) if isinstance(v, str)]
        return out + [v for v in _leaves(self.options) if isinstance(v, str)]


SERVICE_OPTIONS = {
    "serve": ("model", "config", "host", "port", "media_roots", "apps", "timeout_s"),
    "endpoints-double": ("port", "votes"),
}


@dataclass
class PipelineConfig:
    PATHS = ("out",)
    name: str                        # the MLflow parent run's name
    out: str                         # every step writes under OUT/STEP; reuse markers in OUT/.pipeline/
    steps: list[StepConfig] = field(default_factory=list)
    keep_serving: bool = False       # leave the services up when the last step is done

    def validate(self) -> None:
        from vqa.storage import is_uri

        if is_uri(self.out):
            raise ConfigError(f"out: {self.out} — a pipeline's out is a local or shared-disk "
                              f"folder (it holds the step configs and reuse markers); its steps "
                              f"can still read and write storage URIs through their own configs")
        if not self.steps:
            raise ConfigError("steps: the pipeline names no step")
        seen: dict[str, StepConfig] = {}
        for step in self.steps:
            if step.name in seen:
                raise ConfigError(f"steps: two steps named {step.name!r}")
            for text in step.texts():
                for ref, key in PLACEHOLDER.findall(text):
                    check_ref(step, ref, key, seen, [s.name for s in self.steps])
            seen[step.name] = step

    def step(self, name: str) -> StepConfig:
        for s in self.steps:
            if s.name == name:
                return s
        raise ConfigError(f"no step named {name!r}; steps: {[s.name for s in self.steps]}")


def check_ref(step: StepConfig, ref: str, key: str, before: dict[str, StepConfig],
              names: list[str]) -> None:
    """A placeholder must name `out` or an earlier step (and a service's own keys)."""
    if ref == "out" and not key:
        return
    if ref not in before:
        later = " (it runs later: reorder the steps)" if ref in names else ""
        raise ConfigError(f"step {step.name}: placeholder {{{ref}{'.' + key if key else ''}}} "
                          f"names no earlier step{later}; earlier: {list(before) or 'none'}")
    target = before[ref]
    if target.service:
        keys = SERVICE_KEYS[target.service]
        if key not in keys:
            raise ConfigError(f"step {step.name}: {{{ref}.{key or ''}}}: service {ref} gives "
                              f"{', '.join('{' + ref + '.' + k + '}' for k in keys)}")
    elif key:
        raise ConfigError(f"step {step.name}: {{{ref}.{key}}}: {ref} is a command step; "
                          f"{{{ref}}} is its output folder")


def check_set_keys(cls: type, overrides: dict, where: str) -> None:
    """Unknown keys in a step's `set`, named as the command's own config would name them."""
    if not dataclasses.is_dataclass(cls):
        return
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key, value in overrides.items():
        if key not in fields:
            raise unknown_key(where, key, fields)
        _check_value(hints[key], value, f"{where}.{key}")


def _check_value(tp: Any, value: Any, where: str) -> None:
    if not isinstance(value, dict):
        return
    if dataclasses.is_dataclass(tp):
        check_set_keys(tp, value, where)
    elif typing.get_origin(tp) is dict:  # name → dataclass (e.g. a training config's datasets)
        args = typing.get_args(tp)
        for k, v in value.items():
            _check_value(args[1] if len(args) == 2 else Any, v, f"{where}.{k}")
    else:  # Optional[...] and other unions: the dataclass among them
        for arg in typing.get_args(tp):
            if dataclasses.is_dataclass(arg):
                check_set_keys(arg, value, where)


def _leaves(value: Any):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value

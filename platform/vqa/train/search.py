"""Hyper-parameter search as data: a search space (`tune_spaces/*.yaml`) names parameters, each
with a distribution and the dotted paths in the training config it sets; the tune job config
names the training config whose stage list every trial runs. Everything here is checked before
Ray starts: an unknown parameter, a path the training config does not have, or a value the
model config refuses names itself.

Dotted paths walk the training config's YAML: mapping keys, list indexes, and `*` for every item
of a list (`stages.*.optim.lr` sets the lr of every stage). `model.overrides.…` paths merge into
the preset like any `model.overrides` block."""

from __future__ import annotations

import copy
import difflib
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from vqa.errors import ConfigError

# Built-in parameters → {dotted path: factor} (factor None: the value as is). LoRA alpha follows
# the rank at 2·r (FineVQ's code); the frame counts are the ones frame shards are keyed by.
KNOWN: dict[str, dict[str, float | None]] = {
    "lora_rank": {"model.overrides.lora.r": None, "model.overrides.lora.alpha": 2},
    "lora_targets": {"model.overrides.lora.targets": None},
    "keyframes": {"model.overrides.frames.uniform": None},
    "motion_frames": {"model.overrides.frames.motion_min_frames": None},
    "lr": {"stages.*.optim.lr": None},
    "score_loss_weight": {"model.overrides.head.loss_weight": None},
}
KINDS = ("choice", "grid", "loguniform", "uniform")
FRAME_PATHS = ("model.overrides.frames.", "model.overrides.motion.")  # change the frame shards


@dataclass
class ParamSpec:
    choice: list[Any] | dict[str, Any] | None = None  # values, or {label: value}
    grid: list[Any] | None = None  # every value in order (× `trials`): Tune's grid_search
    loguniform: list[float] | None = None  # [low, high]
    uniform: list[float] | None = None  # [low, high]
    paths: dict[str, float | None] = field(default_factory=dict)  # default: KNOWN[name]

    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    def candidates(self) -> list:
        """Tune-side values to check up front: every choice, or a range's two ends."""
        return list(self.choice if self.choice is not None else self.grid
                    if self.grid is not None else self.loguniform or self.uniform)


@dataclass
class SearchSpace:
    params: dict[str, ParamSpec]
    metric: str = "val_srcc"  # a key of the training job's reports
    mode: Literal["max", "min"] = "max"

    def validate(self) -> None:
        if not self.params:
            raise ConfigError("params: a search space needs at least one parameter")
        for name, p in self.params.items():
            where = f"params.{name}"
            if not p.paths:
                if name not in KNOWN:
                    close = difflib.get_close_matches(name, list(KNOWN), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise ConfigError(f"{where}: unknown parameter '{name}'{hint}; known: "
                                      f"{sorted(KNOWN)}, or give its `paths`")
                p.paths = dict(KNOWN[name])
            given = [k for k in KINDS if getattr(p, k) is not None]
            if len(given) != 1:
                raise ConfigError(f"{where}: give exactly one of {', '.join(KINDS)}")
            if p.kind() in ("choice", "grid") and not getattr(p, p.kind()):
                raise ConfigError(f"{where}.{p.kind()}: empty")
            rng = p.loguniform or p.uniform
            if rng is not None and (len(rng) != 2 or not rng[0] < rng[1]):
                raise ConfigError(f"{where}.{p.kind()}: expected [low, high] with low < high")
            if p.loguniform is not None and p.loguniform[0] <= 0:
                raise ConfigError(f"{where}.loguniform: low must be > 0")
            if is_frame_param(p) and p.kind() not in ("choice", "grid"):
                raise ConfigError(f"{where}: changes the sampled frames, so it must be a choice "
                                  f"or grid (each value's frame shards are decoded once, up front)")


@dataclass
class AshaConfig:
    time_attr: str = "global_step"  # a key of every report
    grace_period: int = 10  # in time_attr units: no trial stops before this
    reduction_factor: float = 2.0


@dataclass
class TuneJobConfig:
    PATHS = ('train', 'space', 'out')  # storage paths: vqa.storage.resolve at load
    name: str
    train: str  # the training config every trial runs (its datasets, stage list, validation)
    space: str  # a search space YAML (tune_spaces/)
    out: str = "tune_out"  # best.yaml, summary.json, trials/<id>/, ray/ (Tune storage)
    trials: int = 6  # samples of the space (with `grid` parameters: samples × grid points)
    max_concurrent: int | None = None  # default: as many trials as the cluster's CPUs fit
    asha: AshaConfig = field(default_factory=AshaConfig)
    seed: int = 0
    register_as: str | None = None  # the best trial's model in the MLflow registry

    def validate(self) -> None:
        if self.trials < 1:
            raise ConfigError("trials must be >= 1")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ConfigError("max_concurrent must be >= 1 (or null)")
        if self.asha.grace_period < 1 or self.asha.reduction_factor <= 1:
            raise ConfigError("asha: grace_period >= 1 and reduction_factor > 1")
        if "/" in self.name or not self.name:
            raise ConfigError(f"name: {self.name!r} must be a non-empty name without '/'")


def is_frame_param(p: ParamSpec) -> bool:
    return any(path.startswith(FRAME_PATHS) for path in p.paths)


def set_path(data: Any, path: str, value: Any, where: str = "") -> None:
    """Set `path` (dotted; list indexes; `*` = every list item) in nested dicts / lists."""
    head, _, rest = path.partition(".")
    if isinstance(data, list):
        if head == "*":
            items = range(len(data))
        elif head.isdigit() and int(head) < len(data):
            items = [int(head)]
        else:
            raise ConfigError(f"{where}{path}: '{head}' is not an index of a {len(data)}-item "
                              f"list (use 0…{len(data) - 1} or *)")
        for i in items:
            _step(data, i, rest, value, where)
    elif isinstance(data, dict):
        _step(data, head, rest, value, where)
    else:
        raise ConfigError(f"{where}{path}: cannot go into a {type(data).__name__} value")


def _step(data, key, rest: str, value, where: str) -> None:
    if not rest:
        data[key] = value
        return
    if (data.get(key) if isinstance(data, dict) else data[key]) is None:
        data[key] = {}
    set_path(data[key], rest, value, where)


def value_of(p: ParamSpec, sampled: Any) -> Any:
    """Tune's sampled value → the config value (a choice label → its value)."""
    return p.choice[sampled] if isinstance(p.choice, dict) else sampled


def apply(base: dict, space: SearchSpace, params: dict) -> dict:
    """A copy of the training config dict with every sampled parameter written to its paths."""
    out = copy.deepcopy(base)
    for name, sampled in params.items():
        p = space.params[name]
        value = value_of(p, sampled)
        for path, factor in p.paths.items():
            v = value if factor is None else _scaled(value, factor)
            set_path(out, path, copy.deepcopy(v), where=f"params.{name}: ")
    return out


def _scaled(value, factor):
    v = value * factor
    return int(v) if isinstance(value, int) and float(v).is_integer() else v


def frame_points(space: SearchSpace) -> list[dict]:
    """Every combination of the frame-changing parameters' choices (one frame-shard key each)."""
    names = [n for n, p in space.params.items() if is_frame_param(p)]
    return [dict(zip(names, combo)) for combo in
            itertools.product(*(space.params[n].candidates() for n in names))]


def trial_config(base: dict, space: SearchSpace, params: dict, **fields):
    """The training config of one trial, validated (model overrides included)."""
    from vqa.config import from_dict
    from vqa.train.config import TrainConfig
    from vqa.train.model_config import resolve_model

    cfg = from_dict(TrainConfig, {**apply(base, space, params), **fields}, where="train")
    cfg.deepspeed.validate()
    resolve_model(cfg.model)
    return cfg


def check_space(base: dict, space: SearchSpace, where: str) -> None:
    """Every parameter's every choice (a range: both ends) makes a valid training config;
    the first that does not is named with its value and the reason."""
    if space.metric.startswith("val_") and not base.get("validation"):
        raise ConfigError(f"{where}: metric '{space.metric}' comes from the training job's "
                          f"held-out validation, but the training config has no `validation` "
                          f"block (validation: {{dataset: NAME, every_steps: N}})")
    for name, p in space.params.items():
        for c in p.candidates():
            try:
                trial_config(base, space, {name: c})
            except ConfigError as exc:
                raise ConfigError(f"{where}: params.{name} = {c!r}: {exc}") from None

"""The rater ensemble: each rater turns one video into a score on [0, 100); the objective label
is their mean, worded in five levels (OmniVQA §3.1: an ensemble of objective raters, normalised,
averaged, then mapped to levels). Raters: `baseline` (built in, no weights) or a saved model —
a folder or an MLflow model URI (`models:/NAME/VERSION`, `models:/NAME@alias`, `runs:/…`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from vqa.errors import InputError
from vqa.model.rating import level_of_100, to_100
from vqa.subjective.levels import FINEVD_QUALITY_WORDS

BUILTIN = ("baseline",)
MODEL_SCHEMES = ("models:/", "runs:/")
TOP = 99.99  # scores live on [0, 100): the top is just under 100


@dataclass(frozen=True)
class RaterSpec:
    name: str    # as the config names it
    kind: str    # "baseline" | "model"
    column: str  # its score column in the labelled manifest


def parse_rater(name: str) -> RaterSpec:
    """A rater name → its spec; anything but a built-in, a model URI or a model folder is an
    error that lists what is accepted."""
    if name in BUILTIN:
        return RaterSpec(name, name, f"rater_{name}")
    if name.startswith(MODEL_SCHEMES) or Path(name).is_dir():
        slug = re.sub(r"[^0-9A-Za-z]+", "_", name.split(":/", 1)[-1]).strip("_").lower()
        return RaterSpec(name, "model", f"rater_{slug or 'model'}")
    raise InputError(f"unknown rater {name!r}",
                     f"use one of {list(BUILTIN)}, a saved model folder or models:/NAME/VERSION")


def parse_raters(names: list[str]) -> list[RaterSpec]:
    specs = [parse_rater(n) for n in names]
    columns = [s.column for s in specs]
    if not specs:
        raise InputError("no raters given", "e.g. --raters baseline")
    if len(set(columns)) != len(columns):
        raise InputError(f"raters {names}: two of them share a column name; name each once")
    return specs


def check_models(specs: list[RaterSpec]) -> None:
    """Before Ray: every model rater resolves (a missing folder / unknown URI is one line)."""
    from vqa.model.registry import resolve_model_path

    for s in specs:
        if s.kind == "model":
            resolve_model_path(s.name)


def read_frames(path: str, max_frames: int) -> np.ndarray:
    """The first `max_frames` frames (memory stays bounded on long, large videos)."""
    from vqa.video.decode import iter_frames

    frames = list(islice(iter_frames(path), max_frames))
    if not frames:
        raise InputError(f"{path}: no frames decoded")
    return np.stack(frames)


class Ensemble:
    """Loaded raters (models once per worker); `rate(path)` → {column: score on [0, 100)}."""

    def __init__(self, specs: list[RaterSpec], max_frames: int = 50, device: str | None = None):
        self.specs, self.max_frames, self.models = specs, max_frames, {}
        if any(s.kind == "model" for s in specs):  # torch only when a model rates
            from vqa.model import VQAModel
            from vqa.model.registry import resolve_model_path

            self.models = {s.name: VQAModel.from_pretrained(resolve_model_path(s.name), device)
                           for s in specs if s.kind == "model"}

    def rate(self, path: str) -> dict[str, float]:
        from vqa.objective.baseline import rate_frames

        out = {}
        for s in self.specs:
            if s.kind == "baseline":
                out[s.column] = rate_frames(read_frames(path, self.max_frames))["score"]
            else:
                out[s.column] = model_score_100(self.models[s.name], path)
        return {k: float(np.clip(v, 0.0, TOP)) for k, v in out.items()}


def model_score_100(model, path: str) -> float:
    """A model's level-logit score (on its level weights, 1–5) mapped linearly onto 0–100."""
    return to_100(model.rate(path)["score"], model.cfg.scoring.weights)


def objective(scores: list[float]) -> float:
    """The objective label: the mean of the raters' normalised scores."""
    return float(np.clip(np.mean(scores), 0.0, TOP))


def level_of(score: float) -> str:
    """LSVQ cut points 20/40/60/80, the project's quality words (bad … excellent)."""
    return level_of_100(score, FINEVD_QUALITY_WORDS[::-1])

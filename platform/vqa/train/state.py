"""Training checkpoints: `state.json` (where the run is), `model/` (the `save_pretrained` form)
and `ds/` (every rank's DeepSpeed shards). Resume picks up the stage and step it names."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vqa.errors import ConfigError

STATE, MODEL_DIR, DS_DIR, DS_TAG = "state.json", "model", "ds", "zero"


@dataclass
class TrainState:
    stage: int = 0  # index of the stage in progress (== len(stages) when all are done)
    stage_step: int = 0  # optimizer steps done in that stage
    global_step: int = 0
    samples_seen: int = 0
    stages_done: list[str] = field(default_factory=list)
    resumes: int = 0
    model_config: dict = field(default_factory=dict)  # the job's resolved VQAConfig

    def write(self, folder: Path) -> None:
        (Path(folder) / STATE).write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def read(cls, folder: Path) -> "TrainState":
        return cls(**json.loads((Path(folder) / STATE).read_text()))


def _flat(d, prefix=""):
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


IGNORED = ("note", "name")  # labels, not architecture


def config_mismatch(saved: dict, current: dict) -> list[str]:
    """Keys whose values differ between two model configs (labels ignored)."""
    a, b = _flat(json.loads(json.dumps(saved))), _flat(json.loads(json.dumps(current)))
    keys = sorted(k for k in set(a) | set(b) if k not in IGNORED and a.get(k) != b.get(k))
    return [f"{k}: checkpoint {a.get(k)!r} vs config {b.get(k)!r}" for k in keys]


def check_compatible(saved: dict, current: dict, where: str) -> None:
    diff = config_mismatch(saved, current)
    if diff:
        more = f" (+{len(diff) - 5} more)" if len(diff) > 5 else ""
        raise ConfigError(f"{where} was written by another model config; refusing to load it. "
                          f"Differences: {'; '.join(diff[:5])}{more}. Use another run name or "
                          f"storage path, or the checkpoint's model config")


def checkpoint_states(run_dir: Path) -> dict[Path, TrainState]:
    """The checkpoints under a Ray Train run folder whose state can be read now (one being
    written, or pruned as the glob finds it, is left out)."""
    states = {}
    for state in Path(run_dir).glob(f"checkpoint_*/{STATE}"):
        try:
            states[state.parent] = TrainState.read(state.parent)
        except (OSError, ValueError, TypeError):
            continue
    return states


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint with the most steps under a Ray Train run folder (None: a fresh run)."""
    states = checkpoint_states(run_dir)
    return max(states, key=lambda folder: states[folder].global_step, default=None)

"""MLflow for every job: one experiment per job kind, the resolved config logged with the run."""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

DEFAULT_URI = "sqlite:///mlruns.db"
EXPERIMENT_PREFIX = "vqa-"


def tracking_uri() -> str:
    """`MLFLOW_TRACKING_URI` when set, else SQLite beside the user's data
    (`vqa.storage.default_tracking_uri`: never inside a submitted job's uploaded folder)."""
    from vqa.storage import default_tracking_uri

    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


@contextlib.contextmanager
def job_run(kind: str, config: dict, run_name: str | None = None,
            tags: dict[str, str] | None = None) -> Iterator[Any]:
    """A run in experiment `vqa-<kind>` with the config as params and as `config.yaml`."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(EXPERIMENT_PREFIX + kind)
    with mlflow.start_run(run_name=run_name, tags={"vqa.job": kind, **(tags or {})}) as run:
        params = {k: ("" if v is None else str(v)[:6000]) for k, v in _flatten(config).items()}
        if params:
            mlflow.log_params(params)
        mlflow.log_dict(config, "config.yaml")
        yield run


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    import mlflow

    clean = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
    if clean:
        mlflow.log_metrics(clean, step=step)

"""MLflow for every job: one experiment per job kind, the resolved config logged with the run."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

DEFAULT_URI = "sqlite:///mlruns.db"
EXPERIMENT_PREFIX = "vqa-"


def tracking_uri() -> str:
    """`MLFLOW_TRACKING_URI` when set, else SQLite beside the user's data
    (`vqa.storage.default_tracking_uri`: never inside a submitted job's uploaded folder)."""
    from vqa.storage import default_tracking_uri

    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


def existing_store(ref: str) -> str:
    """The tracking URI to read `ref` (a models:/ or runs:/ URI) from. A SQLite store that does
    not exist holds no model: refused (ConfigError) rather than created — MLflow would leave an
    empty `mlruns.db` wherever the command ran."""
    from vqa.errors import ConfigError

    uri = tracking_uri()
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///"):]).is_file():
        where = "MLFLOW_TRACKING_URI" if os.environ.get("MLFLOW_TRACKING_URI") else \
            "the default store"
        raise ConfigError(f"{ref}: no MLflow tracking store at {uri} ({where}: no such file); "
                          f"point MLFLOW_TRACKING_URI at the store that registered it, e.g. "
                          f"sqlite:////ABSOLUTE/PATH/mlruns.db or http://MLFLOW-HOST:5000")
    return uri


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def use_experiment(name: str) -> None:
    """Make `name` the active experiment. On a SQLite store a new experiment keeps its artifacts
    beside the database (`<db folder>/mlruns/<name>`): MLflow's default is `./mlruns` of
    whatever folder the process runs in, which for a submitted job is Ray's temporary upload.
    With a tracking server, the server's artifact store decides."""
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = mlflow.get_tracking_uri()
    if uri.startswith("sqlite:///") and mlflow.get_experiment_by_name(name) is None:
        db = Path(uri[len("sqlite:///"):]).absolute()
        try:
            mlflow.create_experiment(name, (db.parent / "mlruns" / name).as_uri())
        except MlflowException:  # another job created it first
            pass
    mlflow.set_experiment(name)


@contextlib.contextmanager
def job_run(kind: str, config: dict, run_name: str | None = None,
            tags: dict[str, str] | None = None) -> Iterator[Any]:
    """A run in experiment `vqa-<kind>` with the config as params and as `config.yaml`. Inside
    another run (a step of `vqa pipeline`) it is that run's child, in the parent's experiment,
    so the whole loop reads as one tree in the MLflow UI."""
    import mlflow

    parent = mlflow.active_run()
    if parent is None:
        mlflow.set_tracking_uri(tracking_uri())
        use_experiment(EXPERIMENT_PREFIX + kind)
    with mlflow.start_run(run_name=run_name, nested=parent is not None,
                          experiment_id=parent.info.experiment_id if parent else None,
                          tags={"vqa.job": kind, **(tags or {})}) as run:
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


def log_summary(summary: dict, name: str = "summary.json") -> None:
    """What a command printed: its numbers as metrics, the whole of it as an artifact."""
    import mlflow

    log_metrics({k: v for k, v in summary.items() if isinstance(v, (int, float))})
    mlflow.log_dict(summary, name)


def record_run(kind: str, params: dict, summary: dict, run_name: str) -> str:
    """One finished run for a command that is not a Ray job (`vqa model init`, `vqa score`):
    params, the printed summary as metrics + artifact; returns the run id."""
    from vqa.runtime import quiet_logs

    quiet_logs(verbose=False)
    with job_run(kind, params, run_name=run_name) as run:
        log_summary(summary)
    return run.info.run_id

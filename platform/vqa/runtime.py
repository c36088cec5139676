"""Start or join Ray the same way for every job."""

from __future__ import annotations

import logging
import os

from vqa.errors import ConfigError

# A custom resource for Ray Tune trial drivers (`vqa tune`): a trial holds one of these instead
# of a CPU, so its Train workers get the CPUs (trials holding CPUs deadlock a small cluster).
TRAIN_DRIVER = "TRAIN_DRIVER"


def init_ray(address: str | None = None, num_cpus: int | None = None, verbose: bool = False,
             object_store_memory: int | None = None, worker_output: bool = False):
    """Join `address` / `RAY_ADDRESS` when given, else start an embedded local cluster.

    Logs stay quiet (warnings only, no worker stdout) unless `verbose`; Ray Data's progress bars
    stay on either way.
    """
    import ray

    quiet_logs(verbose)
    if ray.is_initialized():
        return ray.get_runtime_context()
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs = dict(
        logging_level=logging.INFO if verbose else logging.WARNING,
        log_to_driver=verbose or worker_output,
        configure_logging=True,
    )
    if address:
        if num_cpus is not None:
            raise ConfigError("--num-cpus sizes an embedded cluster; it cannot apply to "
                              f"--address / RAY_ADDRESS ({address})")
        ray.init(address=address, **kwargs)
    else:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        _hush_token_notice()
        ray.init(num_cpus=num_cpus, include_dashboard=False,
                 resources={TRAIN_DRIVER: float(num_cpus or os.cpu_count() or 1)},
                 object_store_memory=object_store_memory, **kwargs)
    return ray.get_runtime_context()


class _DropTokenNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Token authentication is enabled for this Ray")


def _hush_token_notice() -> None:
    """Ray 2.60 turns token auth on for a new local cluster and says so on every start; for the
    embedded cluster a command starts for itself that notice is noise (auth stays on; set
    RAY_AUTH_MODE=disabled to turn it off)."""
    log = logging.getLogger("ray._private.authentication.authentication_token_setup")
    if not any(isinstance(f, _DropTokenNotice) for f in log.filters):
        log.addFilter(_DropTokenNotice())


def quiet_logs(verbose: bool) -> None:
    """Warnings only from Ray Data and MLflow unless verbose (terminals keep progress bars)."""
    level = "INFO" if verbose else "WARNING"
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", level)
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(level)


def shutdown_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()

"""Start or join Ray the same way for every job."""

from __future__ import annotations

import logging
import os

from vqa.errors import ConfigError

# What a submitted job needs from the submitter's environment to behave like the same command
# run locally: where MLflow and the storage root are, and which S3 endpoint / region to use.
# Credentials are not forwarded (runtime envs are shown on the dashboard): nodes get theirs
# from their instance role or their own environment.
FORWARDED_ENV = ("MLFLOW_TRACKING_URI", "VQA_STORAGE_ROOT", "AWS_ENDPOINT_URL",
                 "AWS_DEFAULT_REGION", "AWS_REGION")


def job_runtime_env(working_dir: str = ".", env: dict | None = None) -> dict:
    """The runtime_env for `JobSubmissionClient.submit_job` (the same as the README's
    `ray job submit --working-dir . --runtime-env-json …`): the checkout as working dir — what
    it uploads is decided by the checkout's `.rayignore` (code only) — and FORWARDED_ENV from
    `env` (default: this process's environment) where set."""
    env = os.environ if env is None else env
    return {"working_dir": working_dir,
            "env_vars": {k: env[k] for k in FORWARDED_ENV if env.get(k)}}


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

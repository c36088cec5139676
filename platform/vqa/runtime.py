"""Start or join Ray the same way for every job."""

from __future__ import annotations

import logging
import os
import re
import socket

from vqa.errors import ClusterError, ConfigError

PROBE_TIMEOUT_S = 3.0  # a GCS that does not accept a TCP connection in this long is not there
_HOST_PORT = re.compile(r"^(?:ray://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")

# A custom resource for Ray Tune trial drivers (`vqa tune`): a trial holds one of these instead
# of a CPU, so its Train workers get the CPUs (trials holding CPUs deadlock a small cluster).
TRAIN_DRIVER = "TRAIN_DRIVER"

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
    """Join `address` / `RAY_ADDRESS` when given (`auto` included), else start an embedded
    local cluster — never the cluster Ray's "current cluster" file names: a `ray start --head`
    elsewhere on the machine, or the stale file a killed one leaves, must not capture a job
    that named no address.

    Logs stay quiet (warnings only, no worker stdout) unless `verbose`; Ray Data's progress bars
    stay on either way.
    """
    import ray

    quiet_logs(verbose)
    if ray.is_initialized():
        return ray.get_runtime_context()
    source = "--address" if address else "RAY_ADDRESS"
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs = dict(
        logging_level=logging.INFO if verbose else logging.WARNING,
        log_to_driver=verbose or worker_output,
        configure_logging=True,
    )
    if address and address != "local":
        if num_cpus is not None:
            raise ConfigError("--num-cpus sizes an embedded cluster; it cannot apply to "
                              f"--address / RAY_ADDRESS ({address})")
        if address == "auto":  # what Ray's current-cluster file names may be a dead head's
            check_address(resolve_auto(source), f"{source} auto →")
        else:
            check_address(address, source)
        try:
            ray.init(address=address, **kwargs)
        except ConnectionError as exc:
            raise ClusterError(f"{source} {address}: {' '.join(str(exc).split())[:300]}") from exc
    else:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        _hush_token_notice()
        # address="local": ray.init(address=None) would join whatever Ray's current-cluster file
        # names (then refuse our resources, or retry a dead GCS for minutes). RAY_ADDRESS is
        # dropped from this process so nothing below re-reads a cluster we chose not to join.
        os.environ.pop("RAY_ADDRESS", None)
        # The dashboard serves the State API, which Ray Train's PlacementGroupCleaner polls to
        # see that a run's controller died: without it a stopped Tune trial or a crashed run
        # keeps its workers' CPUs reserved for good (seen: both CPUs of this machine held by
        # two ASHA-stopped trials, the next trials waiting forever). It listens on 127.0.0.1.
        # That poll finds "the" cluster by scanning the machine for GCS processes and dies
        # ("Found multiple active Ray instances", a traceback, no cleaner any more) when another
        # Ray runs beside ours. The State API address its workers inherit names our dashboard.
        global _API_SERVER
        port = _free_port()
        os.environ[API_SERVER_ENV] = _API_SERVER = f"http://127.0.0.1:{port}"
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=True,
                 dashboard_host="127.0.0.1", dashboard_port=port,
                 resources={TRAIN_DRIVER: float(num_cpus or os.cpu_count() or 1)},
                 object_store_memory=object_store_memory, **kwargs)
        if not verbose:
            _drop_known_noise()
    return ray.get_runtime_context()


API_SERVER_ENV = "RAY_API_SERVER_ADDRESS"  # read by the State API before it scans the machine
_API_SERVER: str | None = None  # the value init_ray set, removed again by shutdown_ray


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resolve_auto(source: str = "--address") -> str:
    """The HOST:PORT `auto` means on this machine (the cluster `ray start --head` last recorded,
    else a running GCS), for `check_address` to probe before `ray.init` would retry it for
    minutes; a ClusterError when there is none."""
    from ray._private import services

    try:
        found = services.canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError) as exc:
        raise ClusterError(f"{source} auto: no Ray cluster is running on this machine; start one "
                           f"with `ray start --head` or leave out --address / RAY_ADDRESS to run "
                           f"on a local cluster") from exc
    return found


def check_address(address: str, source: str = "--address") -> None:
    """Fail in seconds, naming the address, where `ray.init` would raise a traceback (a
    malformed address) or retry for minutes (a GCS that is not listening)."""
    if address in ("auto", "local"):
        return
    m = _HOST_PORT.match(address.strip())
    if m is None or not 0 < int(m.group(2)) < 65536:
        raise ClusterError(f"{source} {address!r}: not a Ray cluster address; expected HOST:PORT "
                           f"of the head's GCS (e.g. 127.0.0.1:6379), ray://HOST:PORT or 'auto'")
    host, port = m.group(1).strip("[]"), int(m.group(2))
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = f"no answer in {PROBE_TIMEOUT_S:g} s" if isinstance(exc, TimeoutError) \
            else (exc.strerror or str(exc)).lower()
        raise ClusterError(f"{source} {address}: no Ray cluster answers there ({reason}); start one with `ray start --head` "
                           f"or leave out --address / RAY_ADDRESS to run on a local "
                           f"cluster") from None


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


# Lines Ray prints at error level when nothing failed, each matched in full, so that any
# other line (a real failure) still shows:
# Ray's C++ notice that an actor's constructor arguments live in the object store while it may
# restart (ray-project/ray#53727, #57733): printed for every Ray Data actor pool and Ray Train's
# PreemptionWatcher, whose arguments Ray itself holds for their lifetime — not an error of a run.
_ACTOR_ARGS_NOTICE = (r"core_worker\.cc:\d+: Actor with class name: '[^']+' and ID: '\w+' has "
                      r"constructor arguments in the object store and max_restarts > 0\.")
# Lines native code writes to the driver's own stderr (`vqa.native_stderr` drops them there).
NATIVE_NOISE = [_ACTOR_ARGS_NOTICE]
_NOISE = [  # lines of worker output Ray forwards to the driver
    re.compile(_ACTOR_ARGS_NOTICE),
    # Ray Train's own DatasetManager calling a Ray Data option Ray Data deprecates
    re.compile(r"RayDeprecationWarning: `ExecutionOptions\.exclude_resources` is deprecated"),
    re.compile(r"^\s+self\.exclude_resources = exclude_resources$"),  # its source line
    # Ray Serve's controller while `serve.shutdown` deletes the apps it was asked to delete
    re.compile(r"controller \d+ -- Cannot deregister autoscaling state for deployment "
               r"Deployment\(name='\w+', app='\w+'\) because it is not registered"),
]
# Ray Data's "The Dataset job will hang unless more CPUs are freed up" when a stage starts
# while Train workers or Serve replicas hold every CPU of a small cluster: its tasks wait for a
# CPU and then run (the streaming progress bar shows them waiting), so the warning is dropped.
_HANG_WARNING = "The Dataset job will hang unless more CPUs"


class _DropHangWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _HANG_WARNING not in str(record.msg)


def _drop_known_noise() -> None:
    """Filter `_NOISE` out of the worker output Ray forwards to this driver (a private hook: if
    a Ray upgrade moves it, the lines show again, nothing breaks)."""
    try:
        from ray._private.ray_logging import global_worker_stdstream_dispatcher as dispatch
    except ImportError:
        return

    def keep(handler):
        def emit(data):
            lines = [ln for ln in data.get("lines", []) if not any(p.search(ln) for p in _NOISE)]
            if lines:
                handler({**data, "lines": lines})
        emit.vqa_filtered = True
        return emit

    with dispatch._lock:
        dispatch.handlers = [(n, h if getattr(h, "vqa_filtered", False) else keep(h))
                             for n, h in dispatch.handlers]


def quiet_logs(verbose: bool) -> None:
    """Warnings only from Ray Data and MLflow unless verbose (terminals keep progress bars)."""
    level = "INFO" if verbose else "WARNING"
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", level)
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(level)
    log = logging.getLogger("ray.data.dataset")
    if not verbose and not any(isinstance(f, _DropHangWarning) for f in log.filters):
        log.addFilter(_DropHangWarning())


def shutdown_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()
    if _API_SERVER and os.environ.get(API_SERVER_ENV) == _API_SERVER:
        del os.environ[API_SERVER_ENV]

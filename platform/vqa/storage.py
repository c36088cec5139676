"""Where a job's paths really point: the same answer for a local command and a `ray job submit`.

A submitted job runs inside Ray's uploaded copy of the working directory
(`…/runtime_resources/working_dir_files/_ray_pkg_…`), so a relative `--out` or a default
`sqlite:///mlruns.db` would land in a temporary folder on the cluster and a relative input would
be looked up there (git-ignored data is never uploaded). Paths given to a job are therefore
resolved here: URIs (`s3://`, `gs://`, `file://`, …) and absolute paths as given; a relative path
against `VQA_STORAGE_ROOT` when it is set; inside an uploaded working directory without a root, a
relative path is refused with the reason.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path

from vqa.errors import ConfigError

ROOT_ENV = "VQA_STORAGE_ROOT"
JOB_CONFIG_ENV = "RAY_JOB_CONFIG_JSON_ENV_VAR"  # set by Ray's job manager for the entrypoint
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")  # s3://…, models:/…; not C:\\


def is_uri(path: str) -> bool:
    return bool(_SCHEME.match(str(path)))


def uploaded_working_dir() -> str | None:
    """The `working_dir` of the Ray job this process is the entrypoint of, else None."""
    raw = os.environ.get(JOB_CONFIG_ENV)
    if not raw:
        return None
    try:
        env = (json.loads(raw).get("runtime_env") or {})
    except (ValueError, AttributeError):
        return None
    return env.get("working_dir") or None


def storage_root() -> str | None:
    root = os.environ.get(ROOT_ENV, "").strip()
    if not root:
        return None
    if not is_uri(root) and not os.path.isabs(root):
        raise ConfigError(f"{ROOT_ENV}={root!r} must be an absolute path or a storage URI")
    return root


def _refusal(what: str, path: str) -> ConfigError:
    return ConfigError(
        f"{what} {path!r} is relative, and this job runs inside Ray's uploaded copy of the "
        f"working directory ({Path.cwd()}): it would be read from / written to a temporary "
        f"folder on the cluster. Give an absolute path or a storage URI (s3://…), or set a "
        f"storage root for relative paths: ray job submit --runtime-env-json "
        f"'{{\"env_vars\": {{\"{ROOT_ENV}\": \"/shared/vqa\"}}}}' …")


def resolve(path: str | os.PathLike | None, what: str = "path") -> str | None:
    """A job path → where it really is (see the module docstring)."""
    if path is None:
        return None
    path = str(path)
    if path.startswith("file://"):
        return path[len("file://"):]
    if is_uri(path) or os.path.isabs(path):
        return path
    root = storage_root()
    if root is not None:
        return posixpath.join(root, path) if is_uri(root) else os.path.join(root, path)
    if uploaded_working_dir():
        raise _refusal(what, path)
    return path


def short_name(path) -> str:
    """The last part of a path or URI, for run names (`s3://b/pool/` → `pool`)."""
    return posixpath.basename(str(path).rstrip("/")) or str(path)


def run_name(kind: str, cfg) -> str:
    """`<job>: <first input> → <out>`, so runs read as what they did, not random words."""
    names = [n for n in getattr(cfg, "PATHS", ()) if getattr(cfg, n, None)]
    short = short_name
    inputs = [getattr(cfg, n) for n in names if n != "out"]
    first = inputs[0][0] if inputs and isinstance(inputs[0], (list, tuple)) and inputs[0] \
        else (inputs[0] if inputs else None)
    out = getattr(cfg, "out", None)
    first = getattr(cfg, "name", None) or first  # a named job (train) reads as its name
    parts = [p for p in (first and short(first), out and f"→ {short(out)}") if p]
    return f"{kind}: {' '.join(parts)}" if parts else kind


def resolve_fields(cfg, names: tuple[str, ...]) -> None:
    """Resolve the named path fields of a config dataclass in place (lists item by item)."""
    for name in names:
        value = getattr(cfg, name, None)
        if isinstance(value, (list, tuple)):
            setattr(cfg, name, type(value)(resolve(v, name) for v in value))
        elif isinstance(value, (str, os.PathLike)):
            setattr(cfg, name, resolve(value, name))


def default_tracking_uri() -> str:
    """MLflow's store when MLFLOW_TRACKING_URI is unset: SQLite beside the user's data — in the
    working directory locally, under the storage root in a submitted job; refused in a submitted
    job that has neither (its runs would vanish with the upload)."""
    root = storage_root()
    if root is not None and not is_uri(root):
        return f"sqlite:///{os.path.join(root, 'mlruns.db')}"
    if uploaded_working_dir():
        raise ConfigError(
            "this job runs inside Ray's uploaded working directory and MLFLOW_TRACKING_URI is "
            "not set: its runs would go to a SQLite file in a temporary folder. Pass the "
            "tracking server with the job: ray job submit --runtime-env-json "
            "'{\"env_vars\": {\"MLFLOW_TRACKING_URI\": \"http://<mlflow-host>:5000\"}}' …")
    return f"sqlite:///{Path.cwd() / 'mlruns.db'}"

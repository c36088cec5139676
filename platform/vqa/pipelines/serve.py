"""Start the Serve applications of a Serve config (`serve_apps/config.yaml`) on the current Ray
cluster, as `serve run CONFIG` does, with vqa's overrides (the model, host/port, app args) and
the checkout on each app's `py_modules` path (an in-place `local://` runtime env: the replicas
import `serve_apps` whatever their working directory; on a multi-node cluster the checkout must
be at the same path on every node, or give the app a `working_dir` of your own)."""

from __future__ import annotations

import time
from pathlib import Path

from vqa.config import deep_merge, read_yaml
from vqa.errors import ConfigError
from vqa.serving.config import app_args


def apps_dir() -> Path:
    """The `serve_apps/` folder of this checkout (next to `platform/`), else of the cwd."""
    for base in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (base / "serve_apps" / "rater.py").exists():
            return base / "serve_apps"
    raise ConfigError("serve_apps/ not found: run from a vqa checkout (or `serve run "
                      "serve_apps/config.yaml` there)")


def serve_config(path: str | Path | None = None, *, model: str | None = None,
                 host: str | None = None, port: int | None = None,
                 apps: list[str] | None = None, args: dict | None = None,
                 deployments: dict[str, dict] | None = None) -> dict:
    """The Serve config to deploy: the YAML, then overrides; every app's args validated.
    `args` merge into every app's args; `deployments` maps a deployment name to options."""
    from ray.serve.schema import ServeDeploySchema

    path = Path(path) if path else apps_dir() / "config.yaml"
    if not path.exists():
        raise ConfigError(f"serve config not found: {path}")
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a Serve config is a mapping (applications, http_options)")
    if apps is not None:
        known = [a.get("name") for a in data.get("applications", [])]
        if set(apps) - set(known):
            raise ConfigError(f"{path}: no application named {sorted(set(apps) - set(known))};"
                              f" known: {known}")
        data["applications"] = [a for a in data["applications"] if a["name"] in apps]
    if host or port:
        data["http_options"] = {**data.get("http_options", {}),
                                **({"host": host} if host else {}),
                                **({"port": int(port)} if port else {})}
    for app in data.get("applications", []):
        app["args"] = deep_merge(app.get("args") or {}, {**(args or {}),
                                                      **({"model": model} if model else {})})
        _absolute(app["args"])
        app_args(app["args"])
        env = app.setdefault("runtime_env", {})
        env.setdefault("py_modules", [f"local://{apps_dir().parent}"])  # this node's checkout
        for d in app.get("deployments", []):
            d.update((deployments or {}).get(d["name"], {}))
    try:
        ServeDeploySchema.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"{path}: not a valid Serve config ({exc})") from exc
    return data


def local_models(config: dict, model: str | None = None) -> None:
    """Every app's model (`model` when given, else the app's own) as the local folder it loads
    from, once, here: an MLflow URI is downloaded before the replicas start."""
    from vqa.serving.config import model_folder

    for app in config["applications"]:
        app["args"]["model"] = str(model_folder(model or app["args"]["model"]).resolve())


def _absolute(args: dict) -> None:
    """Relative model / media-root paths mean the caller's cwd, not the replicas'."""
    from vqa.model.registry import URI_SCHEMES

    if args.get("model") and not str(args["model"]).startswith(URI_SCHEMES):
        args["model"] = str(Path(args["model"]).resolve())
    m = args.get("media") or {}
    if m.get("roots"):
        m["roots"] = [str(Path(r).resolve()) for r in m["roots"]]
    for key in ("auth_token_file",):
        if args.get(key):
            args[key] = str(Path(args[key]).resolve())


def start(config: dict, timeout_s: float = 180.0) -> dict[str, str]:
    """Deploy every app of `config`; wait until all run → {app name: its base URL}. A failed
    deploy raises with Serve's message."""
    from ray import serve
    from ray.serve._private.api import serve_start
    from ray.serve.schema import ServeDeploySchema

    schema = ServeDeploySchema.model_validate(config)
    client = serve_start(http_options=schema.http_options.model_dump(),
                         proxy_location=schema.proxy_location,
                         global_logging_config=schema.logging_config)  # as `serve run` does
    client.deploy_apps(schema, _blocking=False)
    names = [a.name for a in schema.applications]
    deadline = time.monotonic() + timeout_s
    while True:
        status = serve.status().applications
        states = {n: status[n].status if n in status else "NOT_STARTED" for n in names}
        failed = [n for n in names if states[n] in ("DEPLOY_FAILED", "UNHEALTHY")]
        if failed:
            raise RuntimeError(f"serve app {failed[0]} failed: {status[failed[0]].message}")
        if all(s == "RUNNING" for s in states.values()):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"serve apps not running after {timeout_s:g} s: {states}")
        time.sleep(0.5)
    h = schema.http_options
    host = "127.0.0.1" if h.host in ("0.0.0.0", "::") else h.host
    return {a.name: f"http://{host}:{h.port}{a.route_prefix or '/'}".rstrip("/")
            for a in schema.applications}

"""The services a pipeline starts for its later steps: the Ray Serve apps (rater + chatter, as
`vqa serve` starts them) and the scripted OpenAI-compatible double for annotation roles that no
real endpoint plays (a plumbing demo: its answers are canned)."""

from __future__ import annotations

from typing import Any, Callable


def start_serve(options: dict[str, Any]) -> tuple[dict[str, str], Callable[[], None]]:
    """Deploy the Serve config's apps with the given model → ({rater, chatter}: URL, stop)."""
    from pathlib import Path

    from vqa.pipelines.serve import local_models, serve_config, start

    roots = options.get("media_roots")
    for root in roots or ():
        Path(root).mkdir(parents=True, exist_ok=True)
    cfg = serve_config(options.get("config"), host=options.get("host"),
                       port=options.get("port"), apps=options.get("apps"),
                       args={"media": {"roots": list(roots)}} if roots else {})
    local_models(cfg, options.get("model"))
    quiet = {"log_level": "WARNING"}  # the pipeline streams worker output (training's
    cfg.setdefault("logging_config", quiet)  # progress): Serve's INFO lines would drown it;
    for app in cfg["applications"]:  # replicas still write them to their log files
        app.setdefault("logging_config", quiet)
    urls = start(cfg, timeout_s=float(options.get("timeout_s", 300)))

    def stop() -> None:
        from ray import serve

        for name in urls:
            serve.delete(name)

    return urls, stop


def start_double(options: dict[str, Any]) -> tuple[dict[str, str], Callable[[], None]]:
    """The annotate test double on 127.0.0.1 (every role by model name) → ({url}, stop)."""
    from vqa.annotate.testing import Script, ScriptedServer

    votes = list(options.get("votes", [2, 2, 2]))
    server = ScriptedServer(script=Script(default_votes=votes),
                            port=int(options.get("port", 0))).start()
    return {"url": server.base_url}, server.stop


STARTERS = {"serve": start_serve, "endpoints-double": start_double}

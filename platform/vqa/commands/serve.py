"""`vqa serve`: start the rater and the chatter (serve_apps/config.yaml) on Ray Serve — the
embedded local Ray unless --address / RAY_ADDRESS — and print their URLs."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the rater (POST /rate) and the chatter (OpenAI /v1) on Ray Serve",
        epilog="Reference: docs/serving.md in the vqa checkout.",
        description="Deploy the Serve applications of a Serve config (default: the checkout's "
                    "serve_apps/config.yaml) with the given model, then wait (Ctrl-C stops "
                    "them). The same config runs with `serve run serve_apps/config.yaml`.")
    p.add_argument("--model", help="saved model folder or MLflow model URI (models:/NAME/VERSION"
                                    ", models:/NAME@alias); default: the config's args.model")
    p.add_argument("--config", help="Serve config YAML (default: serve_apps/config.yaml)")
    p.add_argument("--app", action="append", dest="apps", metavar="NAME",
                   help="only this application (repeatable; default: all in the config)")
    p.add_argument("--host", help="HTTP host (default: the config's, 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (default: the config's, 8000)")
    p.add_argument("--media-root", action="append", dest="media_roots", metavar="DIR",
                   help="folder file:// URIs may name (repeatable; replaces the config's)")
    p.add_argument("--served-model-name", nargs="+", dest="served_model_names", metavar="NAME",
                   help="the model ids the chatter answers to (vLLM's flag; replaces the "
                        "config's served_model_names)")
    p.add_argument("--max-tokens", type=int, metavar="N",
                   help="the most tokens a chat request may ask for (default: the config's "
                        "limits.max_tokens, else the model's context length)")
    p.add_argument("--address", help="join this Ray cluster (default: $RAY_ADDRESS, else start a "
                                     "local one)")
    p.add_argument("--num-cpus", type=int, help="CPUs for the embedded local Ray cluster")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the apps")
    p.add_argument("--no-block", action="store_true",
                   help="return once the apps run (they live as long as the Ray cluster)")
    p.add_argument("--verbose", action="store_true", help="Ray's INFO logs and replica output")
    p.add_argument("--json", action="store_true", help="print the app URLs as JSON")
    p.set_defaults(func=main)


def app_overrides(args: argparse.Namespace) -> dict:
    """The flags that change the apps' `args:` block."""
    out: dict = {"media": {"roots": args.media_roots}} if args.media_roots else {}
    if args.served_model_names:
        out["served_model_names"] = args.served_model_names
    if args.max_tokens is not None:
        out["limits"] = {"max_tokens": args.max_tokens}
    return out


def main(args: argparse.Namespace) -> int:
    from vqa.pipelines.serve import local_models, serve_config, start
    from vqa.runtime import init_ray

    cfg = serve_config(args.config, host=args.host, port=args.port, apps=args.apps,
                       args=app_overrides(args))
    local_models(cfg, args.model)
    init_ray(args.address, args.num_cpus, args.verbose, worker_output=args.verbose)
    urls = start(cfg, timeout_s=args.timeout)
    if args.json:
        print(json.dumps({"apps": urls}, indent=2))
    else:
        from vqa.commands.common import console

        for name, url in urls.items():
            console.print(f"[green]{name}[/green] {url or '/'}")
        console.print("rate:  curl -F file=@clip.mp4 " + urls.get("rater", "") + "/rate")
        if "chatter" in urls:
            console.print(f"chat:  OPENAI_BASE_URL={urls['chatter']} (the openai client)")
    if args.no_block:
        return 0
    from ray import serve

    from vqa.commands.common import serve_until_stopped

    serve_until_stopped(serve.shutdown)
    return 0

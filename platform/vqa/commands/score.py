"""`vqa score`: rate videos with a saved model, locally (no Ray, no MLflow)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score", help="rate videos with a saved model (score 1-5, level, level probabilities)",
        description="Load a model folder (vqa model init / save_pretrained) and rate each video "
                    "by level logits (OmniVQA A.2): score in [1, 5], the likeliest level, the "
                    "level probabilities, and per-dimension scores when the model has them. "
                    "A video that fails to decode becomes an error row.")
    p.add_argument("videos", nargs="+", help="video files")
    p.add_argument("--model",
                   help="saved model folder, or an MLflow model URI (models:/NAME/VERSION, "
                        "models:/NAME@alias, runs:/RUN_ID/model)")
    p.add_argument("--url", help="rate on a running rater (`vqa serve`) instead: its base URL, "
                                 "e.g. http://127.0.0.1:8000; files are uploaded, file:// URIs "
                                 "are sent as URIs (under the server's media roots)")
    p.add_argument("--token-env", default="VQA_SERVE_TOKEN",
                   help="env var holding the server's bearer token, if it wants one")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")
    p.add_argument("--json", action="store_true", help="print JSON, one object per video")
    p.set_defaults(func=main)


def score_videos(model, videos: list[str]) -> list[dict]:
    from vqa.errors import VideoError

    rows = []
    for v in videos:
        try:
            rows.append({"video": v, **model.rate(v)})
        except (VideoError, FileNotFoundError) as exc:
            rows.append({"video": v, "error": str(exc)})
    return rows


def score_remote(url: str, videos: list[str], token: str | None = None) -> tuple[dict, list]:
    """The rater's answers, one row per video, in `score_videos`' form (4xx → an error row)."""
    from pathlib import Path

    import requests

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = url.rstrip("/")
    info = requests.get(f"{base}/info", headers=headers, timeout=30).json()
    rows = []
    for v in videos:
        if v.startswith("file://"):
            r = requests.post(f"{base}/rate", json={"uri": v}, headers=headers, timeout=600)
        elif Path(v).is_file():
            with open(v, "rb") as f:
                r = requests.post(f"{base}/rate", files={"file": (Path(v).name, f)},
                                  headers=headers, timeout=600)
        else:
            rows.append({"video": v, "error": f"{v}: file does not exist"})
            continue
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") \
            else {"error": {"message": r.text[:200]}}
        if r.status_code != 200:
            rows.append({"video": v, "error": f"HTTP {r.status_code}: "
                                              f"{body.get('error', {}).get('message', body)}"})
        else:
            rows.append({"video": v, **{k: body[k] for k in ("score", "score_100", "level",
                                                             "probs", "dimensions", "timings")}})
    return info, rows


def main(args: argparse.Namespace) -> int:
    import os

    if args.url:
        info, rows = score_remote(args.url, args.videos, os.environ.get(args.token_env))
        if args.json:
            print(json.dumps({"url": args.url, "model": info.get("model"),
                              "note": info.get("note"), "results": rows}, indent=2))
        else:
            print_table(f"{info.get('model')} at {args.url}", info.get("note"), rows)
        return 1 if all("error" in r for r in rows) else 0
    if not args.model:
        from vqa.errors import ConfigError

        raise ConfigError("give --model (a model folder or models:/NAME/VERSION) or --url (a "
                          "running rater)")
    import torch

    from vqa.model.registry import resolve_model_path
    from vqa.model.vqa_model import VQAModel

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = VQAModel.from_pretrained(resolve_model_path(args.model), device=device)
    rows = score_videos(model, args.videos)
    if args.json:
        print(json.dumps({"model": args.model, "note": model.cfg.note, "results": rows},
                         indent=2))
    else:
        print_table(model.cfg.name, model.cfg.note, rows)
    return 1 if all("error" in r for r in rows) else 0


def print_table(name: str, note: str | None, rows: list[dict]) -> None:
    from pathlib import Path

    from rich.table import Table

    from vqa.commands.common import console

    caption = f"model {name}" + (f" — {note}" if note else "")
    t = Table(title="vqa score", caption=caption)
    t.add_column("video", overflow="fold")
    t.add_column("score", justify="right")
    t.add_column("level")
    t.add_column("p(level)", justify="right")
    t.add_column("dimensions")
    for r in rows:
        name = Path(r["video"]).name
        if "error" in r:
            t.add_row(name, "-", "[red]error[/red]", "-", "-")
            continue
        dims = " ".join(f"{d}={v:.2f}" for d, v in r["dimensions"].items()) or "-"
        t.add_row(name, f"{r['score']:.3f}", r["level"], f"{r['probs'][r['level']]:.2f}", dims)
    console.print(t)
    for r in rows:
        if "error" in r:
            console.print(f"[red]error[/red] {r['error']}")

"""`vqa score`: rate videos with a saved model, locally (no Ray); the ratings are an MLflow run."""

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
    p.add_argument("--model", required=True,
                   help="saved model folder, or an MLflow model URI (models:/NAME/VERSION, "
                        "models:/NAME@alias, runs:/RUN_ID/model)")
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


def main(args: argparse.Namespace) -> int:
    import torch

    from vqa.model.registry import resolve_model_path
    from vqa.model.vqa_model import VQAModel

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = VQAModel.from_pretrained(resolve_model_path(args.model), device=device)
    rows = score_videos(model, args.videos)
    track_scores(args.model, args.videos, device, rows)
    if args.json:
        print(json.dumps({"model": args.model, "note": model.cfg.note, "results": rows},
                         indent=2))
    else:
        print_table(model, rows)
    return 1 if all("error" in r for r in rows) else 0


def print_table(model, rows: list[dict]) -> None:
    from pathlib import Path

    from rich.table import Table

    from vqa.commands.common import console

    caption = f"model {model.cfg.name}" + (f" — {model.cfg.note}" if model.cfg.note else "")
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


def track_scores(model: str, videos: list[str], device: str, rows: list[dict]) -> str:
    """An MLflow run `score: <model> on <first video> (+N)`: what was rated with what, the
    mean score and counts as metrics, every row as the `summary.json` artifact."""
    from vqa.storage import short_name
    from vqa.tracking import record_run

    scores = [r["score"] for r in rows if "error" not in r]
    summary = {"videos": len(rows), "rated": len(scores), "errors": len(rows) - len(scores),
               "mean_score": sum(scores) / len(scores) if scores else float("nan"),
               "results": rows}
    more = f" (+{len(videos) - 1})" if len(videos) > 1 else ""
    return record_run("score", {"model": model, "videos": videos, "device": device}, summary,
                      f"score: {short_name(model)} on {short_name(videos[0])}{more}")

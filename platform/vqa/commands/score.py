"""`vqa score`: rate videos with a saved model, locally (no Ray); the ratings are an MLflow run."""

from __future__ import annotations

import argparse
import json

from vqa.model.rating import UNCERTAIN_P, describe, scales


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score", help="rate videos with a saved model (score 1-5 and 0-100, its level, the "
                      "likeliest level)",
        epilog="Reference: docs/model.md in the vqa checkout.",
        description="Load a model folder (vqa model init / save_pretrained) and rate each video "
                    "by level logits (OmniVQA A.2): the score is the expected level weight, on "
                    "1-5 (and the same on 0-100); its level is the one whose band on 0-100 "
                    "holds it (20/40/60/80); apart, the likeliest level is the arg-max with its "
                    "probability, marked '(uncertain)' below p = 0.4; per-dimension scores "
                    "with their ranges when the model has them (a head's value outside its "
                    "range is clipped to it, and marked). Each video is probed first, as ingest does: a broken "
                    "one becomes an error row in the same words.")
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
    p.add_argument("--out", help="also write the results to OUT/summary.json")
    p.set_defaults(func=main)


def score_videos(model, videos: list[str]) -> list[dict]:
    from vqa.errors import VideoError
    from vqa.video.probe import probe

    rows = []
    for v in videos:
        try:
            probe(v)  # ingest's checks and words: "truncated: …", "zero frames", …
            rows.append({"video": v, **describe(model.cfg, model.rate(v))})
        except VideoError as exc:
            rows.append({"video": v, "error": str(exc)})
    return rows


def score_remote(url: str, videos: list[str], token: str | None = None) -> tuple[dict, list]:
    """The rater's answers (the same rows as `score_videos`; a 4xx → an error row with the
    server's reason) and its /info (the model's name, note and config)."""
    from pathlib import Path

    import requests

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = url.rstrip("/")
    info = requests.get(f"{base}/info", headers=headers, timeout=30).json()
    rows = []
    for v in videos:
        if v.startswith("file://"):
            r = requests.post(f"{base}/rate", json={"uri": v}, headers=headers, timeout=600)
        else:
            with open(v, "rb") as f:
                r = requests.post(f"{base}/rate", files={"file": (Path(v).name, f)},
                                  headers=headers, timeout=600)
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") \
            else {"error": {"message": r.text[:200]}}
        if r.status_code != 200:
            rows.append({"video": v, "error": f"HTTP {r.status_code}: "
                                              f"{body.get('error', {}).get('message', body)}"})
        else:
            rows.append({"video": v, **{k: v2 for k, v2 in body.items() if k != "video"}})
    return info, rows


def main(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from vqa.errors import ConfigError, InputError, JobFailed

    if args.out:
        from vqa.outputs import check_out_dir

        check_out_dir(args.out, overwrite=True)  # a file is refused, before the model loads
    local = [v for v in args.videos if not (args.url and v.startswith("file://"))]
    missing = [v for v in local if not Path(v).is_file()]
    if missing:  # a mistyped path: refused before the model loads
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputError(f"{missing[0]}: a folder, not a video{more}" if Path(missing[0]).is_dir()
                         else f"video not found: {missing[0]}{more}")
    if args.url:
        from vqa.config import from_dict
        from vqa.model.config import VQAConfig

        info, rows = score_remote(args.url, args.videos, os.environ.get(args.token_env))
        cfg = from_dict(VQAConfig, info["config"], where=f"{args.url}/info")
        result = {"url": args.url, "model": cfg.name, "note": cfg.note, "scales": scales(cfg),
                  "results": rows}
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print_table(cfg, rows, where=args.url)
    else:
        if not args.model:
            raise ConfigError("give --model (a model folder or models:/NAME/VERSION) or --url "
                              "(a running rater, `vqa serve`)")
        result = _score_local(args)
        rows = result["results"]
    if args.out:
        from vqa.outputs import write_text_atomic

        write_text_atomic(Path(args.out) / "summary.json", json.dumps(result, indent=2))
    if all("error" in r for r in rows):
        raise JobFailed(f"none of the {len(rows)} video(s) could be rated: {rows[0]['error']}")
    return 0


def _score_local(args) -> dict:
    import torch

    from vqa.model.registry import resolve_model_path
    from vqa.model.vqa_model import VQAModel

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = VQAModel.from_pretrained(resolve_model_path(args.model), device=device)
    rows = score_videos(model, args.videos)
    track_scores(args.model, args.videos, device, rows)
    result = {"model": args.model, "note": model.cfg.note, "scales": scales(model.cfg),
              "results": rows}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(model.cfg, rows)
    return result


def _range(r) -> str:
    return f"{r[0]:g}–{r[1]:g}" if isinstance(r, list) else r


def print_table(cfg, rows: list[dict], where: str | None = None) -> None:
    from pathlib import Path

    from rich.table import Table

    from vqa.commands.common import console

    sc = scales(cfg)
    words = cfg.scoring.levels
    caption = (f"score: expected level weight, {_range(sc['score'])} ({words[-1]} … {words[0]})"
               f", and on 0–100; level: the band holding the score on 0–100 (20/40/60/80); "
               f"likeliest level: arg-max of the level probabilities, (uncertain) below "
               f"p = {UNCERTAIN_P}")
    if sc["dimensions"]:
        caption += "; dimensions: " + ", ".join(f"{d} {_range(r)}"
                                                for d, r in sc["dimensions"].items())
    if any(r.get("clipped") for r in rows):
        caption += "; * clipped to its range (raw value in --json's `clipped`)"
    caption += f"\nmodel {cfg.name}" + (f" at {where}" if where else "") + \
        (f" — {cfg.note}" if cfg.note else "")
    t = Table(title="vqa score", caption=caption)
    t.add_column("video", overflow="fold")
    t.add_column(f"score {_range(sc['score'])}", justify="right")
    t.add_column("0–100", justify="right")
    t.add_column("level (of the score)")
    t.add_column("likeliest level (p)")
    t.add_column("dimensions")
    for r in rows:
        name = Path(r["video"]).name
        if "error" in r:
            t.add_row(name, "-", "-", "[red]error[/red]", "-", "-")
            continue
        clipped = r.get("clipped", {})
        dims = " ".join(f"{d}={v:.2f}" + ("*" if d in clipped else "")
                        for d, v in r["dimensions"].items()) or "-"
        likeliest = f"{r['likeliest_level']} ({r['p_likeliest']:.2f})" + (
            " (uncertain)" if r["uncertain"] else "")
        t.add_row(name, f"{r['score']:.2f}", f"{r['score_100']:.1f}", r["level"], likeliest,
                  dims)
    console.print(t)
    for r in rows:
        if "error" in r:
            console.print(f"[red]error[/red] {r['error']}")


def track_scores(model: str, videos: list[str], device: str, rows: list[dict]) -> str:
    """An MLflow run `score: <model> on <first video> (+N)`: what was rated with what, the
    mean score and counts as metrics, every row as the `summary.json` artifact."""
    from vqa.storage import is_uri, short_name
    from vqa.tracking import record_run

    scores = [r["score"] for r in rows if "error" not in r]
    summary = {"videos": len(rows), "rated": len(scores), "errors": len(rows) - len(scores),
               **({"mean_score": sum(scores) / len(scores)} if scores else {}),
               "results": rows}
    more = f" (+{len(videos) - 1})" if len(videos) > 1 else ""
    name = model if is_uri(model) else short_name(model)  # models:/vqa/3 says more than "3"
    return record_run("score", {"model": model, "videos": videos, "device": device}, summary,
                      f"score: {name} on {short_name(videos[0])}{more}")

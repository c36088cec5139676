"""`vqa annotate`: machine annotation over OpenAI-compatible endpoints, and `vqa annotate review`
for the human-in-the-loop step."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from vqa.commands.common import add_runtime_flags, console, print_summary, run_job
from vqa.config import load
from vqa.errors import InputError, JobFailed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "annotate",
        epilog="Reference: docs/annotation.md in the vqa checkout.",
        help="machine-annotate videos into quality instructions (OmniVQA technical + aesthetic "
             "branches) over OpenAI-compatible endpoints",
        description="Per video and quality factor: K expert answers, a reasoning-LLM summary "
                    "under the paper's rules, judge voting rounds that keep / modify / send to "
                    "human review, then Q&A pairs from a writer; plus the aesthetic branch. "
                    "Rows are appended to OUT/annotations.jsonl as they finish: a re-run skips "
                    "done rows and finishes reviewed ones. `vqa annotate review OUT` is the "
                    "human step.",
    )
    p.add_argument("--manifest", help="ingest manifest (parquet); only status=ok rows are used")
    p.add_argument("--out", help="output folder (annotations.jsonl, samples.jsonl, "
                                 "review_queue.jsonl, summary.json)")
    p.add_argument("--branches", help="comma list: technical,aesthetic (default both)")
    p.add_argument("--limit", type=int, help="annotate at most N videos")
    p.add_argument("--actors", type=int, help="endpoint actors (default 2)")
    add_runtime_flags(p)
    p.set_defaults(func=main)
    rs = p.add_subparsers(dest="annotate_action", metavar="review")
    r = rs.add_parser("review", help="choose between summary and modified summary for the "
                                     "factors waiting for a human",
                      description="Interactive by default (1 summary, 2 modified, e edit, "
                                  "s skip, q quit). --export writes a CSV to fill in; --import "
                                  "reads it back. Several reviewers: majority wins, ties wait. "
                                  "Then re-run `vqa annotate` to finish those videos.")
    r.add_argument("out", help="the annotate output folder")
    r.add_argument("--reviewer", help="your name (default: the login name)")
    r.add_argument("--export", dest="export_csv", help="write the open items to this CSV")
    r.add_argument("--import", dest="import_csv", help="read decisions from a filled CSV")
    r.add_argument("--min-reviewers", type=int, default=1,
                   help="decisions needed per item for the status count (default 1)")
    r.add_argument("--status", action="store_true", help="only print queue / decision counts")
    r.set_defaults(func=review_main)


def main(args: argparse.Namespace) -> int:
    from vqa.annotate.config import AnnotateConfig
    from vqa.pipelines.annotate import check_inputs, dominant_failure, run_annotate

    cfg = load(AnnotateConfig, args.config, {
        "manifest": args.manifest, "out": args.out, "limit": args.limit, "actors": args.actors,
        "branches": args.branches.split(",") if args.branches else None,
    })
    videos = check_inputs(cfg)  # manifest, prompts, one probe per endpoint: before Ray starts
    try:
        summary = run_job("annotate", cfg, lambda c: run_annotate(c, videos=videos), args)
    except KeyboardInterrupt:  # rows already appended stay; only rows in flight are lost
        console.print(f"annotate: interrupted; finished rows are kept in {cfg.out}/"
                      f"annotations.jsonl — re-run the same command to resume")
        return 130
    print_summary("annotate", summary, args.json)
    failure = dominant_failure(summary, cfg)
    if failure:
        raise JobFailed(failure)
    return 0


def review_main(args: argparse.Namespace) -> int:
    from vqa.annotate import review
    from vqa.annotate.store import read_jsonl

    out = Path(args.out)
    if not (out / review.QUEUE).is_file():
        what = "not an annotate output folder" if out.is_dir() else "not found"
        raise InputError(f"{out}: {what} (no {review.QUEUE})",
                         "give the --out folder of a `vqa annotate` run")
    items = read_jsonl(out / review.QUEUE)
    if not items:  # nothing to review, export or import into: write nothing
        console.print(f"review queue: empty ({out / review.QUEUE}); nothing to review")
        return 0
    reviewer = args.reviewer or getpass.getuser()
    if args.import_csv:
        made = review.import_csv(args.import_csv, items, args.reviewer)
        review.append_decisions(out, made)
        console.print(f"imported {len(made)} decisions from {args.import_csv}")
    elif args.export_csv:
        review.export_csv(items, args.export_csv)
        console.print(f"wrote {len(items)} items to {args.export_csv}: fill 'choice' with "
                      f"summary | modified | edit (+ text), then --import it")
    elif not args.status:
        answered = {d["item_id"] for d in review.read_decisions(out) if d["reviewer"] == reviewer}
        todo = [i for i in items if i["item_id"] not in answered]
        made = review.review_terminal(todo, reviewer)
        review.append_decisions(out, made)
        console.print(f"recorded {len(made)} decisions as {reviewer!r}")
    merged = review.merge(review.read_decisions(out), args.min_reviewers)
    open_items = [i for i in items if i["item_id"] not in merged]
    console.print(f"review queue: {len(items)} items, {len(items) - len(open_items)} decided, "
                  f"{len(open_items)} open; re-run `vqa annotate` to merge decisions back")
    return 0

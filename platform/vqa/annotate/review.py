"""Human-in-the-loop (OmniVQA App. E.2): factors a judge round scored at or below the threshold
wait in a queue; a person picks the summary or the judge's modified summary (or writes one), in
the terminal or through a filled CSV. Several reviewers may answer; the majority wins, a tie
waits for another reviewer. Decisions are appended to `reviews.jsonl`; the next `vqa annotate`
run merges them back and finishes those videos."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections import Counter
from pathlib import Path
from typing import Callable

from vqa.annotate.store import Appender, read_jsonl
from vqa.errors import ConfigError

QUEUE = "review_queue.jsonl"
DECISIONS = "reviews.jsonl"
CHOICES = ("summary", "modified", "edit")
CSV_FIELDS = ["item_id", "video", "factor", "summary", "modified", "choice", "text", "reviewer"]


def queue_items(latest: dict) -> list[dict]:
    """Every factor still waiting for a human, across rows in `review` status."""
    items = []
    for row in latest.values():
        if row["status"] != "review":
            continue
        for factor, rec in row["record"]["factors"].items():
            if rec.get("action") == "human" and rec.get("final") is None:
                items.append({"item_id": f"{row['video_id']}|{row['branch']}|{factor}",
                              "video_id": row["video_id"], "video": row["video"],
                              "branch": row["branch"], "factor": factor,
                              "summary": rec["summary"], "modified": rec["modified"],
                              "scores": [v["score"] for v in rec.get("votes", [])]})
    return sorted(items, key=lambda i: i["item_id"])


def write_queue(out: str | os.PathLike, items: list[dict]) -> Path:
    import json

    path = Path(out) / QUEUE
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    return path


def decision(item_id: str, reviewer: str, choice: str, text: str = "") -> dict:
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise ConfigError(f"{item_id}: choice {choice!r} must be one of {CHOICES}")
    if choice == "edit" and not text.strip():
        raise ConfigError(f"{item_id}: choice 'edit' needs a text")
    return {"item_id": item_id, "reviewer": reviewer or "anonymous", "choice": choice,
            "text": text.strip() if choice == "edit" else "",
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def merge(decisions: list[dict], min_reviewers: int = 1) -> dict[str, dict]:
    """item_id → the majority choice; a reviewer's latest answer counts once; ties and items
    with fewer than `min_reviewers` reviewers stay open."""
    latest: dict[tuple[str, str], dict] = {}
    for d in decisions:
        latest[(d["item_id"], d["reviewer"])] = d
    by_item: dict[str, list[dict]] = {}
    for (item, _), d in latest.items():
        by_item.setdefault(item, []).append(d)
    merged = {}
    for item, ds in by_item.items():
        if len(ds) < min_reviewers:
            continue
        key = lambda d: d["choice"] if d["choice"] != "edit" else "edit:" + " ".join(  # noqa
            d["text"].lower().split())
        counts = Counter(key(d) for d in ds)
        (top, n), *rest = counts.most_common()
        if rest and rest[0][1] == n:
            continue  # tie: wait for another reviewer
        pick = next(d for d in ds if key(d) == top)
        merged[item] = {"choice": pick["choice"], "text": pick["text"], "votes": n,
                        "reviewers": len(ds)}
    return merged


def read_decisions(out: str | os.PathLike) -> list[dict]:
    return read_jsonl(Path(out) / DECISIONS)


def append_decisions(out: str | os.PathLike, decisions: list[dict]) -> None:
    """Add decisions to the folder's decisions file; none: the folder is left as it was."""
    if not decisions:
        return
    app = Appender(Path(out) / DECISIONS)
    try:
        for d in decisions:
            app.write(d)
    finally:
        app.close()


def export_csv(items: list[dict], path: str | os.PathLike) -> Path:
    """A CSV to fill in: choice = summary | modified | edit (then text), one reviewer per file."""
    path = Path(path)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, CSV_FIELDS)
        w.writeheader()
        for i in items:
            w.writerow({k: i.get(k, "") for k in CSV_FIELDS})
    return path


def import_csv(path: str | os.PathLike, items: list[dict], reviewer: str | None) -> list[dict]:
    """Decisions from a filled CSV; blank choices are skipped, unknown items are errors."""
    known = {i["item_id"] for i in items}
    out = []
    with Path(path).open(newline="") as f:
        for n, row in enumerate(csv.DictReader(f), 2):
            choice = (row.get("choice") or "").strip()
            if not choice:
                continue
            item = (row.get("item_id") or "").strip()
            if item not in known:
                raise ConfigError(f"{path}:{n}: item {item!r} is not waiting for review")
            who = (row.get("reviewer") or "").strip() or reviewer or Path(path).stem
            out.append(decision(item, who, choice, row.get("text") or ""))
    return out


def review_terminal(items: list[dict], reviewer: str, ask: Callable[[str], str] | None = None,
                    show: Callable[[str], None] = print) -> list[dict]:
    """Walk the items this reviewer has not answered: 1 summary, 2 modified, e edit, s skip,
    q quit. Returns the decisions made."""
    ask = ask or input
    made = []
    for n, item in enumerate(items, 1):
        show(f"\n[{n}/{len(items)}] {item['video']}  factor: {item['factor']}  "
             f"votes: {item.get('scores')}")
        show(f"  1) summary : {item['summary']}")
        show(f"  2) modified: {item['modified']}")
        while True:
            try:
                key = ask("choose 1 / 2 / e(dit) / s(kip) / q(uit): ").strip().lower()
            except (EOFError, KeyboardInterrupt):  # closed stdin or Ctrl-C: keep what was made
                return made
            if key in ("1", "2"):
                made.append(decision(item["item_id"], reviewer,
                                     "summary" if key == "1" else "modified"))
            elif key == "e":
                text = ask("your summary: ").strip()
                if not text:
                    continue
                made.append(decision(item["item_id"], reviewer, "edit", text))
            elif key == "q":
                return made
            elif key != "s":
                continue
            break
    return made

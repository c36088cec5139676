"""The job's output folder: an append-only `annotations.jsonl` (one line per finished row,
flushed as rows arrive, so a crash loses only rows in flight) from which everything else is
derived — what is left to do on a re-run, `samples.jsonl`, `review_queue.jsonl`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vqa.data import write_samples

ANNOTATIONS = "annotations.jsonl"
SAMPLES = "samples.jsonl"
FINAL = ("done", "rejected")  # never re-annotated


class Appender:
    """Appends JSON lines durably; first cuts a torn last line a killed writer may have left."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size:
            data = self.path.read_bytes()
            if not data.endswith(b"\n"):
                with self.path.open("r+b") as f:
                    f.truncate(data.rfind(b"\n") + 1)
        self._f = self.path.open("a")

    def write(self, row: dict) -> None:
        self._f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn line from a killed run
    return rows


def latest_rows(out: str | os.PathLike) -> dict[tuple[str, str], dict]:
    """(video_id, branch) → the row written last (a resumed row supersedes its old state)."""
    return {(r["video_id"], r["branch"]): r for r in read_jsonl(Path(out) / ANNOTATIONS)}


def plan(videos: list[dict], branches: list[str], latest: dict, decisions: dict,
         retry_errors: bool) -> tuple[list[dict], dict]:
    """Rows to send to the endpoints now, and why the others are skipped.

    done/rejected: skipped; review: sent only once every pending item has a human decision
    (the expert/summary/vote results are reused, only the writer runs); error: retried (with
    its saved record when it had one)."""
    todo, skipped = [], {"done": 0, "rejected": 0, "review_waiting": 0, "error_kept": 0}
    for v in videos:
        for branch in branches:
            prev = latest.get((v["video_id"], branch))
            row = {"video_id": v["video_id"], "path": v["path"], "duration": v.get("duration"),
                   "branch": branch, "record": "", "decisions": ""}
            if prev is None:
                todo.append(row)
                continue
            status = prev["status"]
            if status in FINAL:
                skipped[status] += 1
                continue
            if status == "error" and not retry_errors:
                skipped["error_kept"] += 1
                continue
            if prev.get("record"):
                row["record"] = json.dumps(prev["record"])
            if status == "review":
                mine = {k: d for k, d in decisions.items()
                        if k.startswith(f"{v['video_id']}|{branch}|")}
                waiting = [f for f, r in prev["record"]["factors"].items()
                           if r.get("action") == "human" and r.get("final") is None]
                if any(f"{v['video_id']}|{branch}|{f}" not in mine for f in waiting):
                    skipped["review_waiting"] += 1
                    continue
                row["decisions"] = json.dumps(mine)
            todo.append(row)
    return todo, skipped


def write_outputs(out: str | os.PathLike, latest: dict) -> dict:
    """Rewrite `samples.jsonl` from every done row; return counts."""
    samples = [s for r in latest.values() if r["status"] == "done" for s in r["samples"]]
    write_samples(samples, Path(out) / SAMPLES)
    return {"samples": len(samples)}

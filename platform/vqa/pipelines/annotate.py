"""Annotate: a manifest → quality instructions (OmniVQA technical + aesthetic branches) on Ray
Data. Endpoint work runs in an actor pool; each actor runs an async UDF on one event loop with
a bounded number of requests in flight per role, and works on several batches at once so the
bound stays full while some videos wait on their slowest request. The driver appends each
finished row to `annotations.jsonl` as it arrives: a re-run skips what is done, a crash loses
only the rows in flight."""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

from vqa.annotate.config import AnnotateConfig
from vqa.annotate.endpoints import collect_keys
from vqa.annotate.health import probe
from vqa.annotate.prompts import load_prompts
from vqa.annotate.review import merge, queue_items, read_decisions, write_queue
from vqa.annotate.runner import ROLES, RowAnnotator
from vqa.annotate.store import ANNOTATIONS, Appender, latest_rows, plan, write_outputs
from vqa.config import from_dict, to_dict
from vqa.data import read_manifest
from vqa.errors import InputError
from vqa.outputs import check_out_dir, write_text_atomic

JSON_COLUMNS = ("record", "samples", "usage")
OUT_SCHEMA = pa.schema([(c, pa.string()) for c in (
    "video_id", "branch", "video", "status", "error", "prompt_version", "prompt_hash",
    *JSON_COLUMNS)] + [("elapsed_s", pa.float64())])


class AnnotateActor:
    """Ray Data actor: the async `__call__` runs on the actor's event loop, so the clients (and
    their in-flight bounds) are shared by every batch the actor works on."""

    def __init__(self, cfg: dict, keys: dict[str, str]):
        self.annotator = RowAnnotator(from_dict(AnnotateConfig, cfg), keys)

    async def __call__(self, batch: pa.Table) -> pa.Table:
        rows = await self.annotator.run_many(batch.to_pylist())
        for r in rows:
            for c in JSON_COLUMNS:
                r[c] = json.dumps(r[c], ensure_ascii=False)
        return pa.Table.from_pylist(rows, schema=OUT_SCHEMA)


def _role_figures(usage: Counter, cfg: AnnotateConfig) -> dict:
    out = {}
    for role in ROLES:
        ep = getattr(cfg.roles, role)
        p, c = usage.get(f"{role}.prompt_tokens", 0), usage.get(f"{role}.completion_tokens", 0)
        out[f"requests.{role}"] = int(usage.get(f"{role}.requests", 0))
        out[f"retries.{role}"] = int(usage.get(f"{role}.retries", 0))
        out[f"prompt_tokens.{role}"] = int(p)
        out[f"completion_tokens.{role}"] = int(c)
        out[f"cost.{role}"] = round(p / 1000 * ep.price_per_1k_prompt +
                                    c / 1000 * ep.price_per_1k_completion, 6)
    out["requests"] = sum(out[f"requests.{r}"] for r in ROLES)
    out["cost"] = round(sum(out[f"cost.{r}"] for r in ROLES), 6)
    return out


def _log_prompts(prompts) -> None:
    import mlflow

    if mlflow.active_run() is not None:
        mlflow.log_params({"prompt_hash": prompts.hash,
                           **{f"prompt_hash.{n}": h for n, h in prompts.hashes.items()}})


BRANCH_ROLES = {"technical": ROLES, "aesthetic": ("judge", "writer")}


def check_inputs(cfg: AnnotateConfig) -> list[dict]:
    """Before Ray starts and anything fans out → the videos: OUT can take the run (a re-run
    resumes), the manifest reads and has usable rows, the prompts load, and every endpoint the
    branches use answers (one probe each, named by its URL)."""
    check_out_dir(cfg.out, resumes=True)
    load_prompts(cfg.prompts_version, cfg.prompts_dir)
    videos = read_manifest(cfg.manifest).select(["video_id", "path", "duration"]).to_pylist()
    if not videos:
        raise InputError(f"{cfg.manifest}: no usable (status ok) videos to annotate")
    roles = sorted({r for b in cfg.branches for r in BRANCH_ROLES[b]})
    urls: dict[str, list[str]] = {}
    for role in roles:
        urls.setdefault(getattr(cfg.roles, role).base_url, []).append(role)
    for url, users in urls.items():
        reason = probe(url, min(5.0, getattr(cfg.roles, users[0]).timeout_s))
        if reason is not None:
            raise InputError(f"endpoint {url} ({', '.join(users)}) does not answer ({reason})",
                             "start the server, or set roles.<role>.base_url in the config")
    return videos[:cfg.limit] if cfg.limit is not None else videos


def run_annotate(cfg: AnnotateConfig, progress=None, videos: list[dict] | None = None) -> dict:
    """Annotate what is not done yet; write annotations.jsonl, samples.jsonl,
    review_queue.jsonl and summary.json under `cfg.out`."""
    progress = progress or sys.stderr
    start = time.perf_counter()
    videos = check_inputs(cfg) if videos is None else videos
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    prompts = load_prompts(cfg.prompts_version, cfg.prompts_dir)
    _log_prompts(prompts)
    decisions = merge(read_decisions(out), cfg.min_reviewers)
    todo, skipped = plan(videos, cfg.branches, latest_rows(out), decisions, cfg.retry_errors)
    print(f"annotate: {len(videos)} videos x {len(cfg.branches)} branches; {len(todo)} rows to "
          f"do, skipped {skipped}", file=progress, flush=True)

    status, usage, errors = Counter(), Counter(), Counter()
    first = time.perf_counter()
    if todo:
        import ray.data

        ds = ray.data.from_items(todo, override_num_blocks=math.ceil(len(todo) / cfg.batch_size))
        ds = ds.map_batches(
            AnnotateActor, fn_constructor_kwargs={"cfg": to_dict(cfg), "keys": collect_keys(
                [getattr(cfg.roles, r) for r in ROLES])},
            batch_size=cfg.batch_size, batch_format="pyarrow", num_cpus=cfg.actor_cpus,
            compute=ray.data.ActorPoolStrategy(
                size=cfg.actors, max_tasks_in_flight_per_actor=cfg.batches_per_actor,
                max_concurrent_calls_per_actor=cfg.batches_per_actor))
        app = Appender(out / ANNOTATIONS)
        try:
            for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
                for row in batch.to_pylist():
                    for c in JSON_COLUMNS:
                        row[c] = json.loads(row[c])
                    app.write(row)
                    status[row["status"]] += 1
                    usage.update(row["usage"])
                    if row["error"]:
                        e = row["error"]
                        errors[e.split(" after ")[0] if " after " in e else e.split(":")[0]] += 1
                n = sum(status.values())
                print(f"annotate: {n}/{len(todo)} rows "
                      f"({', '.join(f'{k} {v}' for k, v in sorted(status.items()))}) "
                      f"{n / (time.perf_counter() - first):.2f} rows/s", file=progress,
                      flush=True)
        finally:
            app.close()
    run_s = time.perf_counter() - first

    latest = latest_rows(out)
    items = queue_items(latest)
    write_queue(out, items)
    written = write_outputs(out, latest)
    overall = Counter(r["status"] for r in latest.values())
    figures = _role_figures(usage, cfg)
    summary = {
        "videos": len(videos), "rows_this_run": len(todo),
        **{f"this_run.{s}": status.get(s, 0) for s in ("done", "review", "rejected", "error")},
        **{f"total.{s}": overall.get(s, 0) for s in ("done", "review", "rejected", "error")},
        "skipped": skipped, "review_queue": len(items), "samples": written["samples"],
        **figures,
        "requests_per_s": round(figures["requests"] / run_s, 2) if todo and run_s > 0 else 0.0,
        "rows_per_s": round(len(todo) / run_s, 3) if todo and run_s > 0 else 0.0,
        "elapsed_s": round(time.perf_counter() - start, 3),
        "prompt_hash": prompts.hash,
        "error_kinds": dict(errors.most_common()),
        "out": str(out),
    }
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2))
    return summary


def dominant_failure(summary: dict, cfg: AnnotateConfig) -> str | None:
    """When every row of this run failed: the commonest reason, with its endpoint's URL."""
    rows = summary.get("rows_this_run", 0)
    if not rows or summary.get("this_run.error", 0) < rows:
        return None
    kinds = summary.get("error_kinds") or {"unknown": rows}
    kind, n = next(iter(kinds.items()))
    role = kind.split(":")[0].strip()
    where = f" at {getattr(cfg.roles, role).base_url}" if role in ROLES else ""
    return (f"all {rows} rows failed; commonest: {kind}{where} ({n} rows); see "
            f"{summary['out']}/annotations.jsonl")

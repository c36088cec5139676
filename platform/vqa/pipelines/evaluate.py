"""`vqa evaluate`: a model against rating labels and understanding benchmarks. Rating and
answering run on a Ray Data actor pool (one model per actor, GPU actors when the cluster has
GPUs); the judge, metrics and tables run on the driver; every output goes to the MLflow run."""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from vqa.errors import ConfigError, InputError
from vqa.evaluate import report, understanding
from vqa.evaluate.attributes import read_attribute_questions
from vqa.evaluate.config import EvaluateConfig
from vqa.evaluate.labels import read_eval_labels, split_missing
from vqa.evaluate.questions import read_questions
from vqa.evaluate.rating import metrics_table, targets
from vqa.evaluate.stage import RESULT_SCHEMA, Evaluator
from vqa.outputs import write_text_atomic

METRICS = ("srcc_raw", "krcc_raw", "plcc_raw", "plcc_logistic", "rmse_logistic")  # to MLflow


def prepare(cfg: EvaluateConfig) -> dict:
    """Everything that can be wrong before Ray starts: the model, every labels and benchmark
    file (a malformed question names its line), the subsets asked for."""
    from vqa.model.checkpoint import load_config
    from vqa.model.registry import resolve_model_path

    model_cfg = load_config(resolve_model_path(cfg.model))
    labels = []
    for path in cfg.labels:
        labels += read_eval_labels(path, cfg.video_root,
                                   Path(path).stem if len(cfg.labels) > 1 else None)
    if cfg.subsets:
        have = {r["subset"] for r in labels}
        unknown = sorted(set(cfg.subsets) - have)
        if unknown:
            raise ConfigError(f"subsets {unknown} not in the labels (they carry "
                              f"{sorted(s for s in have if s)})")
        labels = [r for r in labels if r["subset"] in cfg.subsets]
    questions = [q for path in cfg.benchmarks for q in read_questions(path, cfg.video_root)]
    questions += [q for path in cfg.attributes
                  for q in read_attribute_questions(path, cfg.video_root)]
    items, _ = work_items(labels, questions)
    if not items:
        first = (labels or [{"video": v} for q in questions for v in q["videos"]])[0]["video"]
        raise InputError(f"every video the labels and benchmarks name is missing (first: "
                         f"{first})", "check the paths, or give --video-root")
    if cfg.judge.enabled:  # as annotate probes its endpoints: one line, before any work
        from vqa.annotate.health import probe

        ep = cfg.judge.endpoint
        if (reason := probe(ep.base_url, min(5.0, ep.timeout_s))) is not None:
            raise InputError(f"judge endpoint {ep.base_url} does not answer ({reason})",
                             "start the judge server, or fix --judge-url / judge.endpoint")
    return {"labels": labels, "questions": questions,
            "head_dims": list(model_cfg.head.dimensions) if model_cfg.head.enabled else []}


def work_items(labels: list[dict], questions: list[dict]) -> tuple[list[dict], dict]:
    """One `rate` item per distinct existing video, one `ask` item per question whose videos
    exist; → (items, missing {video: count of rows naming it})."""
    present, missing = split_missing(labels)
    gone = Counter(r["video"] for r in missing)
    items = [{"key": v, "kind": "rate", "payload": json.dumps({"video": v})}
             for v in dict.fromkeys(r["video"] for r in present)]
    for i, q in enumerate(questions):  # keyed by position: ids may repeat across benchmarks
        lost = [v for v in q["videos"] if not split_missing([{"video": v}])[0]]
        if lost:
            gone.update(lost)
            continue
        items.append({"key": f"q{i}", "kind": "ask", "payload": json.dumps(
            {k: q[k] for k in ("videos", "prompt", "options")})})
    return items, dict(gone)


def run_pool(cfg: EvaluateConfig, items: list[dict], progress=None) -> dict[tuple, dict]:
    """Ray Data: items → {(kind, key): {"result": dict | None, "error": str | None}}."""
    import ray

    progress = progress or sys.stderr
    if not items:
        return {}
    gpus = cfg.actor_gpus if cfg.actor_gpus is not None else \
        (1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0)
    ds = ray.data.from_items(items, override_num_blocks=math.ceil(len(items) / cfg.batch_size))
    ds = ds.map_batches(Evaluator, fn_constructor_kwargs={
        "model": cfg.model, "answer": cfg.answer, "max_new_tokens": cfg.max_new_tokens},
        batch_size=cfg.batch_size, batch_format="pyarrow", num_cpus=cfg.actor_cpus,
        num_gpus=gpus, compute=ray.data.ActorPoolStrategy(size=cfg.actors))
    out: dict[tuple, dict] = {}
    for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
        for r in batch.cast(RESULT_SCHEMA).to_pylist():
            out[(r["kind"], r["key"])] = {"result": r["result"] and json.loads(r["result"]),
                                          "error": r["error"]}
        print(f"evaluate: {len(out)}/{len(items)} items", file=progress, flush=True)
    return out


def rated_rows(labels: list[dict], results: dict) -> tuple[list[dict], list[dict]]:
    """(label rows with predictions, label rows whose video failed) — missing ones are neither."""
    rated, failed = [], []
    for r in labels:
        got = results.get(("rate", r["video"]))
        if got is None:
            continue
        if got["error"]:
            failed.append({**r, "error": got["error"]})
        else:
            rated.append({**r, **got["result"]})
    return rated, failed


def rating_outputs(cfg: EvaluateConfig, prep: dict, results: dict, out_dir: Path
                   ) -> tuple[dict, dict]:
    """Predictions parquet, metrics table (markdown, CSV, MLflow table), scatter plot →
    (summary entries, flat MLflow metrics)."""
    import mlflow

    rated, failed = rated_rows(prep["labels"], results)
    rows = metrics_table(rated, prep["head_dims"], cfg.bootstrap, cfg.confidence, cfg.seed)
    pq.write_table(pa.Table.from_pylist(rated + failed), out_dir / "rating_predictions.parquet")
    (out_dir / "rating_table.md").write_text(report.rating_markdown(rows, cfg.confidence))
    (out_dir / "rating_table.csv").write_text(report.rating_csv(rows))
    if rated:
        report.scatter(rated, targets(rated, prep["head_dims"]), out_dir / "rating_scatter.png")
    if mlflow.active_run() is not None and rows:  # the UI compares these across runs
        mlflow.log_table({k: [r.get(k) for r in rows] for k in rows[0]},
                         artifact_file="rating_table.json")
    metrics = {f"rating.{report.metric_key(r['subset'])}.{report.metric_key(r['target'])}.{k}":
               r[k] for r in rows for k in METRICS if not math.isnan(r[k])}
    summary = {"labelled": len(prep["labels"]), "rated": len(rated), "undecodable": len(failed),
               "undecodable_examples": [f["error"][:160] for f in failed[:5]]}
    overall = next((r for r in rows if r["subset"] == "all" and r["pred"] == "pred"), None)
    if overall:
        # named as the tables name them: SRCC on the raw predictions, PLCC raw and after the
        # 4-parameter logistic fit (an unlabelled `plcc` read as raw was the fitted one)
        summary.update({k: overall[k] for k in ("srcc_raw", "plcc_raw", "plcc_logistic")})
    return summary, metrics


def all_failed(results: dict, scored: list[dict]) -> str | None:
    """The all-failed rule: every work item failed (no video decoded), or every benchmark
    question failed (no letter, no judge answer) → the commonest reason; else None."""
    errors = Counter(r["error"].split(": ", 1)[-1][:120] for r in results.values() if r["error"])
    if results and sum(errors.values()) == len(results):
        return f"all {len(results)} items failed; commonest: {errors.most_common(1)[0][0]}"
    if scored and not any(s["status"] == understanding.OK for s in scored):
        reasons = Counter(str(s.get("reason") or s["status"])[:120] for s in scored)
        return f"all {len(scored)} questions failed; commonest: {reasons.most_common(1)[0][0]}"
    return None


NOT_KEPT = "not kept (no --out): the MLflow run's evaluation/ artifacts"


def run_evaluate(cfg: EvaluateConfig, prep: dict | None = None, progress=None,
                 out_dir: str | None = None) -> dict:
    """The evaluation, its tables written to `cfg.out`, or to `out_dir` (a folder the caller
    removes: `vqa evaluate` without --out) and logged to MLflow."""
    import mlflow

    start = time.perf_counter()
    prep = prep or prepare(cfg)
    items, missing = work_items(prep["labels"], prep["questions"])
    t0 = time.perf_counter()
    results = run_pool(cfg, items, progress)
    pool_s = time.perf_counter() - t0
    if not (cfg.out or out_dir):
        raise ConfigError("evaluate: give out (or an out_dir the caller removes)")
    out_dir = Path(cfg.out or out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary: dict = {"items": len(items), "missing_videos": len(missing),
                     "missing_examples": sorted(missing)[:5]}
    metrics: dict[str, float] = {}
    scored: list[dict] = []
    if prep["labels"]:
        part, metrics = rating_outputs(cfg, prep, results, out_dir)
        summary.update(part)
    if prep["questions"]:
        answers = [results.get(("ask", f"q{i}"), {"result": None, "error": "video missing"})
                   for i in range(len(prep["questions"]))]
        scored = understanding.score_all(prep["questions"], answers, cfg.judge)
        metrics.update(report.write_accuracy(scored, out_dir))
        summary.update(questions=len(scored),
                       answered=sum(s["status"] == understanding.OK for s in scored),
                       failed_questions=sum(s["status"] == understanding.FAILED for s in scored),
                       judged=sum(s.get("how") == "judge" for s in scored))
        # every benchmark together, over the questions answered (the failed count beside it),
        # the random guess over the same ones; none answered: no accuracy at all, never a 0.0
        # or a None that reads like one
        pooled = understanding.summary_metrics(
            "all", [s for s in scored if s["status"] == understanding.OK])
        summary.update({k: pooled[f"all.{k}"] for k in ("accuracy", "chance")
                        if f"all.{k}" in pooled})
    if why := all_failed(results, scored):  # exit 1 with the dominant reason
        summary["all_failed"] = why
    summary.update(pool_s=round(pool_s, 3), actors=cfg.actors, out=str(out_dir) if cfg.out else NOT_KEPT,
                   items_per_s=round(len(items) / pool_s, 3) if pool_s > 0 and items else 0.0,
                   elapsed_s=round(time.perf_counter() - start, 3))
    write_text_atomic(out_dir / "summary.json", json.dumps(summary, indent=2, default=str))
    if mlflow.active_run() is not None:
        from vqa.tracking import log_metrics

        log_metrics(metrics)
        mlflow.log_artifacts(str(out_dir), artifact_path="evaluation")
    return summary

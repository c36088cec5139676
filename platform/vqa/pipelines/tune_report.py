"""After a search: every trial's outcome (finished / stopped early by ASHA / failed) and last
metric, the best finished trial written out as a ready training config (`vqa train --config
OUT/best.yaml` re-runs it), its model logged and registered under the search's MLflow run, and
the trial runs tagged with their outcome."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import yaml

from vqa.config import to_dict
from vqa.errors import JobFailed
from vqa.train.search import TuneJobConfig, trial_config


def outcomes(grid, out: Path, metric: str, time_attr: str) -> list[dict]:
    rows = []
    for r in grid:
        m = r.metrics or {}
        tid = m.get("trial_id") or Path(r.path).name
        done = (out / "trials" / tid / "summary.json").exists()  # run_train got to the end
        rows.append({"trial_id": tid,
                     "outcome": "failed" if r.error else "finished" if done else "stopped_early",
                     metric: m.get(metric), time_attr: m.get(time_attr), "params": r.config,
                     "error": error_reason(r.error) if r.error else None})
    return rows


def error_reason(error) -> str:
    """A failed trial's reason in the user's words: the error's last line, without the
    exception's module path (Ray wraps a trial's exception; its last line is the cause)."""
    line = (str(error).strip().splitlines() or ["unknown error"])[-1].strip()
    return re.sub(r"^[\w.]*(Error|Exception|Failed|Interrupt): ", "", line)


def no_trial_finished(rows: list[dict], count: dict) -> str:
    """One line: how many trials ended how, and the commonest failure reason."""
    counted = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in count.items() if n)
    reasons = Counter(r["error"] for r in rows if r["error"])
    if not reasons:
        return f"no trial finished of {len(rows)} ({counted or 'none ran'})"
    why, n = reasons.most_common(1)[0]
    return f"no trial finished of {len(rows)} ({counted}); commonest reason ({n}): {why}"


def _ranked(rows: list[dict], metric: str, mode: str) -> list[dict]:
    scored = [r for r in rows if isinstance(r[metric], (int, float)) and not math.isnan(r[metric])]
    return sorted(scored, key=lambda r: r[metric], reverse=mode == "max")


def write_best(cfg: TuneJobConfig, prep: dict, best: dict, out: Path, metric: str) -> Path:
    train = trial_config(prep["base"], prep["space"], best["params"], name=f"{cfg.name}-best",
                         out=str(out / "best"), storage_path=None, register_as=cfg.register_as)
    path = out / "best.yaml"
    head = (f"# Best trial {best['trial_id']} of `vqa tune` '{cfg.name}' ({metric} "
            f"{best[metric]:.4f}); parameters: {json.dumps(best['params'])}\n"
            f"# Re-run it: vqa train --config {path}\n")
    path.write_text(head + yaml.safe_dump(to_dict(train), sort_keys=False))
    return path


def _tag_runs(parent, rows: list[dict], best_id: str | None) -> None:
    from mlflow import MlflowClient

    from vqa.tracking import tracking_uri

    client = MlflowClient(tracking_uri())
    children = client.search_runs([parent.info.experiment_id],
                                  f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    for run in children:
        name = run.data.tags.get("trial_name", "")
        row = next((r for r in rows if name.endswith(r["trial_id"])), None)
        if row is not None:
            client.set_tag(run.info.run_id, "vqa.trial_id", row["trial_id"])
            client.set_tag(run.info.run_id, "vqa.outcome", row["outcome"])
            client.set_tag(run.info.run_id, "vqa.best", str(row["trial_id"] == best_id).lower())


def finish(cfg: TuneJobConfig, prep: dict, grid, extra: dict) -> dict:
    import mlflow

    from vqa.model.registry import log_model

    space, out = prep["space"], Path(cfg.out).resolve()
    metric, time_attr = space.metric, cfg.asha.time_attr
    rows = outcomes(grid, out, metric, time_attr)
    count = {k: sum(r["outcome"] == k for r in rows)
             for k in ("finished", "stopped_early", "failed")}
    ranked = _ranked(rows, metric, space.mode)
    finished = [r for r in ranked if r["outcome"] == "finished"]
    if not finished:
        raise JobFailed(no_trial_finished(rows, count))
    best = finished[0]
    summary = {"name": cfg.name, "trials": len(rows), **count, "metric": metric,
               "mode": space.mode, "best_trial": best["trial_id"], f"best_{metric}": best[metric],
               "worst_trial": ranked[-1]["trial_id"], f"worst_{metric}": ranked[-1][metric],
               "best_params": best["params"],
               "best_config": str(write_best(cfg, prep, best, out, metric)),
               "best_model": str(out / "trials" / best["trial_id"] / "model"), **extra}
    parent = mlflow.active_run()
    if parent is not None:
        summary["model_uri"] = log_model(summary["best_model"], cfg.register_as)
        mlflow.log_dict(rows, "trials.json")
        mlflow.log_artifact(summary["best_config"])
        _tag_runs(parent, rows, best["trial_id"])
    summary["elapsed_s"] = round(summary["elapsed_s"], 1)
    (out / "trials.json").write_text(json.dumps(rows, indent=2, default=str))
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary

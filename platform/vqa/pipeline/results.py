"""The table a pipeline ends with: each step's headline numbers, read from what the step wrote
(its summary.json), never typed in — a step that did not run shows what its last run wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from vqa.pipeline.config import PipelineConfig, StepConfig
from vqa.model.rating import one_line


def _f(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _ingest(s: dict) -> str:
    return f"{s['kept']} kept, {s['filtered']} filtered, {s['failed']} failed of {s['videos']}"


def _label(s: dict) -> str:
    return (f"{s['labelled']} labelled ({', '.join(s['raters'])}), {s['failed']} failed; mean "
            f"{_f(s['mean_score'], 1)}; levels {_counts(s['levels'])}")


def _counts(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items())


def _synthesize(s: dict) -> str:
    if s.get("mode") == "benchmark":
        return (f"{s['questions']} questions (S {s.get('questions_S', 0)}, T "
                f"{s.get('questions_T', 0)}, ST {s.get('questions_ST', 0)}) on {s['clips']} clips")
    extra = "; " + ", ".join(f"{k} {v['sources']} sources / {v['clips']} clips"
                             for k, v in s["splits"].items()) if s.get("splits") else ""
    return f"{s['clips']} clips, {s['samples']} samples ({s['mode']}){extra}"


def _study(s: dict) -> str:
    return (f"SIMULATED panel: {s['subjects']} subjects ({len(s['bad_subjects'])} planted bad: "
            f"{', '.join(s['bad_subjects'])}) × {s['videos']} videos")


def _mos(s: dict) -> str:
    return (f"rejected {sorted(s['rejected'])}; {s['outliers_removed']} outliers "
            f"({s['outlier_pct']}%); {s['videos']} videos, {s['samples']} QA samples")


def _train(s: dict) -> str:
    return (f"{s['strategy']} ({s['stages']}): {s['global_steps']} steps on {s['workers']} "
            f"workers, ZeRO-{s['zero_stage']}, final loss {_f(s['final_loss'])}, "
            f"{_f(s['samples_per_s'], 1)} samples/s; {s.get('model_uri') or s['model']}")


def _evaluate(s: dict) -> str:
    parts = []
    if "srcc_raw" in s:
        parts.append(f"SRCC (raw) {_f(s['srcc_raw'])}, PLCC (raw) {_f(s.get('plcc_raw'))}, "
                     f"PLCC (logistic) {_f(s.get('plcc_logistic'))} on {s['rated']} rated clips")
    if s.get("questions"):
        parts.append(accuracy_line(s))
    return "; ".join(parts) or "-"


def accuracy_line(s: dict) -> str:
    """Accuracy over the questions answered, how many of how many, the failed count beside."""
    n, answered, failed = s["questions"], s.get("answered", 0), s.get("failed_questions", 0)
    failed_text = f", {failed} failed" if failed else ""
    if not answered or s.get("accuracy") is None:
        return f"no question answered of {n}{failed_text}"
    return (f"accuracy {_f(s['accuracy'])} (chance {_f(s.get('chance'))}) on {answered} "
            f"answered of {n} questions{failed_text}")


def _annotate(s: dict) -> str:
    return (f"{s['videos']} videos: {s.get('total.done', 0)} done, {s.get('total.review', 0)} "
            f"to review, {s.get('total.rejected', 0)} rejected, {s.get('total.error', 0)} errors; "
            f"{s['samples']} samples; {s.get('requests', 0)} endpoint requests")


def _score(s: dict) -> str:
    rows = s.get("results", [])
    return "; ".join(f"{Path(r['video']).name}: " + (one_line(r) if "error" not in r else "error")
                     for r in rows) or "-"


HEADLINES: dict[str, Callable[[dict], str]] = {
    "ingest": _ingest, "label": _label, "synthesize": _synthesize, "mos-simulate": _study,
    "mos": _mos, "train": _train, "evaluate": _evaluate, "annotate": _annotate,
    "score": _score,
}


def headline(step: StepConfig, out: Path) -> str | None:
    fn = HEADLINES.get(step.run[0]) if step.run else None
    path = out / "summary.json"
    if fn is None or not path.is_file():
        return None
    try:
        return fn(json.loads(path.read_text()))
    except (KeyError, TypeError, ValueError) as exc:  # an older summary: say so, do not guess
        return f"(summary.json without {exc})"


def results(cfg: PipelineConfig, run) -> list[dict]:
    rows = []
    for step in cfg.steps:
        status = run.status.get(step.name, "not run")
        if step.service:
            urls = run.services.get(step.name, {})
            text = ", ".join(f"{k} {v}" for k, v in urls.items()) or \
                idle_service(cfg, step.name, run.status)
        else:
            text = headline(step, Path(cfg.out) / step.name) or "-"
        rows.append({"step": step.name, "status": status,
                     "seconds": run.seconds.get(step.name), "result": text})
    return rows


def idle_service(cfg: PipelineConfig, name: str, status: dict) -> str:
    """Why a service never started, from what the steps that call it did."""
    from vqa.pipeline.plan import refs

    callers = [s.name for s in cfg.steps if s.run and name in refs(s)]
    if not callers:
        return "not started (no step calls it)"
    if any(status.get(c) == "reused" for c in callers):
        return "not needed (the steps that call it were reused)"
    return f"not started (the steps that call it did not run: {', '.join(callers)})"


def plan_rows(decisions) -> list[dict]:
    return [{"step": d.step.name, "action": d.action, "why": d.why,
             "fingerprint": d.fingerprint} for d in decisions]

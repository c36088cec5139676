"""Scoring the model's answers to benchmark questions and the accuracy tables the papers print.

A choice question scores 1 when the reply's first option letter is the correct one, 0 when it
is another; with no letter (and for open questions) the judge's majority decides: 0/1, or 0/1/2
halved for open answers (as Q-Bench-Video reports them). A question whose video failed, or
whose judge failed (or was not configured), is `failed`: counted, kept out of the accuracy."""

from __future__ import annotations

import math

from vqa.evaluate.questions import OPEN, WHAT_HOW, YES_NO, first_letter

OK, FAILED, VIDEO_ERROR = "ok", "failed", "video_error"
QBENCH_COLUMNS = [("Yes-or-No", "type", YES_NO), ("What-How", "type", WHAT_HOW),
                  ("Open-ended", "type", OPEN), ("Technical", "concern", "Technical"),
                  ("Aesthetic", "concern", "Aesthetic"), ("Temporal", "concern", "Temporal"),
                  ("AIGC", "concern", "AIGC")]
FG_COLUMNS = [("S", "concern", "S"), ("T", "concern", "T"), ("ST", "concern", "ST"),
              ("machine", "part", "machine"), ("human", "part", "human")]


def needs_judge(q: dict, reply: str | None) -> bool:
    if reply is None:
        return False
    if "attribute" in q:  # FineVD attributes parse their closed answer set; a yes/no reply
        from vqa.evaluate.attributes import parse_attribute  # with neither goes to the judge

        return parse_attribute(q, reply) is None
    return not q["options"] or first_letter(reply, len(q["options"])) is None


def score_all(questions: list[dict], answers: list[dict], judge_cfg) -> list[dict]:
    """`answers[i]`: {"result": {"reply"} | None, "error"} for `questions[i]` (ids may repeat
    across benchmarks); the judge (when enabled) grades what needs it, concurrently, then every
    question is scored."""
    from vqa.evaluate.attributes import score_attribute
    from vqa.evaluate.judge import grade_all

    replies = [(a["result"] or {}).get("reply") for a in answers]
    todo = [i for i, (q, r) in enumerate(zip(questions, replies))
            if judge_cfg.enabled and needs_judge(q, r)]
    judged = dict(zip(todo, grade_all(judge_cfg, [(questions[i], replies[i]) for i in todo])))
    return [score_attribute(q, r, a["error"], judged.get(i)) if "attribute" in q
            else score_question(q, r, a["error"], judged.get(i))
            for i, (q, r, a) in enumerate(zip(questions, replies, answers))]


def score_question(q: dict, reply: str | None, error: str | None = None,
                   judged: dict | None = None) -> dict:
    """One scored row: the question's grouping fields, the reply, `score` in [0, 1] (None
    unless ok), `status`, `how` (letter | judge) and the reason when failed."""
    row = {k: q[k] for k in ("id", "benchmark", "type", "concern", "part", "answer")}
    row.update(videos=";".join(q["videos"]), reply=reply, score=None, how=None, reason=None,
               chance=1.0 / len(q["options"]) if q["options"] else 0.0)
    if error is not None or reply is None:
        return {**row, "status": VIDEO_ERROR, "reason": error or "no reply"}
    if not needs_judge(q, reply):
        letter = first_letter(reply, len(q["options"]))
        return {**row, "status": OK, "how": "letter", "letter": letter,
                "score": float(letter == q["answer"])}
    if judged is None:
        return {**row, "status": FAILED, "reason": "no option letter in the reply and no judge "
                                                   "configured (judge.enabled)"}
    if "judge_error" in judged:
        return {**row, "status": FAILED, "reason": judged["judge_error"]}
    s = judged["judge_score"]
    return {**row, "status": OK, "how": "judge", "votes": judged["judge_votes"],
            "score": s / 2.0 if not q["options"] else float(s)}


def _acc(rows: list[dict], key: str = "score") -> float:
    """Mean score over the scored questions; the random guess (`chance`) over all of them."""
    vals = [r[key] for r in rows if r["status"] == OK or key == "chance"]
    return sum(vals) / len(vals) if vals else math.nan


def leaderboard(rows: list[dict], columns: list[tuple[str, str, str]]) -> list[dict]:
    """Two rows, the model's accuracy and the random guess (1/options per choice question, 0 for
    open ones), per column and Overall; plus the counts behind them."""
    out = []
    for name, key in (("model", "score"), ("random guess", "chance")):
        row = {"": name}
        for col, field_, value in columns:
            sel = [r for r in rows if r.get(field_) == value]
            row[col] = _acc(sel, key)
        row["Overall"] = _acc(rows, key)
        out.append(row)
    out.append({"": "questions (ok / failed / video error)",
                **{c: _counts([r for r in rows if r.get(f) == v]) for c, f, v in columns},
                "Overall": _counts(rows)})
    return out


def _counts(rows: list[dict]) -> str:
    n = {s: sum(r["status"] == s for r in rows) for s in (OK, FAILED, VIDEO_ERROR)}
    return f"{n[OK]} / {n[FAILED]} / {n[VIDEO_ERROR]}"


def columns_for(rows: list[dict]) -> list[tuple[str, str, str]]:
    """Q-Bench-Video's columns for its items, FG's (S/T/ST, machine/human) for ours."""
    from vqa.evaluate import attributes

    if any(r["benchmark"] == attributes.BENCHMARK for r in rows):
        return attributes.COLUMNS
    fg = any(r.get("part") is not None for r in rows)
    return FG_COLUMNS if fg else QBENCH_COLUMNS


def summary_metrics(benchmark: str, rows: list[dict]) -> dict[str, float]:
    """Flat numbers for MLflow: accuracy overall and per column, counts."""
    out = {f"{benchmark}.accuracy": _acc(rows), f"{benchmark}.chance": _acc(rows, "chance"),
           f"{benchmark}.questions": len(rows),
           f"{benchmark}.failed": sum(r["status"] == FAILED for r in rows),
           f"{benchmark}.video_errors": sum(r["status"] == VIDEO_ERROR for r in rows),
           f"{benchmark}.judged": sum(r.get("how") == "judge" for r in rows)}
    for col, f, v in columns_for(rows):
        sel = [r for r in rows if r.get(f) == v]
        if sel:
            out[f"{benchmark}.accuracy.{col}"] = _acc(sel)
    return {k: v for k, v in out.items() if not (isinstance(v, float) and math.isnan(v))}

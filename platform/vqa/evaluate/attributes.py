"""FineVD attribute tasks (FineVQ Table 2): a yes/no question per distortion dimension, "which
distortions exist" and "which affects quality the most", read from the instruction files that
`vqa mos` writes (FineVD style: `meta.qa` = yesno-<dim> | which-exist | most-impact) and scored by
parsing the greedy answer — the dimension names are a closed set, so no judge is needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from vqa.data.io import SchemaError, read_samples
from vqa.errors import ConfigError
from vqa.evaluate.labels import resolve_video
from vqa.subjective.qa import FIVE

BENCHMARK = "finevd-attributes"
EXIST, MOST = "which exist", "most impact"
COLUMNS = [(d, "type", d) for d in FIVE] + [(EXIST, "type", EXIST), (MOST, "type", MOST)]
# random guess: yes/no 1/2; any subset of the five 1/32; one of five or none 1/6
CHANCE = {**{d: 0.5 for d in FIVE}, EXIST: 1 / 2 ** len(FIVE), MOST: 1 / (len(FIVE) + 1)}


def read_attribute_questions(path: str, video_root: str | None = None) -> list[dict]:
    """The attribute questions of one instruction file → canonical questions (see
    vqa.evaluate.questions) with `attribute` holding the truth: bool, a set, or a name."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"attributes file not found: {p}")
    try:
        table = read_samples(p)
    except (SchemaError, ValueError, OSError) as exc:  # bad JSON, not parquet, …
        raise ConfigError(str(exc) if str(p) in str(exc) else f"{p}: {exc}") \
            from None
    base, out = (p.parent if p.is_file() else p), []
    for s in table.to_pylist():
        meta = json.loads(s["meta"]) if s["meta"] else {}
        qa = meta.get("qa", "") if isinstance(meta, dict) else ""
        if qa.startswith("yesno-") and qa[6:] in FIVE:
            col, truth = qa[6:], bool(meta["exists"])
        elif qa == "which-exist":
            col, truth = EXIST, sorted(meta.get("exist") or [])
        elif qa == "most-impact":
            col, truth = MOST, meta.get("most")
        else:
            continue
        prompt = s["conversations"][0]["value"].replace("<video>\n", "").replace("<video>", "")
        out.append({"id": s["id"], "benchmark": BENCHMARK, "type": col, "concern": None,
                    "part": None, "videos": [resolve_video(s["video"], base, video_root)],
                    "prompt": prompt.strip(), "options": [], "answer": json.dumps(truth),
                    "answer_text": s["conversations"][1]["value"], "attribute": truth})
    if not out:
        raise ConfigError(f"{p}: no FineVD attribute questions (meta.qa yesno-<dim>, "
                          f"which-exist, most-impact)")
    return out


def mentioned(reply: str) -> list[str]:
    """Dimension names in the reply, in the order they first appear."""
    low = reply.lower()
    found = [(m.start(), d) for d in FIVE for m in [re.search(rf"\b{d}", low)] if m]
    return [d for _, d in sorted(found)]


def parse_attribute(q: dict, reply: str):
    """The reply's answer in the truth's form; None when it gives none (a yes/no reply that
    starts with neither)."""
    if q["type"] in FIVE:
        first = re.match(r"\W*(yes|no)\b", reply.lower())
        return None if first is None else first.group(1) == "yes"
    names = mentioned(reply)
    if q["type"] == EXIST:
        return sorted(names)
    return names[0] if names else None


def score_attribute(q: dict, reply: str | None, error: str | None = None,
                    judged: dict | None = None) -> dict:
    """A scored row in vqa.evaluate.understanding's shape (status ok / failed / video_error);
    a yes/no reply with neither word is the judge's (0/1), failed without one."""
    row = {k: q[k] for k in ("id", "benchmark", "type", "concern", "part", "answer")}
    row.update(videos=";".join(q["videos"]), reply=reply, score=None, how="parse", reason=None,
               chance=CHANCE[q["type"]])
    if error is not None or reply is None:
        return {**row, "status": "video_error", "reason": error or "no reply"}
    got = parse_attribute(q, reply)
    if got is None and q["type"] in FIVE:
        if judged is None or "judge_error" in judged:
            why = judged["judge_error"] if judged else "no judge configured (judge.enabled)"
            return {**row, "status": "failed",
                    "reason": f"the reply starts with neither yes nor no; {why}"}
        return {**row, "status": "ok", "how": "judge", "votes": judged["judge_votes"],
                "score": float(judged["judge_score"])}
    return {**row, "status": "ok", "score": float(got == q["attribute"])}

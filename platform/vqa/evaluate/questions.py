"""Understanding benchmarks as data: Q-Bench-Video JSON (yes-or-no / what-how / open-ended,
technical / aesthetic / temporal / AIGC concerns, pair questions over `a.mp4_cat_b.mp4`) and our
FG-benchmark JSONL (S / T / ST, machine / human) → one canonical question per item:

    {"id", "benchmark", "videos": [path, …], "prompt", "options": [text …] (empty: open),
     "answer": letter (choices) | text (open), "answer_text", "type", "concern", "part"}

A malformed item is a ConfigError naming the file and the line (JSONL) or the item index."""

from __future__ import annotations

import json
import os
import re
import string
from pathlib import Path

from vqa.errors import ConfigError
from vqa.evaluate.labels import resolve_video

LETTERS = string.ascii_uppercase
YES_NO, WHAT_HOW, OPEN = "Yes-or-No", "What-How", "Open-ended"
# Keys as `_qtype_key` spells them: every spelling of a type (case, `_`, `-`, `/`, spaces).
QTYPES = {0: YES_NO, 1: WHAT_HOW, 2: OPEN, "yesorno": YES_NO, "yesno": YES_NO,
          "binary": YES_NO, "whathow": WHAT_HOW, "what": WHAT_HOW, "how": WHAT_HOW,
          "mcq": WHAT_HOW, "openended": OPEN, "open": OPEN}
CONCERNS = {0: "Technical", 1: "Aesthetic", 2: "Temporal", 3: "AIGC"}
CONCERN_NAMES = {v.lower(): v for v in CONCERNS.values()}
PAIR = "_cat_"
MCQ_SUFFIX = "Answer with the option's letter from the given choices directly."


def _bad(where: str, why: str) -> ConfigError:
    return ConfigError(f"{where}: malformed question: {why}")


def pair_videos(name: str, base: Path, root: str | None) -> list[str]:
    """`a.mp4_cat_b.mp4` → both videos (Q-Bench-Video pair questions), unless a file of that
    very name exists (then it is one, already concatenated, video)."""
    whole = resolve_video(name, base, root)
    if PAIR not in name or os.path.exists(whole):
        return [whole]
    return [resolve_video(p, base, root) for p in name.split(PAIR)]


def options_block(options: list[str]) -> str:
    return "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))


def _letter_of(answer, options: list[str], where: str) -> str:
    """The correct option as a letter, from a letter, an index, or the option's text."""
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(options):
        return LETTERS[answer]
    text = str(answer).strip()
    m = re.fullmatch(r"\(?([A-Z])[\.\):]?(\s.*)?", text)
    if m and LETTERS.index(m.group(1)) < len(options):
        return m.group(1)
    for i, o in enumerate(options):
        if text.lower() == str(o).strip().lower():
            return LETTERS[i]
    raise _bad(where, f"answer {answer!r} is not one of the {len(options)} options")


def _qtype_key(value):
    """`Yes-or-No`, `yes_or_no`, `YES OR NO`, `what how` → one key of QTYPES."""
    return re.sub(r"[\s_\-/]+", "", value.lower()) if isinstance(value, str) else value


def qbench_item(raw: dict, where: str, base: Path, root: str | None, benchmark: str) -> dict:
    if not isinstance(raw, dict):
        raise _bad(where, "not a JSON object")
    for key in ("video_name", "question"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _bad(where, f"missing '{key}'")
    given = raw.get("question_type", raw.get("type"))
    qtype = QTYPES.get(_qtype_key(given))
    options = [str(o) for o in raw.get("answers") or raw.get("candidates") or []]
    if given is not None and qtype is None:
        raise _bad(where, f"unknown question_type {given!r} (known: {YES_NO}, {WHAT_HOW}, "
                          f"{OPEN}, in any case or separator)")
    if qtype is None:
        qtype = WHAT_HOW if options else OPEN
    correct = next((raw[k] for k in ("correct_ans", "correct_answer", "answer", "gt_ans", "gt")
                    if raw.get(k) is not None), None)
    if correct is None:
        raise _bad(where, "no correct answer (correct_ans / correct_answer / answer)")
    concern, context = raw.get("concern", raw.get("question_concern")), raw.get("context")
    if concern is None and (context in CONCERNS or str(context).lower() in CONCERN_NAMES):
        concern, context = context, None  # some exports keep the concern under `context`
    concern = CONCERNS.get(concern, CONCERN_NAMES.get(str(concern).lower(), concern))
    prompt = (f"{context}\n" if isinstance(context, str) and context.strip() else "") + \
        raw["question"].strip()
    if qtype == OPEN or not options:
        answer, text = str(correct), str(correct)
    else:
        answer = _letter_of(correct, options, where)
        text = options[LETTERS.index(answer)]
        prompt = f"{prompt}\n{options_block(options)}\n{MCQ_SUFFIX}"
    return {"id": str(raw.get("id", raw.get("question_id", where))), "benchmark": benchmark,
            "videos": pair_videos(raw["video_name"], base, root), "prompt": prompt,
            "options": options if qtype != OPEN else [], "answer": answer, "answer_text": text,
            "type": qtype, "concern": None if concern is None else str(concern), "part": None}


def fg_item(raw: dict, where: str, base: Path, root: str | None, benchmark: str) -> dict:
    """One line of `vqa synthesize --benchmark`'s benchmark.jsonl (or a human-part line: the
    same fields, options empty for open questions)."""
    if not isinstance(raw, dict):
        raise _bad(where, "not a JSON object")
    for key in ("video", "question"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _bad(where, f"missing '{key}'")
    options = raw.get("options") or []
    if not isinstance(options, list):
        raise _bad(where, "'options' must be a list")
    if raw.get("answer") in (None, ""):
        raise _bad(where, "missing 'answer'")
    if options:
        answer = _letter_of(raw["answer"], options, where)
        text = raw.get("answer_text") or options[LETTERS.index(answer)]
        qtype = YES_NO if len(options) == 2 and {o.lower() for o in options} == {"yes", "no"} \
            else WHAT_HOW
    else:
        answer = text = str(raw.get("answer_text") or raw["answer"])
        qtype = OPEN
    return {"id": str(raw.get("id", where)), "benchmark": benchmark,
            "videos": [resolve_video(raw["video"], base, root)], "prompt": raw["question"],
            "options": [str(o) for o in options], "answer": answer, "answer_text": str(text),
            "type": qtype, "concern": raw.get("category"), "part": raw.get("part", "machine")}


def read_questions(path: str | os.PathLike, video_root: str | None = None) -> list[dict]:
    """A `.jsonl` file is an FG benchmark (one question per line), a `.json` file Q-Bench-Video
    (a list of items, or {"questions"|"data": [...]})."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"benchmark file not found: {path}")
    base, name = path.parent, path.stem
    out: list[dict] = []
    if path.suffix == ".jsonl":
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _bad(f"{path}:{n}", f"invalid JSON ({exc.msg})") from None
            out.append(fg_item(raw, f"{path}:{n}", base, video_root, name))
    elif path.suffix == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise _bad(f"{path}:{exc.lineno}", f"invalid JSON ({exc.msg})") from None
        items = data.get("questions", data.get("data")) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise _bad(str(path), "expected a list of questions")
        out = [qbench_item(r, f"{path} item {i}", base, video_root, name)
               for i, r in enumerate(items)]
    else:
        raise ConfigError(f"{path}: a benchmark is .jsonl (FG benchmark) or .json (Q-Bench-Video)")
    if not out:
        raise ConfigError(f"{path}: no questions")
    return out


_LETTER_AT = [r"^\s*[\(\[]?([A-Z])\s*$", r"^\s*[\(\[]?([A-Z])[\.\):\]]",
              r"(?i:answer|option|choice)(?i:\s+is)?\s*[:\-]?\s*[\(\[]?([A-Z])(?![A-Za-z])"]


def first_letter(reply: str, n_options: int) -> str | None:
    """The option letter a greedy answer gives: a bare letter, a leading `B.` / `(B)`, or
    "the answer is B"; None when there is none (then the judge decides)."""
    for pattern in _LETTER_AT:
        m = re.search(pattern, reply)
        if m and m.group(1).upper() in LETTERS[:n_options]:
            return m.group(1).upper()
    return None

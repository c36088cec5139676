"""The writer's Q&A pairs, checked, and turned into LLaVA-style instruction samples.

Checks are strict because these rows become training data: a binary answer is Yes/No, a
multiple-choice answer is one of its options, every answer is non-empty. A pair that fails is
dropped; an answer with too few valid pairs is `Malformed` and the writer is asked again."""

from __future__ import annotations

import json
import string

from vqa.annotate.endpoints import Malformed
from vqa.annotate.jsonout import loads_object

QA_TYPES = ("binary", "mcq", "open")


def check_pair(pair: dict, types: list[str]) -> dict | None:
    """A clean pair, or None when it breaks the rules of its type."""
    if not isinstance(pair, dict):
        return None
    kind = str(pair.get("type", "")).lower().replace("multiple-choice", "mcq")
    question = str(pair.get("question") or "").strip()
    answer = str(pair.get("answer") or "").strip()
    if kind not in types or not question or not answer:
        return None
    out = {"type": kind, "factor": str(pair.get("factor") or ""), "question": question,
           "answer": answer}
    if kind == "binary":
        yn = answer.split()[0].strip(".,!").capitalize()
        if yn not in ("Yes", "No"):
            return None
        out["answer"] = yn
    elif kind == "mcq":
        options = [str(o).strip() for o in pair.get("options") or [] if str(o).strip()]
        if not 2 <= len(options) <= 26 or len(set(options)) != len(options):
            return None
        if answer not in options:
            letters = {string.ascii_uppercase[i]: o for i, o in enumerate(options)}
            answer = letters.get(answer.strip(".) ").upper(), "")
            if not answer:
                return None
        out.update(options=options, answer=answer)
    return out


def parse_writer(text: str, types: list[str], min_pairs: int) -> tuple[str, list[dict]]:
    """The writer's JSON → (merged summary, valid Q&A pairs)."""
    obj = loads_object(text)
    summary = str(obj.get("summary") or "").strip()
    if not summary:
        raise Malformed("writer: empty summary")
    qa = obj.get("qa")
    pairs = [p for p in (check_pair(x, types) for x in (qa if isinstance(qa, list) else []))
             if p is not None]
    if len(pairs) < min_pairs:
        raise Malformed(f"writer: {len(pairs)} valid Q&A pairs, need {min_pairs}")
    return summary, pairs


def render_question(pair: dict) -> tuple[str, str]:
    """(question text, answer text) as the model will see them; MCQ options get letters."""
    if pair["type"] == "mcq":
        letters = string.ascii_uppercase
        opts = "\n".join(f"{letters[i]}. {o}" for i, o in enumerate(pair["options"]))
        idx = pair["options"].index(pair["answer"])
        return (f"{pair['question']}\n{opts}\nAnswer with the option's letter from the given "
                f"choices directly.", f"{letters[idx]}. {pair['answer']}")
    if pair["type"] == "binary":
        return f"{pair['question']}\nPlease answer Yes or No.", pair["answer"]
    return pair["question"], pair["answer"]


def to_samples(video_id: str, video: str, pairs: list[dict], summary_question: str,
               summary: str, task: str, meta: dict) -> list[dict]:
    """Instruction samples: one per Q&A pair plus the fixed summary question."""
    samples = []
    for i, pair in enumerate(pairs):
        q, a = render_question(pair)
        samples.append({
            "id": f"{video_id}-{task}-{i}", "video": video, "task": task,
            "conversations": [{"from": "human", "value": f"<video>\n{q}"},
                              {"from": "gpt", "value": a}],
            "meta": json.dumps({**meta, "qa_type": pair["type"], "factor": pair["factor"]},
                               sort_keys=True),
        })
    samples.append({
        "id": f"{video_id}-{task}-summary", "video": video, "task": task,
        "conversations": [{"from": "human", "value": f"<video>\n{summary_question}"},
                          {"from": "gpt", "value": summary}],
        "meta": json.dumps({**meta, "qa_type": "summary"}, sort_keys=True),
    })
    return samples

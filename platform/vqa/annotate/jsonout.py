"""Pull the JSON object out of a model's answer (code fences and chatter around it tolerated)."""

from __future__ import annotations

import json

from vqa.annotate.endpoints import Malformed


def loads_object(text: str) -> dict:
    """The first top-level JSON object in `text`; `Malformed` (a retryable error) otherwise."""
    start = text.find("{")
    end = text.rfind("}")
    if start < 0 or end <= start:
        raise Malformed(f"no JSON object in answer: {text[:80]!r}")
    try:
        obj = json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise Malformed(f"invalid JSON ({exc.msg}): {text[:80]!r}") from None
    if not isinstance(obj, dict):
        raise Malformed("answer is not a JSON object")
    return obj

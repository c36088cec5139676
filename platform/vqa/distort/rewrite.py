"""Optional LLM rewrite of templated answers through an OpenAI-compatible endpoint (the
annotation endpoints), off by default. The facts stay: a rewrite that drops the answer's value
is rejected and the templated answer kept."""

from __future__ import annotations

import os

PROMPT = ("Rewrite the answer below so that it reads naturally and varies in wording. Keep every "
          "fact (distortion type, region, seconds, intensity) exactly. Reply with the rewritten "
          "answer only.\nQuestion: {question}\nAnswer: {answer}")


def rewrite_samples(samples: list[dict], base_url: str, model: str, api_key_env: str,
                    timeout: float = 60.0) -> tuple[list[dict], int]:
    """Open-ended and summary answers rewritten; returns (samples, how many were rewritten)."""
    from openai import OpenAI

    client = OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env, "EMPTY"),
                    timeout=timeout, max_retries=1)
    done = 0
    for s in samples:
        meta = s["meta"]
        if meta.get("form") != "open":
            continue
        question, answer = s["conversations"][0]["value"], s["conversations"][1]["value"]
        try:
            reply = client.chat.completions.create(model=model, temperature=0.7, messages=[
                {"role": "user", "content": PROMPT.format(question=question.removeprefix(
                    "<video>\n"), answer=answer)}])
            text = (reply.choices[0].message.content or "").strip()
        except Exception as exc:  # a failed call keeps the templated answer
            meta["rewrite_error"] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        if text and (meta["aspect"] == "summary" or str(meta["value"]).lower() in text.lower()):
            s["conversations"][1]["value"] = text
            meta["rewritten"] = True
            meta["template_answer"] = answer
            done += 1
    return samples, done

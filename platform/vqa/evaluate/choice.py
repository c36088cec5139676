"""Multiple-choice and yes/no accuracy by answer likelihood: the option letter (or Yes/No) whose
next-token logit is highest after the assistant turn opens — no free-form parsing needed."""

from __future__ import annotations

import string

import torch

from vqa.model.inference import encode_video, layout_for


@torch.no_grad()
def choose(model, video, question: str, answers: list[str]) -> int:
    """Index of the likeliest first token among `answers` (each must start with one token)."""
    model.eval()
    enc = encode_video(model, video)
    layout = layout_for(model, enc, [{"role": "user", "content": question}], "")
    emb = model.embed(layout, enc["vision"], enc["motion"])
    logits = model.llm(inputs_embeds=emb[None]).logits[0, -1]
    tok = model.tokenizer
    ids = [tok(a, add_special_tokens=False)["input_ids"][0] for a in answers]
    return int(torch.argmax(logits[ids]))


def mcq_accuracy(model, items: list[dict]) -> dict:
    """FG-benchmark items ({"video", "question", "options", "answer": letter}) → accuracy, the
    random-guess rate, and accuracy per category."""
    from vqa.errors import VideoError

    hits, chance, per = [], [], {}
    for it in items:
        letters = list(string.ascii_uppercase[:len(it["options"])])
        try:
            k = choose(model, it["video"], it["question"], letters)
        except (VideoError, FileNotFoundError):
            continue
        ok = letters[k] == it["answer"]
        hits.append(ok)
        chance.append(1 / len(letters))
        per.setdefault(it.get("category", "all"), []).append(ok)
    n = len(hits)
    return {"accuracy": sum(hits) / n if n else float("nan"),
            "chance": sum(chance) / n if n else float("nan"), "n": n,
            **{f"accuracy_{c}": sum(v) / len(v) for c, v in per.items()}}

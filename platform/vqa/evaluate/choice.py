"""Multiple-choice and yes/no accuracy by answer likelihood — no free-form parsing needed: the
option letter (or Yes/No) whose next-token logit is highest after the assistant turn opens, or
the option whose whole answer ("B. the 2nd second") is likeliest, as lm-evaluation-harness scores
multiple choice. The second asks less of a small model: it reads the option's words beside the
video, where the first also needs the hop from the words it prefers to the letter before them."""

from __future__ import annotations

import random
import string
from collections import Counter

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


@torch.no_grad()
def choose_answer(model, video, question: str, answers: list[str]) -> int:
    """Index of the likeliest whole answer: the sum of its tokens' log-probabilities (every
    answer is scored to its end-of-turn token, so each pays for its length alike)."""
    model.eval()
    enc = encode_video(model, video)
    scores = []
    for a in answers:
        layout = layout_for(model, enc, [{"role": "user", "content": question},
                                         {"role": "assistant", "content": a}], None)
        labels = layout.tensors()["labels"].to(model.device)
        emb = model.embed(layout, enc["vision"], enc["motion"])
        lp = torch.log_softmax(model.llm(inputs_embeds=emb[None]).logits[0].float(), -1)
        at = (labels != -100).nonzero()[:, 0]
        scores.append(float(lp[at - 1, labels[at]].sum()))
    return max(range(len(answers)), key=scores.__getitem__)


def option_answers(options: list[str]) -> list[str]:
    """The answers a choice question's options read as: "A. top-left", … (the training form)."""
    return [f"{letter}. {o}" for letter, o in zip(string.ascii_uppercase, options)]


def pick_option(model, video, question: str, options: list[str], by: str = "letter") -> int:
    """Index of the chosen option: by its letter's first token (`choose`, `by="letter"`) or by
    its whole answer (`choose_answer` on `option_answers`, `by="answer"`)."""
    if by == "letter":
        return choose(model, video, question, list(string.ascii_uppercase[:len(options)]))
    return choose_answer(model, video, question, option_answers(options))


def mcq_accuracy(model, items: list[dict], by: str = "letter") -> dict:
    """FG-benchmark items ({"video", "question", "options", "answer": letter}) → accuracy, the
    random-guess rate, and accuracy per category; `by` as in `pick_option`."""
    from vqa.errors import VideoError

    hits, chance, per = [], [], {}
    for it in items:
        letters = list(string.ascii_uppercase[:len(it["options"])])
        try:
            k = pick_option(model, it["video"], it["question"], it["options"], by)
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


def other_clips(items: list[dict], seed: int = 0) -> list[dict]:
    """The same questions, each asked of another item's clip (a seeded derangement; never its
    own clip). Accuracy that survives the swap comes from answer priors — a benchmark's skewed
    answers, a favourite letter — not from the video; `mcq_accuracy` on these items is the
    control an above-chance accuracy needs."""
    videos = [it["video"] for it in items]
    count = Counter(videos)
    step = max(count.values(), default=0)
    if step > len(items) / 2:
        raise ValueError(f"other_clips: {step} of {len(items)} items share one clip; no swap "
                         "can give each of them another")
    rng = random.Random(seed)
    groups = list(count)
    rng.shuffle(groups)
    at = {v: k for k, v in enumerate(groups)}
    ring = list(range(len(items)))
    rng.shuffle(ring)
    ring.sort(key=lambda i: at[videos[i]])  # each clip's items side by side, in random order
    # moving `step` places round the ring leaves every clip's run of at most `step` items
    donor = {i: ring[(p + step) % len(ring)] for p, i in enumerate(ring)}
    return [{**it, "video": videos[donor[i]]} for i, it in enumerate(items)]

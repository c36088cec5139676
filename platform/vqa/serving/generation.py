"""The OpenAI sampling parameters the chatter honours beyond greedy / temperature / top_p, as
`generate()` arguments: `stop` strings, `frequency_penalty` / `presence_penalty` (OpenAI's
definition, over the tokens generated so far, as vLLM applies them) — and a repetition guard,
so a model caught in a loop (an untrained one repeats one token forever) stops instead of
running to `max_tokens`."""

from __future__ import annotations

import torch

REPEAT_STOP_TOKENS = 16  # a loop this many tokens long (one period repeated) ends generation
MAX_PERIOD = 8  # the longest loop period the guard looks for, tokens


def looping(ids: list[int], span: int = REPEAT_STOP_TOKENS, max_period: int = MAX_PERIOD) -> bool:
    """Whether the last `span` tokens are one pattern of ≤ `max_period` tokens repeated (at
    least twice): "a a a a …" or "x y x y …"."""
    if span <= 0 or len(ids) < span:
        return False
    tail = ids[-span:]
    return any(all(tail[i] == tail[i - p] for i in range(p, span))
               for p in range(1, min(max_period, span // 2) + 1))


class _Penalties:
    """logits[t] -= frequency × count(t) + presence × [count(t) > 0], over generated tokens
    (with `inputs_embeds` the ids `generate` passes are the generated ones only)."""

    def __init__(self, frequency: float, presence: float):
        self.frequency, self.presence = frequency, presence

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor):
        if input_ids.shape[1] == 0:
            return scores
        counts = torch.zeros_like(scores)
        counts.scatter_add_(1, input_ids, torch.ones_like(input_ids, dtype=scores.dtype))
        return scores - self.frequency * counts - self.presence * (counts > 0).to(scores.dtype)


class _RepeatGuard:
    """A StoppingCriteria: stop once the generated tail is a loop (`looping`)."""

    def __init__(self, span: int):
        self.span = span

    def __call__(self, input_ids: torch.LongTensor, scores, **_) -> torch.BoolTensor:
        return torch.tensor([looping(row.tolist(), self.span) for row in input_ids],
                            device=input_ids.device)


class _StopStrings:
    """A StoppingCriteria: stop once the decoded tail holds a stop string (transformers' own
    `stop_strings` needs a tokenizer vocabulary of a shape ours need not have)."""

    def __init__(self, tokenizer, stop: list[str]):
        self.tokenizer, self.stop = tokenizer, stop
        self.tail = 2 * max(len(s) for s in stop) + 8  # tokens: each non-special one ≥ 1 char

    def __call__(self, input_ids: torch.LongTensor, scores, **_) -> torch.BoolTensor:
        texts = self.tokenizer.batch_decode(input_ids[:, -self.tail:], skip_special_tokens=True)
        return torch.tensor([any(s in t for s in self.stop) for t in texts],
                            device=input_ids.device)


def generate_kwargs(tokenizer, stop: list[str], frequency_penalty: float = 0.0,
                    presence_penalty: float = 0.0, repeat_stop: int = REPEAT_STOP_TOKENS) -> dict:
    """Extra `generate()` arguments for these parameters (none when all are off)."""
    from transformers import LogitsProcessorList, StoppingCriteriaList

    kw: dict = {}
    if frequency_penalty or presence_penalty:
        kw["logits_processor"] = LogitsProcessorList([_Penalties(frequency_penalty,
                                                                 presence_penalty)])
    criteria = ([_RepeatGuard(repeat_stop)] if repeat_stop else []) + \
        ([_StopStrings(tokenizer, stop)] if stop else [])
    if criteria:
        kw["stopping_criteria"] = StoppingCriteriaList(criteria)
    return kw


def cut_at_stop(text: str, stop: list[str]) -> tuple[str, bool]:
    """`text` up to the first stop string (which OpenAI leaves out), and whether one was found."""
    hits = [i for i in (text.find(s) for s in stop) if i >= 0]
    return (text[:min(hits)], True) if hits else (text, False)


class StopFilter:
    """The streaming side of `cut_at_stop`: feed pieces, get what is safe to send — text that
    cannot be the start of a stop string — until a stop string appears (`done`)."""

    def __init__(self, stop: list[str]):
        self.stop, self.text, self.sent, self.done = stop, "", 0, False
        self.hold = max((len(s) for s in stop), default=1) - 1

    def feed(self, piece: str) -> str:
        if self.done:
            return ""
        self.text += piece
        cut, self.done = cut_at_stop(self.text, self.stop)
        end = len(cut) if self.done else max(self.sent, len(self.text) - self.hold)
        out, self.sent = self.text[self.sent:end], end
        return out

    def flush(self) -> str:
        out = "" if self.done else self.text[self.sent:]
        self.sent = len(self.text)
        return out

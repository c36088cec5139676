"""Rating by level logits (OmniVQA A.2 / Q-Align): softmax over the next-token logits of the
level words only, then the probability-weighted level value (5..1 by default): a score in
[1, 5]. What a user reads of that score (0–100, its level, the clipped dimensions) is
`vqa.model.rating`."""

from __future__ import annotations

import torch

from vqa.errors import ConfigError


def word_token_ids(tokenizer, word: str, prefix: str = " ",
                   context: str = "The quality of this video is") -> list[int]:
    """The tokens `context + prefix + word` adds after `context`: the word as it reads inside a
    sentence (BPE's "Ġexcellent", SentencePiece's "▁excellent", a word-level "excellent"), not
    as it tokenizes alone at the start of a text."""
    enc = lambda s: tokenizer(s, add_special_tokens=False)["input_ids"]  # noqa: E731
    base, full = enc(context), enc(context + prefix + word)
    return full[len(base):] if full[:len(base)] == base else enc(prefix + word)


def rated_levels(scoring) -> dict[str, list[str]]:
    """Each rated dimension (overall first) → its level words, best first (`ScoringConfig`)."""
    dims = ["overall", *scoring.dimensions]
    return {d: scoring.dimension_levels.get(d, scoring.levels) for d in dict.fromkeys(dims)}


def level_token_ids(tokenizer, words: list[str], prefix: str = " ",
                    context: str = "The quality of this video is") -> list[int]:
    """One token id per level word (`word_token_ids`). A word that takes more than one token
    cannot be rated by one forward pass, so that is an error naming the word and its pieces."""
    ids = []
    for w in words:
        toks = word_token_ids(tokenizer, w, prefix, context)
        if len(toks) != 1:
            pieces = tokenizer.convert_ids_to_tokens(toks)
            raise ConfigError(f"level word {w!r} is not a single token: {prefix + w!r} → "
                              f"{pieces} (ids {toks}); choose words the tokenizer keeps whole")
        if toks[0] == tokenizer.unk_token_id:
            raise ConfigError(f"level word {w!r} is not in the tokenizer's vocabulary")
        ids.append(toks[0])
    return ids


def score_levels(logits: torch.Tensor, token_ids: list[int], weights: list[float]
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """logits (..., vocab) at the answer position → (probabilities (..., L), score (...))."""
    probs = torch.softmax(logits[..., token_ids].float(), dim=-1)
    w = torch.tensor(weights, dtype=probs.dtype, device=probs.device)
    return probs, probs @ w

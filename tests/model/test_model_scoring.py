"""Rating by level logits equals the hand computation; level words must be single tokens."""

from __future__ import annotations

import math

import pytest
import torch

from model_fixtures import clip, tiny_model  # noqa: F401
from vqa.errors import ConfigError
from vqa.model.inference import encode_video
from vqa.model.prompting import build_layout, rating_turns
from vqa.model.scoring import level_token_ids, score_levels
from vqa.model.tokenizer import build_tiny_tokenizer


def hand_score(logits: list[float], weights: list[float]) -> float:
    z = sum(math.exp(v) for v in logits)
    return sum(w * math.exp(v) / z for v, w in zip(logits, weights))


def test_score_levels_matches_a_hand_computation():
    vocab = torch.full((50,), -3.0)
    ids = [7, 3, 11, 40, 0]
    level_logits = [2.0, 1.0, 0.5, -1.0, 0.0]
    vocab[ids] = torch.tensor(level_logits)
    vocab[20] = 100.0  # a non-level word, however likely, does not count
    probs, score = score_levels(vocab, ids, [5, 4, 3, 2, 1])
    assert float(score) == pytest.approx(hand_score(level_logits, [5, 4, 3, 2, 1]), abs=1e-6)
    assert float(probs.sum()) == pytest.approx(1.0)
    assert float(probs[0]) == pytest.approx(math.exp(2) / sum(map(math.exp, level_logits)))


def test_model_rating_equals_hand_computation_from_its_logits(tiny_model, clip):
    m = tiny_model
    result = m.rate(clip)
    # Recompute by hand: the same sequence, one forward pass, the logits of the level words.
    enc = encode_video(m, clip)
    messages, prefix = rating_turns(m.cfg.prompt)
    assert prefix == "The quality of this video is"
    layout = build_layout(m.tokenizer, m.cfg.prompt, messages, duration=enc["duration"],
                          n_keyframes=enc["vision"].shape[0],
                          tokens_per_frame=enc["vision"].shape[1],
                          n_motion=enc["motion"].shape[0], generation_prefix=prefix)
    with torch.no_grad():
        logits = m.llm(inputs_embeds=m.embed(layout, enc["vision"], enc["motion"])[None]).logits
    words = m.cfg.scoring.levels
    ids = [m.tokenizer.convert_tokens_to_ids(w) for w in words]
    lv = [float(logits[0, -1, i]) for i in ids]
    assert result["score"] == pytest.approx(hand_score(lv, [5, 4, 3, 2, 1]), abs=1e-5)
    assert result["level"] == words[max(range(5), key=lambda i: lv[i])]
    assert 1.0 <= result["score"] <= 5.0


def test_level_word_that_is_not_one_token_is_an_error_naming_it():
    tok = build_tiny_tokenizer()
    assert len(level_token_ids(tok, ["excellent", "good", "fair", "poor", "bad"])) == 5
    with pytest.raises(ConfigError, match=r"level word 'very-good' is not a single token: "
                                          r"' very-good' → \['very', '-', 'good'\]"):
        level_token_ids(tok, ["excellent", "very-good"])
    with pytest.raises(ConfigError, match="'splendiferous' is not in the tokenizer's vocabulary"):
        level_token_ids(tok, ["splendiferous"])


def test_per_dimension_prompts_rate_each_dimension(clip):
    from vqa.model import build_model, tiny

    cfg = tiny()
    cfg.head.enabled = False
    cfg.scoring.dimensions = ["noise", "temporal"]
    cfg.scoring.dimension_levels = {"noise": ["undistorted", "slight", "mild", "strong", "severe"]}
    m = build_model(cfg)
    assert rating_turns(cfg.prompt, "noise") == (
        [{"role": "user", "content": "How would you rate the noise quality of this video?"}],
        "The noise quality of this video is")
    out = m.rate(clip)
    assert set(out["dimensions"]) == {"noise", "temporal"}
    assert all(1.0 <= v <= 5.0 for v in out["dimensions"].values())


@pytest.mark.parametrize("style", ["bytelevel", "metaspace"])
def test_level_token_is_the_continuation_token_for_bpe_and_sentencepiece_styles(style):
    """Qwen2-style byte-level BPE marks a leading space as "Ġ", SentencePiece-style as "▁"; the
    level token is the one the tokenizer emits after the answer prefix."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    if style == "bytelevel":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        mark = "Ġ"
    else:
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        mark = "▁"
    text = ["The quality of this video is excellent good fair poor low"] * 50
    alphabet = pre_tokenizers.ByteLevel.alphabet() if style == "bytelevel" else []
    tok.train_from_iterator(text, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>"],
                                                      initial_alphabet=alphabet))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>")
    words = ["excellent", "good", "fair", "poor", "low"]
    ids = level_token_ids(fast, words)
    assert fast.convert_ids_to_tokens(ids) == [mark + w for w in words]

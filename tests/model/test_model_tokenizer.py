"""The `tiny` word-level tokenizer knows every word of the platform's own instruction data: an
[UNK] there erases what a question asks or an answer says (the two exposures, the levels,
center-down and once / twice all read [UNK] before)."""

import numpy as np
import pytest

from vqa.distort import STUTTER, PlanParams, plan_clip
from vqa.distort.benchmark import Clip, candidates
from vqa.distort.qa import clip_samples
from vqa.distort.templates import load_templates
from vqa.model.tokenizer import build_tiny_tokenizer


def unknown_words(tok, texts) -> set[str]:
    vocab = tok.get_vocab()
    split = tok.backend_tokenizer.pre_tokenizer.pre_tokenize_str
    return {w for t in texts for w, _ in split(t.replace("<video>", "")) if w not in vocab}


@pytest.mark.parametrize("variant", ["blur", "overexposure", "underexposure", "noise", "jpeg",
                                     STUTTER])
def test_every_word_of_incontext_and_benchmark_questions_is_a_token(variant):
    tok, tpl = build_tiny_tokenizer(), load_templates("benchmark")
    texts = []
    for seed in range(30):
        specs = plan_clip(variant, 320, 240, 60, 10.0, np.random.default_rng(seed), PlanParams())
        for s in clip_samples(f"c{seed}", "c.mp4", specs, 6, seed=seed):
            texts += [c["value"] for c in s["conversations"]]
        clip = Clip(f"c{seed}", "c.mp4", specs, 6, "src")
        for q in candidates(clip, np.random.default_rng(seed), tpl):
            texts += [q["stem"], q["truth"], *q["wrong"]]
    assert len(texts) > 300
    assert unknown_words(tok, texts) == set()


def test_unknown_words_are_still_found():
    """The check above can fail: a word outside the vocabulary is reported."""
    assert unknown_words(build_tiny_tokenizer(), ["The frame is zorbly."]) == {"zorbly"}

"""The interleaved sequence: system prompt with the video's facts, video blocks in order at the
<video> mark, labels only on the answers."""

from __future__ import annotations

import torch

from model_fixtures import tiny_model  # noqa: F401
from vqa.model.config import PromptConfig
from vqa.model.prompting import IGNORE, MOTION, TEXT, VISION, build_layout, system_text
from vqa.model.tokenizer import build_tiny_tokenizer


def runs(kinds: list[int]) -> list[tuple[int, int]]:
    """Run-length encoding: [(kind, length), …]."""
    out: list[list[int]] = []
    for k in kinds:
        if out and out[-1][0] == k:
            out[-1][1] += 1
        else:
            out.append([k, 1])
    return [tuple(r) for r in out]


def test_system_prompt_fills_in_length_and_frame_count():
    p = PromptConfig()
    text = system_text(p, 10.0, 250)
    assert "from a video of length 10 seconds, with the keyframe sequence" in text
    assert text.endswith("corresponds to the number of frames in the video, 250.")
    assert "motion feature" not in system_text(p, 7.5, None)


def test_layout_interleaves_video_and_masks_all_but_answers():
    tok = build_tiny_tokenizer()
    p = PromptConfig()
    messages = [{"role": "user",
                 "content": "<video>\nHow would you rate the quality of this video?"},
                {"role": "assistant", "content": "The quality of this video is good."},
                {"role": "user", "content": "Is there noise?"},
                {"role": "assistant", "content": "No."}]
    lay = build_layout(tok, p, messages, duration=4.0, n_keyframes=4, tokens_per_frame=3,
                       n_motion=16)
    r = runs(lay.kinds)
    # text (system + user header), 4 keyframe blocks of 3 tokens = 12 vision, 16 motion, text.
    assert [k for k, _ in r] == [TEXT, VISION, MOTION, TEXT]
    assert r[1] == (VISION, 12) and r[2] == (MOTION, 16)
    head = tok.decode(lay.input_ids[: r[0][1]])
    assert head.startswith("<|im_start|> system You will receive") and head.endswith("user")
    assert "length 4 seconds" in head and "in the video , 16 ." in head
    # Labels: exactly the two answers, each with its end-of-turn marker.
    labelled = [i for i, y in enumerate(lay.labels) if y != IGNORE]
    answers = tok.decode([lay.labels[i] for i in labelled])
    assert answers == "The quality of this video is good . <|im_end|> No . <|im_end|>"
    assert all(lay.kinds[i] == TEXT for i in labelled)
    t = lay.tensors()
    assert t["input_ids"].shape == t["kinds"].shape == t["labels"].shape
    assert torch.equal(t["labels"][t["kinds"] != TEXT], torch.full((28,), IGNORE))


def test_pooled_motion_is_one_token_but_the_prompt_counts_frames():
    tok = build_tiny_tokenizer()
    lay = build_layout(tok, PromptConfig(), [{"role": "user", "content": "Rate it."}],
                       duration=3, n_keyframes=8, tokens_per_frame=2, n_motion=1,
                       motion_frames=72)
    assert runs(lay.kinds)[1:3] == [(VISION, 16), (MOTION, 1)]
    assert "in the video , 72 ." in tok.decode(lay.input_ids)


def test_generation_prefix_opens_the_assistant_turn():
    tok = build_tiny_tokenizer()
    lay = build_layout(tok, PromptConfig(), [{"role": "user", "content": "Rate it."}],
                       duration=2, n_keyframes=2, tokens_per_frame=1, n_motion=None,
                       generation_prefix="The quality of this video is")
    assert MOTION not in lay.kinds
    assert tok.decode(lay.input_ids[-8:]) == ("<|im_start|> assistant The quality of this "
                                              "video is")
    assert set(lay.labels) == {IGNORE}


def test_model_embeds_video_tokens_into_their_slots(tiny_model):
    m = tiny_model
    d = m.llm.get_input_embeddings().embedding_dim
    vision, motion = torch.randn(2, 4, d), torch.randn(8, d)
    lay = build_layout(m.tokenizer, m.cfg.prompt, [{"role": "user", "content": "Hi"}],
                       duration=2, n_keyframes=2, tokens_per_frame=4, n_motion=8,
                       generation_prefix="")
    x = m.embed(lay, vision, motion)
    k = torch.tensor(lay.kinds)
    assert torch.equal(x[k == VISION], vision.reshape(-1, d))
    assert torch.equal(x[k == MOTION], motion)
    ids = torch.tensor(lay.input_ids)[k == TEXT]
    assert torch.equal(x[k == TEXT], m.llm.get_input_embeddings()(ids))

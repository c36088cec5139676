"""Instruction samples → training inputs; a few optimiser steps on one sample lower the loss."""

from __future__ import annotations

import math

import pytest
import torch

from model_fixtures import clip, tiny_model  # noqa: F401
from vqa.model import build_model, tiny
from vqa.model.batch import loss_on, prepare_sample, score_targets, to_messages
from vqa.model.inference import sample_video


def sample(clip) -> dict:
    return {"id": "s1", "video": str(clip), "task": "rating", "mos": 3.8,
            "conversations": [{"from": "human", "value": "<video>\nHow would you rate the "
                                                          "quality of this video?"},
                              {"from": "gpt", "value": "The quality of this video is good."}],
            "scores": {"color": 3.5, "noise": None, "artifact": 4.0, "blur": 2.5,
                       "temporal": 3.0, "overall": None}}


def test_conversations_and_score_targets(tiny_model, clip):
    s = sample(clip)
    assert [m["role"] for m in to_messages(s["conversations"])] == ["user", "assistant"]
    t = score_targets(tiny_model, s)
    scale = tiny_model.cfg.head.scale  # the head regresses score / head.scale
    assert t[0].item() == pytest.approx(3.5 / scale) and math.isnan(t[1])
    assert t[-1].item() == pytest.approx(3.8 / scale)  # no overall score: the MOS fills in
    with pytest.raises(ValueError, match="unknown conversation role 'robot'"):
        to_messages([{"from": "robot", "value": "x"}])


def test_optimiser_steps_on_one_sample_lower_the_loss(clip):
    cfg = tiny()
    cfg.llm_trainable = True
    torch.manual_seed(0)
    m = build_model(cfg).train()
    s = sample(clip)
    frames = sample_video(m, s["video"])  # decode once; re-encode each step (vision/motion grads)
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-2)
    losses, lm, head = [], [], []
    for _ in range(8):
        out = loss_on(m, [prepare_sample(m, s, video=frames)])
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(out["loss"].item())
        lm.append(out["lm_loss"].item())
        head.append(out["score_loss"].item())
        assert torch.isfinite(out["score_loss"])
    assert lm[-1] < 0.7 * lm[0], lm
    assert head[-1] < 0.7 * head[0], head
    assert losses == pytest.approx([a + b for a, b in zip(lm, head)])  # loss_weight 1


def test_padded_batch_loss_is_the_token_weighted_mean_of_single_losses(tiny_model, clip):
    m = tiny_model.eval()
    long = sample(clip)
    short = {**sample(clip), "conversations": [
        {"from": "human", "value": "Rate it."}, {"from": "gpt", "value": "Poor."}]}
    with torch.no_grad():
        a, b = prepare_sample(m, long), prepare_sample(m, short)
        assert a["embeds"].shape[0] != b["embeds"].shape[0]
        la, lb = loss_on(m, [a]), loss_on(m, [b])
        both = loss_on(m, [a, b])
    # The LLM's loss is the mean over answer tokens (labels shift by one: n = labelled - 0).
    na, nb = int((a["labels"][1:] != -100).sum()), int((b["labels"][1:] != -100).sum())
    want = (la["lm_loss"] * na + lb["lm_loss"] * nb) / (na + nb)
    assert both["lm_loss"].item() == pytest.approx(want.item(), rel=1e-5)
    # The score head reads each sequence's own token before its first answer token (the open
    # assistant turn, what `rate` reads), not a pad and not the answer.
    pair = torch.stack([a["scores"], b["scores"]])
    known = ~torch.isnan(pair)
    at = [int((p["labels"] != -100).nonzero()[0, 0]) - 1 for p in (a, b)]
    single = torch.cat([m.score_head(m.llm(inputs_embeds=p["embeds"][None],
                                           output_hidden_states=True).hidden_states[-1][0, i])
                        for p, i in zip((a, b), at)]).reshape(2, -1)
    want_l1 = (single[known] - pair[known]).abs().mean()
    assert both["score_loss"].item() == pytest.approx(want_l1.item(), rel=1e-5)


def test_bfloat16_model_rates(clip):
    cfg = tiny()
    cfg.dtype = "bfloat16"
    m = build_model(cfg)
    assert m.dtype == torch.bfloat16 and m.score_head.net[0].weight.dtype == torch.bfloat16
    assert next(m.motion.parameters()).dtype == torch.float32  # SlowFast BatchNorm stays fp32
    assert 1 <= m.rate(clip)["score"] <= 5


def test_rate_reads_the_head_where_training_does_and_on_the_score_scale(tiny_model, clip):
    from vqa.model.inference import encode_video, layout_for
    from vqa.model.prompting import rating_turns

    m = tiny_model.eval()
    out = m.rate(clip)
    enc = encode_video(m, clip)
    messages, _ = rating_turns(m.cfg.prompt)
    train_like = layout_for(m, enc, [*messages, {"role": "assistant", "content": "x"}], None)
    at = train_like.labels.index(next(v for v in train_like.labels if v != -100)) - 1
    emb = m.embed(train_like, enc["vision"], enc["motion"])
    with torch.no_grad():
        h = m.llm(inputs_embeds=emb[None], output_hidden_states=True).hidden_states[-1][0, at]
        want = (m.score_head(h) * m.cfg.head.scale).tolist()
    assert [out["dimensions"][d] for d in m.cfg.head.dimensions] == pytest.approx(want, rel=1e-4)

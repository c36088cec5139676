"""The training-memory switches change memory, not results: activation checkpointing (LoRA and
full fine-tuning alike), logits only at the labelled positions, the attention kernel; and a
ZeRO-3-partitioned model is never saved as placeholders."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vqa.errors import ConfigError
from vqa.model import build_model, tiny
from vqa.model.batch import loss_on, prepare_sample
from vqa.video import Sampled, VideoInfo

RATING = {"video": None, "mos": 70.0, "conversations": [
    {"from": "human", "value": "<video>\nHow would you rate the quality of this video?"},
    {"from": "gpt", "value": "The quality of this video is good."}]}
YES_NO = {"video": None, "mos": 30.0, "conversations": [
    {"from": "human", "value": "<video>\nIs there blur in the video?"},
    {"from": "gpt", "value": "yes"}]}


def frames(cfg, seconds: int = 4, fps: float = 8.0) -> dict:
    """Random frames shaped as the config samples a clip (no decode needed)."""
    rng = np.random.default_rng(0)
    n = int(seconds * fps)
    info = VideoInfo(frames=n, fps=fps, duration=float(seconds), width=64, height=64, codec="raw")
    f = cfg.frames
    k = f.uniform or seconds
    size = f.fragments * f.fragment_size if f.fragments else f.keyframe_size
    out = {"keyframes": Sampled(rng.integers(0, 255, (k, size, size, 3), dtype=np.uint8),
                                np.arange(k) * (n // k), info)}
    m = n - n % (f.motion_multiple_of or 1)
    out["motion"] = Sampled(rng.integers(0, 255, (m, f.motion_size, f.motion_size, 3),
                                         dtype=np.uint8), np.arange(m), info)
    return out


def loss_and_grads(checkpointing: list[str], **overrides):
    torch.manual_seed(0)
    model = build_model(tiny(**overrides))
    model.train()
    model.enable_activation_checkpointing(checkpointing)
    clip = frames(model.cfg)
    saved = []

    def pack(t):
        saved.append(t.untyped_storage().nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = loss_on(model, [prepare_sample(model, s, video=clip) for s in (RATING, YES_NO)])
    out["loss"].backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    return out["loss"].detach(), grads, sum(saved)


@pytest.mark.parametrize("overrides", [{}, {"lora": {"targets": ["vision", "language"]}}],
                         ids=["full", "lora"])
def test_activation_checkpointing_keeps_loss_and_gradients_and_saves_less(overrides):
    loss, grads, kept = loss_and_grads([], **overrides)
    loss_ck, grads_ck, kept_ck = loss_and_grads(["vision", "language"], **overrides)
    assert torch.equal(loss, loss_ck)
    assert grads.keys() == grads_ck.keys() and len(grads) > 0
    for name in grads:  # LoRA: only adapters and the small modules have gradients
        torch.testing.assert_close(grads[name], grads_ck[name], rtol=1e-5, atol=1e-7)
    assert kept_ck < kept  # the layers' inner activations are recomputed, not kept


def test_logits_only_where_labelled_give_transformers_loss():
    torch.manual_seed(0)
    model = build_model("tiny")
    model.train()
    clip = frames(model.cfg)
    prepared = [prepare_sample(model, s, video=clip) for s in (RATING, YES_NO)]
    assert model._keeps_logits()
    ours = loss_on(model, prepared)
    model._keeps_logits = lambda: False  # transformers' own loss over full-length logits
    theirs = loss_on(model, prepared)
    torch.testing.assert_close(ours["lm_loss"], theirs["lm_loss"])
    torch.testing.assert_close(ours["loss"], theirs["loss"])


def test_attention_kernels_rate_alike_and_flash_attention_is_refused_here():
    from vqa.model.attention import check_attention

    clip = frames(tiny())
    rated = {}
    for kernel in ("sdpa", "eager"):
        torch.manual_seed(0)
        model = build_model(tiny(attn_implementation=kernel))
        assert model.llm.config._attn_implementation == kernel
        rated[kernel] = model.rate(clip)["score"]
    assert rated["sdpa"] == pytest.approx(rated["eager"], abs=1e-4)
    with pytest.raises(ConfigError, match="flash_attention_2 cannot run here"):
        check_attention("flash_attention_2", gpus=False)


def test_a_partitioned_model_is_never_saved_as_placeholders(tmp_path):
    model = build_model("tiny")
    p = next(model.parameters())
    p.ds_id = 0  # what DeepSpeed ZeRO-3 marks a partitioned parameter with
    with pytest.raises(RuntimeError, match="ZeRO-3-partitioned"):
        model.save_pretrained(tmp_path / "a")
    del p.ds_id
    state = {k: v.clone() for k, v in model.state_dict().items()}
    name = next(n for n, _ in model.named_parameters())
    state[name] = torch.empty(0)  # a placeholder gathered by mistake
    with pytest.raises(RuntimeError, match="placeholder weights"):
        model.save_pretrained(tmp_path / "b", state)
    assert not (tmp_path / "b" / "model.safetensors").exists()

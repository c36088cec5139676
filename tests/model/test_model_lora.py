"""Trainable flags and LoRA train exactly the parameters they say, counted by hand."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vqa.model import build_model, tiny
from vqa.model.lora import count_trainable


def numel(*modules) -> int:
    return sum(p.numel() for m in modules if m is not None for p in m.parameters())


def lora_numel(module: nn.Module, targets: list[str], r: int) -> int:
    """r·(in + out) per targeted Linear: A is r×in, B is out×r."""
    return sum(r * (m.in_features + m.out_features) for name, m in module.named_modules()
               if isinstance(m, nn.Linear) and name.split(".")[-1] in targets)


def build(**kw):
    """tiny with the library defaults' trainable flags (the preset itself trains everything)."""
    cfg = tiny()
    cfg.vision_trainable = cfg.motion_trainable = cfg.llm_trainable = False
    for k, v in kw.items():
        if k.startswith("lora_"):
            setattr(cfg.lora, k[5:], v)
        else:
            setattr(cfg, k, v)
    torch.manual_seed(0)
    return build_model(cfg)


def test_default_trains_projectors_and_head_only():
    m = build()
    assert count_trainable(m) == numel(m.vision_proj, m.motion_proj, m.quality_proj, m.places,
                                   m.score_head)
    assert count_trainable(m.llm) == count_trainable(m.vision) == count_trainable(m.motion) == 0


def test_full_flags_train_whole_groups():
    m = build(vision_trainable=True, motion_trainable=True, llm_trainable=True,
              projector_trainable=False, head_trainable=False)
    assert count_trainable(m) == numel(m.vision, m.motion, m.llm)
    assert count_trainable(m.vision_proj) == count_trainable(m.quality_proj) == \
        count_trainable(m.places) == \
        count_trainable(m.score_head) == 0


@pytest.mark.parametrize("targets", [["language"], ["vision"], ["vision", "language"]])
def test_lora_trains_only_adapters_of_its_groups(targets):
    base = build()
    cfg_mod = tiny().lora.modules
    expected = numel(base.vision_proj, base.motion_proj, base.quality_proj, base.places,
                     base.score_head)
    if "language" in targets:
        expected += lora_numel(base.llm, cfg_mod["language"], 4)
    if "vision" in targets:
        expected += lora_numel(base.vision.model, cfg_mod["vision"], 4)
    # LoRA wins over a full flag on the same group
    m = build(lora_targets=targets, llm_trainable="language" in targets)
    assert count_trainable(m) == expected
    names = [n for n, p in m.named_parameters() if p.requires_grad]
    assert all("lora_" in n for n in names if n.startswith(("llm.", "vision.")))
    assert any(n.startswith("llm.") for n in names) == ("language" in targets)
    assert any(n.startswith("vision.") for n in names) == ("vision" in targets)


def test_gradients_reach_exactly_the_trainable_parameters():
    m = build(lora_targets=["language"])
    from vqa.model.prompting import build_layout

    side = m.cfg.vision.hf_config["image_size"]  # the tower's input (the fragment mosaic)
    frames = torch.randint(0, 255, (2, side, side, 3), dtype=torch.uint8)
    motion = torch.randint(0, 255, (8, 32, 32, 3), dtype=torch.uint8)
    m.train()
    from vqa.model.quality import quality_features

    q = quality_features(frames, motion, 4) if m.quality_proj is not None else None
    v, mo = m.encode_keyframes(frames, q, [0, 1]), m.encode_motion(motion)
    lay = build_layout(m.tokenizer, m.cfg.prompt,
                       [{"role": "user", "content": "Rate it."},
                        {"role": "assistant", "content": "The quality of this video is good."}],
                       duration=2, n_keyframes=2, tokens_per_frame=v.shape[1], n_motion=8)
    out = m([m.embed(lay, v, mo)], [lay.tensors()["labels"]], torch.rand(1, 6))
    assert set(out) == {"loss", "lm_loss", "score_loss"}
    parts = (out["lm_loss"] + out["score_loss"]).item()
    assert out["loss"].item() == pytest.approx(parts)
    out["loss"].backward()
    for name, p in m.named_parameters():
        if p.requires_grad and "lora_A" not in name:  # A gets no grad while B is still zero
            assert p.grad is not None, name
        if not p.requires_grad:
            assert p.grad is None, name


def test_frozen_groups_stay_in_eval_mode_when_training():
    m = build().train()  # SlowFast and vision frozen by default
    assert not m.motion.training and not m.vision.training and m.vision_proj.training
    stats = m.motion.slowfast.state_dict()["blocks.0.multipathway_blocks.0.norm.running_mean"]
    stats = stats.clone()
    m.encode_motion(torch.randint(0, 255, (8, 32, 32, 3), dtype=torch.uint8))
    now = m.motion.slowfast.state_dict()["blocks.0.multipathway_blocks.0.norm.running_mean"]
    assert torch.equal(now, stats)  # BatchNorm statistics untouched
    assert build(motion_trainable=True).train().motion.training


def test_param_groups_cover_exactly_the_trainable_parameters():
    m = build(vision_trainable=True, lora_targets=["language"])
    groups = m.param_groups(1e-5, {"vision": 2e-6})
    assert [g["name"] for g in groups] == ["vision", "projector", "language", "head"]
    assert {g["name"]: g["lr"] for g in groups}["vision"] == 2e-6
    assert {g["name"]: g["lr"] for g in groups}["language"] == 1e-5
    assert sum(p.numel() for g in groups for p in g["params"]) == count_trainable(m)
    torch.optim.AdamW(groups)  # accepted as is
    # with weight decay: biases and norm gains in twin groups without it, nothing twice
    decayed = m.param_groups(1e-5, {"vision": 2e-6}, weight_decay=0.01)
    by = {g["name"]: g for g in decayed}
    assert by["vision/no_decay"]["lr"] == 2e-6 and by["vision/no_decay"]["weight_decay"] == 0
    assert all(p.ndim > 1 for g in decayed if g["weight_decay"] for p in g["params"])
    assert all(p.ndim <= 1 for g in decayed if not g["weight_decay"] for p in g["params"])
    ids = [id(p) for g in decayed for p in g["params"]]
    assert len(ids) == len(set(ids)) and sum(p.numel() for g in decayed
                                             for p in g["params"]) == count_trainable(m)
    torch.optim.AdamW(decayed)
    # ZeRO-3 partitioned: every parameter an empty 1-d tensor, its shape in ds_shape — the
    # groups are the same (they were all "no_decay", and a resume could not load its scheduler)
    for prm in m.parameters():
        prm.ds_shape = prm.shape
        prm.data = torch.empty(0, dtype=prm.dtype)
    partitioned = m.param_groups(1e-5, {"vision": 2e-6}, weight_decay=0.01)
    assert [(g["name"], [id(p) for p in g["params"]]) for g in partitioned] == \
        [(g["name"], [id(p) for p in g["params"]]) for g in decayed]

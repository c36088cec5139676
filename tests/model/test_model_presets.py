"""Every preset YAML loads; the real presets' architectures have the paper's sizes (built on the
meta device: no weights, no download)."""

from __future__ import annotations

import pytest

from vqa.config import from_dict, to_dict
from vqa.errors import ConfigError
from vqa.model import VQAConfig, architecture, build_model, finevq_8b, omnivqa_7b, preset_config
from vqa.model.lora import count_trainable
from vqa.model.presets import names


def mlp(*dims: int) -> int:
    return sum(a * b + b for a, b in zip(dims, dims[1:]))


def group_sizes(m) -> dict[str, int]:
    return {g: sum(p.numel() for x in ms for p in x.parameters()) for g, ms in m.groups().items()}


def test_every_preset_loads_and_round_trips():
    assert names() == ["finevq-8b", "omnivqa-7b", "tiny"]
    for name in names():
        cfg = preset_config(name)
        assert from_dict(VQAConfig, to_dict(cfg)) == cfg


def test_real_preset_builders_take_local_paths():
    cfg = omnivqa_7b(vision="/ckpt/siglip", llm="/ckpt/qwen2-7b", slowfast="/ckpt/sf.pyth")
    assert (cfg.vision.pretrained, cfg.llm.pretrained, cfg.motion.pretrained) == (
        "/ckpt/siglip", "/ckpt/qwen2-7b", "/ckpt/sf.pyth")
    f = finevq_8b(llm="/ckpt/internlm")
    assert f.llm.pretrained == "/ckpt/internlm" and f.lora.r == 16 and f.lora.alpha == 32
    assert f.frames.uniform == 8 and f.frames.keyframe_size == 448 and f.motion.readout == "pooled"


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="unknown key 'lora_rank'"):
        preset_config("tiny", {"lora_rank": 8})
    with pytest.raises(ConfigError, match="3 level words for 'overall' but 5 weights"):
        preset_config("tiny", {"scoring": {"levels": ["good", "fair", "poor"]}})
    with pytest.raises(ConfigError, match="exactly one of hf_config"):
        preset_config("tiny", {"llm": {"pretrained": "x", "hf_config": {"model_type": "qwen2"}}})


def test_omnivqa_7b_architecture_has_table5_sizes():
    m = build_model(architecture("omnivqa-7b"), device="meta")
    sizes = group_sizes(m)
    assert sizes["language"] == 7_615_616_512  # Qwen2-7B
    assert sizes["motion"] == 34_566_488  # SlowFast-R50
    assert 400e6 < sizes["vision"] < 430e6  # SigLIP-so400m vision tower
    # Table 5 projectors: 1152→3584→3584 and 256→3584→3584 (+ 2000×256 position embedding).
    assert sizes["projector"] == mlp(1152, 3584, 3584) + mlp(256, 3584, 3584) + 2000 * 256
    # Full fine-tune: everything but SlowFast trains.
    assert count_trainable(m) == sum(sizes.values()) - sizes["motion"]


def test_finevq_8b_architecture_trains_projectors_head_and_lora_r16():
    m = build_model(architecture("finevq-8b"), device="meta")
    lora_vision = 24 * 16 * (4 * (1024 + 1024) + 2 * (1024 + 4096))
    lora_llm = 32 * 16 * (2 * (4096 + 4096) + 2 * (4096 + 1024) + 3 * (4096 + 14336))
    projectors = mlp(1024, 4096, 4096) + mlp(2304, 4096, 4096)
    head = mlp(4096, 1024, 256, 64, 16, 6)
    assert count_trainable(m) == lora_vision + lora_llm + projectors + head
    assert group_sizes(m)["head"] == head

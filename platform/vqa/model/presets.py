"""Named presets (torchtune style): a YAML per preset, a builder function per preset that takes
local paths or hub ids, and `build_model` that turns any `VQAConfig` into a `VQAModel`."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import torch

from vqa.config import deep_merge, from_dict, read_yaml, to_dict
from vqa.errors import ConfigError
from vqa.model.checkpoint import load_config
from vqa.model.config import VQAConfig

PRESET_DIR = Path(__file__).parent / "presets"

# Real-size architectures as transformers configs, for random-weight builds (the latency
# benchmark, parameter counts on the meta device) with no checkpoint at hand.
ARCHITECTURES = {
    "omnivqa-7b": {
        "vision": {"model_type": "siglip_vision_model", "hidden_size": 1152,
                   "intermediate_size": 4304, "num_hidden_layers": 27,
                   "num_attention_heads": 16, "image_size": 384, "patch_size": 14,
                   "vision_use_head": False},
        "llm": {"model_type": "qwen2", "hidden_size": 3584, "intermediate_size": 18944,
                "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
                "vocab_size": 152064, "max_position_embeddings": 32768, "rope_theta": 1e6,
                "tie_word_embeddings": False},
        "lora_modules": None,
    },
    "finevq-8b": {  # InternViT-300M-448px as transformers' InternVLVision; InternLM2.5-7B shapes
        "vision": {"model_type": "internvl_vision"},
        "llm": {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
                "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                "vocab_size": 92544, "max_position_embeddings": 32768, "rope_theta": 1e6,
                "tie_word_embeddings": False},
        "lora_modules": {"vision": ["q_proj", "k_proj", "v_proj", "projection_layer", "fc1", "fc2"],
                         "language": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                      "up_proj", "down_proj"]},
    },
}


def names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def preset_config(name: str, overrides: dict | None = None, where: str | None = None
                  ) -> VQAConfig:
    """The preset with `overrides` merged in mapping by mapping (`{"lora": {"r": 8}}` keeps the
    preset's other LoRA keys); `where` names the overrides in errors."""
    path = PRESET_DIR / f"{name}.yaml"
    if not path.exists():
        raise ConfigError(f"unknown model preset '{name}'; known: {names()}")
    return from_dict(VQAConfig, deep_merge(read_yaml(path) or {}, overrides or {}),
                     where=where or str(path))


def tiny(**overrides) -> VQAConfig:
    return preset_config("tiny", overrides)


def omnivqa_7b(vision: str | None = None, llm: str | None = None,
               slowfast: str | None = None) -> VQAConfig:
    """SigLIP-so400m + SlowFast-R50 + Qwen2-7B; each argument a local path or hub id."""
    cfg = preset_config("omnivqa-7b")
    return _paths(cfg, vision, llm, slowfast)


def finevq_8b(vision: str | None = None, llm: str | None = None,
              slowfast: str | None = None) -> VQAConfig:
    """InternViT-300M + SlowFast-R50 (pooled) + InternLM-8B class, LoRA r16, score head."""
    cfg = preset_config("finevq-8b")
    return _paths(cfg, vision, llm, slowfast)


def _paths(cfg: VQAConfig, vision, llm, slowfast) -> VQAConfig:
    cfg.vision.pretrained = vision or cfg.vision.pretrained
    cfg.llm.pretrained = llm or cfg.llm.pretrained
    cfg.motion.pretrained = slowfast or cfg.motion.pretrained
    return cfg


def architecture(name: str) -> VQAConfig:
    """A real preset with its checkpoints replaced by their architectures (random weights)."""
    arch = ARCHITECTURES[name]
    cfg = copy.deepcopy(preset_config(name))
    cfg.vision.pretrained, cfg.vision.hf_config = None, dict(arch["vision"])
    cfg.llm.pretrained, cfg.llm.hf_config = None, dict(arch["llm"])
    cfg.vision.trust_remote_code = cfg.llm.trust_remote_code = False
    if arch["lora_modules"]:
        cfg.lora.modules = copy.deepcopy(arch["lora_modules"])
    return cfg


def build_model(cfg: VQAConfig | str, weights: bool = True, tokenizer=None,
                device: str | torch.device | None = None):
    """Config (or preset name) → `VQAModel`. `weights=False` skips every checkpoint (random
    init from the architectures; what loading a saved folder does before reading its weights)."""
    from vqa.model.vqa_model import build

    return build(preset_config(cfg) if isinstance(cfg, str) else cfg, weights, tokenizer, device)


def model_config(preset: str | None = None, model: str | os.PathLike | None = None,
                 overrides: dict[str, Any] | None = None) -> VQAConfig:
    """A preset name or a saved model folder's config.yaml (no weights loaded), then dotted
    overrides (`{"frames.keyframe_size": 64, "motion.enabled": False}`), type-checked."""
    if (preset is None) == (model is None):
        raise ConfigError("give exactly one of a model preset and a saved model folder")
    cfg = preset_config(preset) if preset is not None else load_config(model)
    if not overrides:
        return cfg
    data = to_dict(cfg)
    for dotted, value in overrides.items():
        *parents, leaf = str(dotted).split(".")
        node = data
        for name in parents:
            if not isinstance(node.get(name), dict):
                raise ConfigError(f"override '{dotted}': '{name}' is not a config section")
            node = node[name]
        if leaf not in node:
            raise ConfigError(f"override '{dotted}': unknown key '{leaf}'")
        node[leaf] = value
    return from_dict(VQAConfig, data, where="model config")

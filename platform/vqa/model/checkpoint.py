"""`save_pretrained` folders: config.yaml (with the component architectures written out, so the
folder reloads with no hub access), model.safetensors (every weight, LoRA included), tokenizer/,
and adapters/<group>/ (PEFT adapter folders, for serving adapters over a shared base)."""

from __future__ import annotations

import copy
from pathlib import Path

import torch
import yaml

from vqa.config import from_dict, read_yaml, to_dict
from vqa.errors import ConfigError, InputError
from vqa.model.config import VQAConfig

CONFIG, WEIGHTS = "config.yaml", "model.safetensors"


def _arch(module) -> dict:
    base = module.get_base_model() if hasattr(module, "get_base_model") else module
    d = base.config.to_dict()
    d.pop("transformers_version", None)
    return d


def saved_config(model) -> VQAConfig:
    """Architectures written out, so the folder reloads offline. Remote-code components
    (InternViT, InternLM2) keep `pretrained` as the source of their modelling code; their
    weights still come from the folder."""
    cfg = copy.deepcopy(model.cfg)
    for part, module in ((cfg.vision, model.vision.model), (cfg.llm, model.llm)):
        if not part.trust_remote_code:
            part.hf_config, part.pretrained = _arch(module), None
    cfg.motion.pretrained, cfg.tokenizer = None, None
    return cfg


def _write_weights(model, file: Path) -> None:
    """`safetensors.save_model`, but from copies: under DeepSpeed ZeRO 1/2 the parameters are
    views into one flat buffer, which safetensors refuses; tied weights stay tied (one copy per
    shared tensor), so the file loads with `load_model` like any other."""
    from safetensors.torch import _remove_duplicate_names, save_file

    copies: dict = {}
    state = {}
    for name, t in model.state_dict().items():
        key = (t.data_ptr(), tuple(t.shape), t.dtype)
        state[name] = copies.setdefault(key, t.detach().to("cpu", copy=True).contiguous())
    for _kept, removed in _remove_duplicate_names(state).items():
        for name in removed:
            del state[name]
    save_file(state, str(file), metadata={"format": "pt"})


def save(model, path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / CONFIG).write_text(yaml.safe_dump(to_dict(saved_config(model)), sort_keys=False))
    _write_weights(model, path / WEIGHTS)
    model.tokenizer.save_pretrained(path / "tokenizer")
    for group, module in (("language", model.llm), ("vision", model.vision.model)):
        if group in model.cfg.lora.targets:
            module.save_pretrained(path / "adapters" / group)
    return path


def load_config(path) -> VQAConfig:
    """The config of a saved folder alone: no weights, no tokenizer, no torch modules built."""
    path = Path(path)
    if not (path / CONFIG).exists():
        raise ConfigError(f"{path}: not a saved VQA model (no {CONFIG}; make one with "
                          f"`vqa model init` or VQAModel.save_pretrained)")
    return from_dict(VQAConfig, read_yaml(path / CONFIG), where=str(path))


def load(path, device: str | None = None):
    from safetensors import SafetensorError
    from safetensors.torch import load_model

    from vqa.model.components import load_tokenizer
    from vqa.model.presets import build_model

    path = Path(path)
    if not (path / CONFIG).exists() or not (path / WEIGHTS).exists():
        raise ConfigError(f"{path}: not a saved VQA model (needs {CONFIG} and {WEIGHTS}; "
                          f"make one with `vqa model init` or VQAModel.save_pretrained)")
    cfg = load_config(path)
    model = build_model(cfg, weights=False, tokenizer=load_tokenizer(str(path / "tokenizer")))
    try:
        load_model(model, str(path / WEIGHTS), device=device or "cpu")
    except (SafetensorError, RuntimeError, OSError) as exc:  # corrupt file, wrong shapes
        reason = " ".join(str(exc).split())[:240]
        raise InputError(f"{path / WEIGHTS}: cannot be loaded ({reason})",
                         "re-save the model (vqa model init, or save_pretrained)") from None
    model.eval()  # like transformers: a loaded model starts in eval mode (BatchNorm, dropout)
    return model.to(device) if device else model


def dtype_of(name: str) -> torch.dtype:
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]

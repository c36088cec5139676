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


def _write_weights(state_dict: dict, file: Path) -> None:
    """`safetensors.save_model`, but from copies: under DeepSpeed ZeRO 1/2 the parameters are
    views into one flat buffer, which safetensors refuses; tied weights stay tied (one copy per
    shared tensor), so the file loads with `load_model` like any other."""
    from safetensors.torch import _remove_duplicate_names, save_file

    copies: dict = {}
    state = {}
    for name, t in state_dict.items():
        key = (t.data_ptr(), tuple(t.shape), t.dtype)
        state[name] = copies.setdefault(key, t.detach().to("cpu", copy=True).contiguous())
    for _kept, removed in _remove_duplicate_names(state).items():
        for name in removed:
            del state[name]
    save_file(state, str(file), metadata={"format": "pt"})


def full_shape(p) -> torch.Size:
    """A parameter's whole shape: a ZeRO-3 partitioned one is an empty 1-d tensor until
    gathered and keeps its shape in `ds_shape`."""
    return getattr(p, "ds_shape", p.shape)


def save(model, path, state_dict: dict | None = None) -> Path:
    """`state_dict`: the whole weights when the model's own are partitioned (DeepSpeed ZeRO-3
    gathers them onto rank 0, `vqa.train.zero3.full_state_dict`); a partitioned model saved
    without them is refused, since its parameters are empty placeholders."""
    if state_dict is None:
        partitioned = [n for n, p in model.named_parameters() if hasattr(p, "ds_id")]
        if partitioned:
            raise RuntimeError(f"cannot save a ZeRO-3-partitioned model from its own parameters "
                               f"({len(partitioned)} are placeholders, e.g. {partitioned[0]}): "
                               f"pass the gathered state_dict")
        state_dict = model.state_dict()
    expected = {n: full_shape(p) for n, p in model.named_parameters()}
    empty = [n for n, t in state_dict.items() if n in expected and t.numel() == 0 and
             expected[n].numel() > 0]
    if empty:
        raise RuntimeError(f"refusing to save placeholder weights: {empty[:3]} are empty "
                           f"({len(empty)} in all)")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / CONFIG).write_text(yaml.safe_dump(to_dict(saved_config(model)), sort_keys=False))
    _write_weights(state_dict, path / WEIGHTS)
    model.tokenizer.save_pretrained(path / "tokenizer")
    for group, module, prefix in (("language", model.llm, "llm."),
                                  ("vision", model.vision.model, "vision.model.")):
        if group in model.cfg.lora.targets:
            own = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
            module.save_pretrained(path / "adapters" / group, state_dict=own)
    return path


def load_config(path) -> VQAConfig:
    """The config of a saved folder alone: no weights, no tokenizer, no torch modules built."""
    path = Path(path)
    if not (path / CONFIG).exists():
        raise ConfigError(f"{path}: not a saved VQA model (no {CONFIG}; make one with "
                          f"`vqa model init` or VQAModel.save_pretrained)")
    return from_dict(VQAConfig, read_yaml(path / CONFIG), where=str(path))


def _unloadable(file: Path, exc: BaseException) -> InputError:
    return InputError(f"{file}: cannot be loaded ({' '.join(str(exc).split())[:240]})",
                      "re-save the model (vqa model init, or save_pretrained)")


def load(path, build, device: str | None = None, load_weights=None):
    """A saved folder → the model `build(config, weights=False, tokenizer=…)` makes (the model's
    builder, `vqa.model.vqa_model.build`), filled by `load_weights(model, file)` (default:
    safetensors' `load_model`; ZeRO-3 passes its partition-wise loader)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_model

    from vqa.model.components import load_tokenizer

    path = Path(path)
    if not (path / CONFIG).exists() or not (path / WEIGHTS).exists():
        raise ConfigError(f"{path}: not a saved VQA model (needs {CONFIG} and {WEIGHTS}; "
                          f"make one with `vqa model init` or VQAModel.save_pretrained)")
    cfg = load_config(path)
    try:
        with safe_open(str(path / WEIGHTS), "pt"):  # the header, before building anything
            pass
    except SafetensorError as exc:
        raise _unloadable(path / WEIGHTS, exc) from None
    if not (path / "tokenizer").is_dir():  # else transformers would look for it on the hub
        raise InputError(f"{path}: saved model without its tokenizer/ folder",
                         "re-save the model (vqa model init, or save_pretrained)")
    try:
        tokenizer = load_tokenizer(str(path / "tokenizer"))
    except OSError as exc:
        raise _unloadable(path / "tokenizer", exc) from None
    model = build(cfg, weights=False, tokenizer=tokenizer)
    try:
        if load_weights is None:
            load_model(model, str(path / WEIGHTS), device=device or "cpu")
        else:
            load_weights(model, path / WEIGHTS)
    except (SafetensorError, RuntimeError) as exc:  # a corrupt payload, weights of another shape
        raise _unloadable(path / WEIGHTS, exc) from None
    model.eval()  # like transformers: a loaded model starts in eval mode (BatchNorm, dropout)
    return model.to(device) if device else model


def dtype_of(name: str) -> torch.dtype:
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]

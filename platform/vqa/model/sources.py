"""The `pretrained:` folders a model config names, checked before any work: a transformers
checkpoint folder (config.json, every weight shard its index lists, a tokenizer that keeps each
level word whole) whose architecture fits its role. Hub ids are left to transformers (this
platform never downloads at test time; a cluster may)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vqa.errors import ConfigError, InputError
from vqa.model.config import VQAConfig

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def is_local(source: str) -> bool:
    """A path, not a hub id: absolute, explicitly relative, or existing."""
    return source.startswith(("/", "./", "../", "~")) or os.path.exists(source)


def check_folder(source: str, role: str, trust_remote_code: bool) -> dict:
    """→ the folder's config.json; an InputError naming the file and the fix otherwise."""
    path = Path(source).expanduser()
    where = f"{role}.pretrained {source}"
    if not path.is_dir():
        raise InputError(f"{where}: no such folder",
                         "point it at a transformers checkpoint folder (config.json + weights)")
    conf_file = path / "config.json"
    if not conf_file.exists():
        raise InputError(f"{where}: not a transformers checkpoint (no config.json)",
                         "save it with save_pretrained, or point at the folder that holds it")
    try:
        conf = json.loads(conf_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{conf_file}: not JSON ({exc})") from None
    _check_role(conf, where, role, trust_remote_code)
    _check_weights(path, where)
    return conf


def _check_role(conf: dict, where: str, role: str, trust_remote_code: bool) -> None:
    from transformers.models.auto.modeling_auto import (MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
                                                        MODEL_MAPPING_NAMES)

    kind = conf.get("model_type")
    if not kind:
        raise InputError(f"{where}/config.json: no model_type")
    remote = trust_remote_code and "auto_map" in conf
    if role == "llm":
        ok = kind in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES or \
            (remote and "AutoModelForCausalLM" in conf["auto_map"])
        need = "a causal language model (qwen2, llama, …)"
    else:
        ok = (kind in MODEL_MAPPING_NAMES and kind not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES) \
            or remote
        need = "a vision encoder (siglip, clip, internvl_vision, …)"
    if not ok:
        raise InputError(f"{where}: model_type '{kind}' is not {need}",
                         f"point {role}.pretrained at the right checkpoint")


def _check_weights(path: Path, where: str) -> None:
    for index in INDEXES:
        if (path / index).exists():
            shards = sorted(set(json.loads((path / index).read_text())["weight_map"].values()))
            missing = [s for s in shards if not (path / s).exists()]
            if missing:
                raise InputError(f"{where}: weight shard {missing[0]} listed in {index} is "
                                 f"missing ({len(missing)} of {len(shards)})",
                                 "copy the whole checkpoint folder")
            return
    if not any((path / f).exists() for f in WEIGHT_FILES):
        raise InputError(f"{where}: no weights ({' or '.join(WEIGHT_FILES)} or an index)",
                         "copy the whole checkpoint folder")


def check_tokenizer(cfg: VQAConfig, source: str) -> None:
    """The tokenizer loads from the folder and keeps every level word whole (one token each)."""
    from vqa.model.components import load_tokenizer, place_names
    from vqa.model.prompting import rating_turns
    from vqa.model.scoring import level_token_ids, rated_levels

    try:
        tok = load_tokenizer(source, cfg.llm.trust_remote_code)
    except (OSError, ValueError) as exc:
        raise InputError(f"tokenizer {source}: cannot be loaded ({' '.join(str(exc).split())[:200]})",
                         "save the tokenizer beside the LLM (tokenizer.save_pretrained) or set "
                         "model tokenizer:") from None
    try:
        for dim, words in rated_levels(cfg.scoring).items():
            level_token_ids(tok, words, cfg.scoring.level_prefix, rating_turns(cfg.prompt, dim)[1])
        if cfg.grounding.enabled and cfg.grounding.words is not None:
            place_names(cfg.grounding.words, tok)
    except ConfigError as exc:
        raise ConfigError(f"tokenizer {source}: {exc}") from None


def check_sources(cfg: VQAConfig) -> None:
    """Every local `pretrained:` folder and the tokenizer, before Ray starts."""
    for role, part in (("vision", cfg.vision), ("llm", cfg.llm)):
        if part.pretrained and is_local(part.pretrained):
            check_folder(part.pretrained, role, part.trust_remote_code)
    source = cfg.tokenizer or cfg.llm.pretrained
    if source and is_local(source):
        check_tokenizer(cfg, source)

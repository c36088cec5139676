"""The job's model config: a preset with overrides merged key by key, or a saved folder's own
config (`init_from`), validated before Ray starts."""

from __future__ import annotations

from pathlib import Path

import yaml

from vqa.config import from_dict
from vqa.errors import ConfigError
from vqa.model.config import VQAConfig
from vqa.train.config import ModelSpec


def resolve_model(spec: ModelSpec) -> tuple[VQAConfig, str | None]:
    """→ (model config, local folder to start from or None). `overrides` merge into the preset
    (`lora: {r: 8}` keeps the preset's other LoRA keys); unknown keys fail naming the key."""
    from vqa.model.presets import PRESET_DIR, names, preset_config

    if spec.init_from:
        from vqa.model.registry import resolve_model_path

        folder = resolve_model_path(spec.init_from)
        if spec.overrides:
            raise ConfigError("model.overrides cannot change a saved model (init_from); its "
                              "config is the folder's config.yaml")
        data = yaml.safe_load((Path(folder) / "config.yaml").read_text())
        return from_dict(VQAConfig, data, where=f"{folder}/config.yaml"), str(folder)
    path = PRESET_DIR / f"{spec.preset}.yaml"
    if not path.exists():
        raise ConfigError(f"model.preset: unknown preset '{spec.preset}'; known: {names()}")
    return preset_config(spec.preset, spec.overrides, where="model.overrides"), None


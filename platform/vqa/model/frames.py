"""What a model config asks of a video: its keyframes and motion frames, and a key for them.

The sampled frames depend on the config alone (`cfg.frames` and whether motion is on), never on
weights: `sample_frames` decodes them, `frames_key` names them, so stored frame shards are shared
by every model config that samples the same way."""

from __future__ import annotations

import hashlib
import json
import os

from typing import Any

from vqa.config import from_dict, to_dict
from vqa.errors import ConfigError
from vqa.model.config import VQAConfig
from vqa.video import KeyframeSpec, MotionSpec, Sampled, sample_clip


def frame_spec(cfg: VQAConfig) -> dict:
    """Exactly what determines the sampled frames: the whole `frames` config + motion on/off."""
    return {"frames": to_dict(cfg.frames), "motion": bool(cfg.motion.enabled)}


def frames_key(cfg: VQAConfig) -> str:
    """A short stable hash of `frame_spec(cfg)` (16 hex digits); names a frame-shard folder."""
    blob = json.dumps(frame_spec(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def sample_frames(cfg: VQAConfig, path: str | os.PathLike) -> dict[str, Sampled]:
    """→ {"keyframes": Sampled[, "motion": Sampled]}: one decode pass; motion iff enabled."""
    f = cfg.frames
    kf = KeyframeSpec(size=None if f.fragments else f.keyframe_size, max_frames=f.max_keyframes,
                      uniform=f.uniform)
    mo = MotionSpec(size=f.motion_size, multiple_of=f.motion_multiple_of,
                    min_frames=f.motion_min_frames) if cfg.motion.enabled else None
    return with_fragments(f, sample_clip(os.fspath(path), keyframes=kf, motion=mo))


def with_fragments(f, s: dict[str, Sampled]) -> dict[str, Sampled]:
    """Keyframes → their fragment mosaics when `frames.fragments` is set (FAST-VQA style:
    native-resolution cell-centre patches, deterministic; frames already at the mosaic size
    pass unchanged)."""
    from vqa.video.fragments import fragments

    if not f.fragments:
        return s
    k = s["keyframes"]
    return {**s, "keyframes": Sampled(fragments(k.frames, f.fragments, f.fragment_size),
                                      k.indices, k.info)}


def model_config(preset: str | None = None, model: str | os.PathLike | None = None,
                 overrides: dict[str, Any] | None = None) -> VQAConfig:
    """A preset name or a saved model folder's config.yaml (no weights loaded), then dotted
    overrides (`{"frames.keyframe_size": 64, "motion.enabled": False}`), type-checked."""
    from vqa.model.checkpoint import load_config
    from vqa.model.presets import preset_config

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

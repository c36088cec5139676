"""What a model config asks of a video: its keyframes and motion frames, and a key for them.

The sampled frames depend on the config alone (`cfg.frames` and whether motion is on), never on
weights: `sample_frames` decodes them, `frames_key` names them, so stored frame shards are shared
by every model config that samples the same way."""

from __future__ import annotations

import hashlib
import json
import os

from vqa.config import to_dict
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
    kf = KeyframeSpec(size=f.keyframe_size, max_frames=f.max_keyframes, uniform=f.uniform)
    mo = MotionSpec(size=f.motion_size, multiple_of=f.motion_multiple_of,
                    min_frames=f.motion_min_frames) if cfg.motion.enabled else None
    return sample_clip(os.fspath(path), keyframes=kf, motion=mo)

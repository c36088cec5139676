"""What a model config asks of a video: its keyframes and motion frames (and, with `quality` on,
their quality features), and a key for them.

The sampled frames depend on the config alone (`cfg.frames`, whether motion and quality are on),
never on weights: `sample_frames` decodes them, `frames_key` names them, so stored frame shards
are shared by every model config that samples the same way."""

from __future__ import annotations

import hashlib
import json
import math
import os

import numpy as np

from vqa.config import to_dict
from vqa.model.config import VQAConfig
from vqa.video import KeyframeSpec, MotionSpec, Sampled, VideoInfo, sample_clip


def frame_spec(cfg: VQAConfig) -> dict:
    """Exactly what determines the sampled frames: the whole `frames` config + motion on/off
    (+ the quality features' cell grid and version when they are on)."""
    # "upright": frames are decoded as displayed (a phone clip's rotation applied); shards
    # decoded before that read rotated clips sideways, so they are not reused
    spec = {"frames": to_dict(cfg.frames), "motion": bool(cfg.motion.enabled),
            "orientation": "upright"}
    if cfg.quality.enabled:  # stored features go stale when their definition changes
        from vqa.model.quality import VERSION

        spec["quality"] = {"grid": math.isqrt(cfg.vision.tokens_per_frame), "version": VERSION}
    return spec


def frames_key(cfg: VQAConfig) -> str:
    """A short stable hash of `frame_spec(cfg)` (16 hex digits); names a frame-shard folder."""
    blob = json.dumps(frame_spec(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _specs(cfg: VQAConfig) -> tuple[KeyframeSpec, MotionSpec | None]:
    f = cfg.frames
    kf = KeyframeSpec(size=None if f.fragments else f.keyframe_size, max_frames=f.max_keyframes,
                      uniform=f.uniform)
    mo = MotionSpec(size=f.motion_size, multiple_of=f.motion_multiple_of,
                    min_frames=f.motion_min_frames) if cfg.motion.enabled else None
    return kf, mo


def sample_frames(cfg: VQAConfig, path: str | os.PathLike, info: VideoInfo | None = None
                  ) -> dict[str, Sampled]:
    """→ {"keyframes": Sampled[, "motion": Sampled][, "quality": Sampled]}: one decode pass;
    motion and quality iff enabled. `info`: the clip's probe, when the caller has it already."""
    kf, mo = _specs(cfg)
    return model_inputs(cfg, sample_clip(os.fspath(path), keyframes=kf, motion=mo, info=info))


def sample_images(cfg: VQAConfig, images: list[np.ndarray], fps: float = 1.0
                  ) -> dict[str, Sampled]:
    """A sequence of still frames (the 1 fps `image_url` parts of GPT-4o-style clients) read as
    a video at `fps`: the same keyframe / motion selection and sizes as `sample_frames`."""
    import cv2

    if not images:
        raise ValueError("sample_images: no frames")
    h, w = images[0].shape[:2]
    frames = np.stack([im if im.shape[:2] == (h, w) else cv2.resize(im, (w, h))
                       for im in images])
    info = VideoInfo(frames=len(frames), fps=fps, duration=len(frames) / fps, width=w, height=h,
                     codec="images")

    def take(idx: np.ndarray, size) -> Sampled:
        out = frames[idx]
        if size is not None:
            th, tw = (size, size) if isinstance(size, int) else size
            out = np.stack([cv2.resize(f, (tw, th), interpolation=cv2.INTER_AREA) for f in out])
        return Sampled(out, idx, info)

    kf, mo = _specs(cfg)
    out = {"keyframes": take(kf.indices(info), kf.size)}
    if mo is not None:
        out["motion"] = take(mo.indices(info), mo.size)
    return model_inputs(cfg, out)


def model_inputs(cfg: VQAConfig, s: dict[str, Sampled]) -> dict[str, Sampled]:
    """Decoded keyframes (+ motion) → what the model reads: the quality features first, on the
    keyframes as decoded (native size when the config cuts fragments: a mosaic keeps a small
    share of the pixels, and the features read from it rank held-out clips worse, 0.56–0.59
    SRCC against 0.63–0.66, docs/research/quality-features.md), then the fragment mosaics.
    Idempotent: frames already prepared pass unchanged."""
    return with_fragments(cfg.frames, with_quality(cfg, s))


def with_quality(cfg: VQAConfig, s: dict[str, Sampled]) -> dict[str, Sampled]:
    """+ "quality": float32 (K, cells, features) per keyframe (`vqa.model.quality`), when the
    config has them and the frames do not carry them yet."""
    if not cfg.quality.enabled or "quality" in s:
        return s
    from vqa.model.quality import quality_features

    k, m = s["keyframes"], s.get("motion")
    feats = quality_features(k.frames, None if m is None else m.frames,
                             math.isqrt(cfg.vision.tokens_per_frame))
    return {**s, "quality": Sampled(feats.numpy(), k.indices, k.info)}  # float32


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

"""The sampling modes the models need, each returning frames plus the frame indices used.

Frames come upright (a clip's display rotation applied) at sizes given as displayed, whichever
decoder serves the mode: the model sees what a viewer sees (vqa.video.decode)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from vqa.video.decode import Size, read_dense, read_sparse
from vqa.video.indices import keyframe_indices, motion_indices, uniform_indices
from vqa.video.probe import VideoInfo, probe


@dataclass
class Sampled:
    frames: np.ndarray  # (T, H, W, 3) uint8, RGB
    indices: np.ndarray  # (T,) int64 frame numbers in presentation order
    info: VideoInfo


@dataclass(frozen=True)
class KeyframeSpec:
    """OmniVQA: one keyframe per second at 384²; FineVQ-style: `uniform=8` at 448²."""

    size: Size = 384
    max_frames: int | None = None
    uniform: int | None = None  # when set, n uniform segment-midpoint frames instead of 1 fps

    def indices(self, info: VideoInfo) -> np.ndarray:
        if self.uniform:
            return uniform_indices(info.frames, self.uniform)
        return keyframe_indices(info.frames, info.fps, self.max_frames)


@dataclass(frozen=True)
class MotionSpec:
    """Every frame for SlowFast at 224²; VQA² trims to a multiple of 4, FineVQ pads to 32."""

    size: Size = 224
    multiple_of: int | None = 4
    min_frames: int | None = None

    def indices(self, info: VideoInfo) -> np.ndarray:
        return motion_indices(info.frames, self.multiple_of, self.min_frames)


def sample_keyframes(path: str | os.PathLike, size: Size = None, max_frames: int | None = None,
                     info: VideoInfo | None = None) -> Sampled:
    info = info or probe(path, verify="none")
    idx = keyframe_indices(info.frames, info.fps, max_frames)
    return Sampled(read_sparse(path, idx, size, rotation=info.rotation), idx, info)


def sample_uniform(path: str | os.PathLike, n: int = 8, size: Size = None,
                   info: VideoInfo | None = None) -> Sampled:
    info = info or probe(path, verify="none")
    idx = uniform_indices(info.frames, n)
    return Sampled(read_sparse(path, idx, size, rotation=info.rotation), idx, info)


def sample_motion(path: str | os.PathLike, size: Size = 224, multiple_of: int | None = None,
                  min_frames: int | None = None, info: VideoInfo | None = None) -> Sampled:
    info = info or probe(path, verify="none")
    idx = motion_indices(info.frames, multiple_of, min_frames)
    return Sampled(read_dense(path, {"m": (idx, size)})["m"], idx, info)


def sample_clip(path: str | os.PathLike, keyframes: KeyframeSpec | None = KeyframeSpec(),
                motion: MotionSpec | None = MotionSpec(),
                info: VideoInfo | None = None) -> dict[str, Sampled]:
    """Keyframes and motion frames from one decode pass (what a model's data loader wants)."""
    info = info or probe(path, verify="none")
    requests = {}
    if keyframes is not None:
        requests["keyframes"] = (keyframes.indices(info), keyframes.size)
    if motion is not None:
        requests["motion"] = (motion.indices(info), motion.size)
    frames = read_dense(path, requests)
    return {name: Sampled(frames[name], np.asarray(requests[name][0]), info) for name in frames}

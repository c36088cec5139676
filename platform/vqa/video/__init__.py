"""Video I/O: probe, frame sampling (keyframes, uniform, motion), writing clips."""

from vqa.errors import VideoError
from vqa.video.decode import read_dense, read_sparse
from vqa.video.indices import keyframe_indices, motion_indices, uniform_indices
from vqa.video.probe import VideoInfo, probe
from vqa.video.sampling import (
    KeyframeSpec,
    MotionSpec,
    Sampled,
    sample_clip,
    sample_keyframes,
    sample_motion,
    sample_uniform,
)
from vqa.video.writer import write_video

__all__ = [
    "KeyframeSpec", "MotionSpec", "Sampled", "VideoError", "VideoInfo", "keyframe_indices",
    "motion_indices", "probe", "read_dense", "read_sparse", "sample_clip", "sample_keyframes",
    "sample_motion", "sample_uniform", "uniform_indices", "write_video",
]

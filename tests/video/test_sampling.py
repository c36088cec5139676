"""Every sampling mode against an independent PyAV decode of the same file."""

import av
import cv2
import numpy as np
import pytest

from vqa.video import (KeyframeSpec, MotionSpec, VideoError, keyframe_indices, motion_indices,
                       sample_clip, sample_keyframes, sample_motion, sample_uniform,
                       uniform_indices)


def reference_frames(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def assert_same_frames(got, ref, indices, size=None):
    """Each sampled frame is closest to the reference frame of its reported index."""
    assert len(got) == len(indices)
    if size is not None:
        ref = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in ref])
    assert got.shape[1:] == ref.shape[1:]
    for frame, idx in zip(got.astype(np.int16), indices):
        diffs = np.abs(ref.astype(np.int16) - frame).mean(axis=(1, 2, 3))
        assert int(np.argmin(diffs)) == idx
        assert diffs[idx] < (6.0 if size else 2.0)


@pytest.fixture(scope="module")
def clip(clip_factory):
    return clip_factory("sampling.mp4", width=192, height=144, frames=63, fps=25.0)


def test_keyframes_native_size(clip):
    s = sample_keyframes(clip)
    assert s.indices.tolist() == keyframe_indices(63, 25.0).tolist() == [0, 25, 50]
    assert s.frames.dtype == np.uint8
    assert_same_frames(s.frames, reference_frames(clip), s.indices)


def test_uniform_resized_in_decoder(clip):
    s = sample_uniform(clip, n=8, size=96)
    assert s.indices.tolist() == uniform_indices(63, 8).tolist()
    assert s.frames.shape == (8, 96, 96, 3)
    assert_same_frames(s.frames, reference_frames(clip), s.indices, size=96)


def test_motion_trim_and_pad(clip):
    s = sample_motion(clip, size=64, multiple_of=4)
    assert s.frames.shape == (60, 64, 64, 3)
    assert_same_frames(s.frames, reference_frames(clip), s.indices, size=64)
    padded = sample_motion(clip, size=64, min_frames=80)
    assert padded.indices.tolist() == motion_indices(63, min_frames=80).tolist()
    assert np.array_equal(padded.frames[-1], padded.frames[62])  # pads repeat the last frame


def test_clip_one_pass_matches_separate_reads(clip):
    out = sample_clip(clip, KeyframeSpec(size=96), MotionSpec(size=64, multiple_of=4))
    ref = reference_frames(clip)
    assert out["keyframes"].indices.tolist() == [0, 25, 50]
    assert_same_frames(out["keyframes"].frames, ref, out["keyframes"].indices, size=96)
    assert np.array_equal(out["motion"].frames, sample_motion(clip, 64, 4).frames)
    uni = sample_clip(clip, KeyframeSpec(size=96, uniform=8), None)
    assert uni["keyframes"].indices.tolist() == uniform_indices(63, 8).tolist()
    assert set(uni) == {"keyframes"}


def test_sampling_broken_file_raises_video_error(broken_files):
    for kind in ("truncated", "not_a_video", "empty"):
        with pytest.raises(VideoError):
            sample_clip(broken_files[kind])

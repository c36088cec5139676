"""Frame decoding with resizing inside the decoder libraries (libswscale), never in numpy.

Two readers, each where it is fastest (measured in benchmarks/decode.py and resize_options.py):
- decord for sparse reads (a few keyframes): it seeks to the nearest keyframe, skipping GOPs;
- one sequential PyAV pass for dense reads (every frame) and for several outputs at once, with a
  cached scaler per output size, so keyframes and motion frames share a single decode.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from vqa.errors import VideoError

Size = int | tuple[int, int] | None  # int → square; (height, width); None → native
SUBSAMPLED_420 = {"yuv420p", "yuvj420p", "nv12", "yuv420p10le"}


def _hw(size: Size, height: int, width: int) -> tuple[int, int]:
    if size is None:
        return height, width
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def _plane(plane, h: int, w: int) -> np.ndarray:
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:h, :w]


def to_rgb(frame: av.VideoFrame, scaler: VideoReformatter, h: int, w: int) -> np.ndarray:
    """Anti-aliased (AREA) resize in libswscale, then YUV→RGB on the small frame.

    Scaling to yuv420p and converting the result with OpenCV is ~25 % cheaper than asking
    libswscale for rgb24 directly (benchmarks/resize_options.py). Only for 4:2:0 sources being
    resized: others (4:4:4, native size, odd sizes) convert directly, losing no chroma.
    """
    resized = (h, w) != (frame.height, frame.width)
    if h % 2 or w % 2 or not resized or frame.format.name not in SUBSAMPLED_420:
        return scaler.reformat(frame, w, h, "rgb24", interpolation="AREA").to_ndarray()
    small = scaler.reformat(frame, w, h, "yuv420p", interpolation="AREA")
    i420 = np.concatenate([_plane(small.planes[0], h, w).ravel(),
                           _plane(small.planes[1], h // 2, w // 2).ravel(),
                           _plane(small.planes[2], h // 2, w // 2).ravel()])
    return cv2.cvtColor(i420.reshape(h * 3 // 2, w), cv2.COLOR_YUV2RGB_I420)


def read_sparse(path: str | os.PathLike, indices: Sequence[int], size: Size = None,
                num_threads: int = 1) -> np.ndarray:
    """Frames at `indices` (any order, repeats allowed) as (T, H, W, 3) uint8, via decord."""
    import decord

    path = Path(path)
    wanted = np.asarray(indices, dtype=np.int64)
    try:
        kw = {}
        if size is not None:
            h, w = _hw(size, 0, 0)
            kw = {"height": h, "width": w}
        reader = decord.VideoReader(str(path), num_threads=num_threads, **kw)
        n = len(reader)
        if len(wanted) and (wanted.min() < 0 or wanted.max() >= n):
            raise VideoError(path, f"frame index out of range [0, {n})")
        unique, inverse = np.unique(wanted, return_inverse=True)
        frames = reader.get_batch(unique.tolist()).asnumpy()
    except VideoError:
        raise
    except Exception as exc:  # decord raises DECORDError / RuntimeError with ffmpeg codes
        raise VideoError(path, f"decode failed ({str(exc).splitlines()[-1]})") from exc
    return frames[inverse]


def read_dense(path: str | os.PathLike, requests: Mapping[str, tuple[Sequence[int], Size]],
               threads: int = 1) -> dict[str, np.ndarray]:
    """One sequential decode serving several (indices, size) requests; returns name → frames.

    Decoding stops after the last wanted frame. Frames are indexed in presentation order, the
    same numbering decord uses.
    """
    path = Path(path)
    if not requests:
        return {}
    plans = {}
    for name, (indices, size) in requests.items():
        idx = np.asarray(indices, dtype=np.int64)
        plans[name] = (idx, size)
    last = max((int(p[0].max()) for p in plans.values() if len(p[0])), default=-1)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, ValueError) as exc:
        raise VideoError(path, f"cannot open ({exc})") from exc
    try:
        if not container.streams.video:
            raise VideoError(path, "no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO" if threads != 1 else "SLICE"
        stream.thread_count = threads
        h0, w0 = stream.codec_context.height, stream.codec_context.width
        # Per request: where each decoded frame goes (a frame may fill several slots).
        slots: dict[str, dict[int, list[int]]] = {}
        outs: dict[str, np.ndarray] = {}
        scalers: dict[str, tuple[VideoReformatter, int, int]] = {}
        for name, (idx, size) in plans.items():
            h, w = _hw(size, h0, w0)
            outs[name] = np.empty((len(idx), h, w, 3), dtype=np.uint8)
            where: dict[int, list[int]] = {}
            for slot, frame_no in enumerate(idx.tolist()):
                where.setdefault(frame_no, []).append(slot)
            slots[name] = where
            scalers[name] = (VideoReformatter(), h, w)
        decoded = 0
        for frame in container.decode(stream):
            for name, where in slots.items():
                targets = where.get(decoded)
                if targets:
                    scaler, h, w = scalers[name]
                    arr = to_rgb(frame, scaler, h, w)
                    for slot in targets:
                        outs[name][slot] = arr
            decoded += 1
            if decoded > last:
                break
        if decoded <= last:
            raise VideoError(path, f"only {decoded} frames decoded, frame {last} wanted")
        return outs
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"decode failed ({exc})") from exc
    finally:
        container.close()


def iter_frames(path: str | os.PathLike, threads: int = 1):
    """Every frame at native size, one at a time (constant memory), in presentation order:
    for stages that transform a whole clip frame by frame (synthetic distortions)."""
    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, ValueError) as exc:
        raise VideoError(path, f"cannot open ({exc})") from exc
    try:
        if not container.streams.video:
            raise VideoError(path, "no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO" if threads != 1 else "SLICE"
        stream.thread_count = threads
        scaler = VideoReformatter()
        for frame in container.decode(stream):
            yield to_rgb(frame, scaler, frame.height, frame.width)  # as read_dense at native size
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"decode failed ({exc})") from exc
    finally:
        container.close()

"""Frame decoding with resizing inside the decoder libraries (libswscale), never in numpy.

Two readers, each where it is fastest (benchmarks/decode.py, research/resize_options.py):
- decord for sparse reads (a few keyframes): it seeks to the nearest keyframe, skipping GOPs;
- one sequential PyAV pass for dense reads (every frame) and for several outputs at once, with a
  cached scaler per output size, so keyframes and motion frames share a single decode.

Every route returns frames as displayed (upright), sizes given as displayed (height, width): a
phone clip's display rotation is applied, so the model, the distortions and a person watching
the clip all see the same picture. PyAV reads the rotation from each container the same way;
decord (its own FFmpeg 4.1) applies it for MP4 but not Matroska, so a rotated clip is read by
the PyAV pass instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from vqa.errors import VideoError
from vqa.video.probe import clockwise, display_rotation

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


def displayed_hw(size: Size, frame: av.VideoFrame, rotation: int) -> tuple[int, int]:
    """The output (height, width) for `size` (None → the frame's displayed size)."""
    h, w = frame.height, frame.width
    return _hw(size, *((w, h) if rotation in (90, 270) else (h, w)))


def upright(frame: av.VideoFrame, scaler: VideoReformatter, h: int, w: int,
            rotation: int) -> np.ndarray:
    """`frame` as displayed at (h, w): resized in its coded orientation, then turned `rotation`
    degrees clockwise (a cheap copy of the small RGB frame)."""
    if rotation in (90, 270):
        h, w = w, h
    rgb = to_rgb(frame, scaler, h, w)
    return np.ascontiguousarray(np.rot90(rgb, -(rotation // 90))) if rotation else rgb


def to_rgb(frame: av.VideoFrame, scaler: VideoReformatter, h: int, w: int) -> np.ndarray:
    """Anti-aliased (AREA) resize in libswscale, then YUV→RGB on the small frame (coded
    orientation: `upright` turns it for display).

    Scaling to yuv420p and converting the result with OpenCV is ~25 % cheaper than asking
    libswscale for rgb24 directly (research/resize_options.py). Only for 4:2:0 sources being
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
                num_threads: int = 1, rotation: int | None = None) -> np.ndarray:
    """Frames at `indices` (any order, repeats allowed) as (T, H, W, 3) uint8, via decord; a
    rotated clip via the PyAV pass (see the module's note). `rotation` is the clip's
    (`VideoInfo.rotation`); None reads it from the file."""
    import decord

    path = Path(path)
    wanted = np.asarray(indices, dtype=np.int64)
    if len(wanted) and wanted.min() < 0:
        raise VideoError(path, f"negative frame index {int(wanted.min())}")
    if rotation is None:
        rotation = display_rotation(path)
    if rotation:
        return read_dense(path, {"frames": (wanted, size)}, threads=num_threads)["frames"]
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


def decoded_frames(path: str | os.PathLike, threads: int = 1) -> Iterator[av.VideoFrame]:
    """Decoded frames in presentation order (decord's numbering); any failure is a VideoError.

    Closing the generator early (a consumer that has what it wants) closes the file.
    """
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
        yield from container.decode(stream)
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"decode failed ({exc})") from exc
    finally:
        container.close()


def read_dense(path: str | os.PathLike, requests: Mapping[str, tuple[Sequence[int], Size]],
               threads: int = 1) -> dict[str, np.ndarray]:
    """One sequential decode serving several (indices, size) requests; returns name → frames.

    Decoding stops after the last wanted frame.
    """
    plans = {name: (np.asarray(idx, dtype=np.int64), size)
             for name, (idx, size) in requests.items()}
    if not plans:
        return {}
    last = max((int(idx.max()) for idx, _ in plans.values() if len(idx)), default=-1)
    outs: dict[str, np.ndarray] = {}
    # Per request: scaler, output size and where each frame number goes (may fill several slots).
    targets: dict[str, tuple[VideoReformatter, int, int, dict[int, list[int]]]] = {}
    decoded = rotation = 0
    frames = decoded_frames(path, threads)
    for frame in frames:
        if not targets:
            rotation = clockwise(frame)  # the first frame's, for the whole clip: one shape
            for name, (idx, size) in plans.items():
                h, w = displayed_hw(size, frame, rotation)
                outs[name] = np.empty((len(idx), h, w, 3), dtype=np.uint8)
                where: dict[int, list[int]] = {}
                for slot, frame_no in enumerate(idx.tolist()):
                    where.setdefault(frame_no, []).append(slot)
                targets[name] = (VideoReformatter(), h, w, where)
        for name, (scaler, h, w, where) in targets.items():
            slots = where.get(decoded)
            if slots:
                arr = upright(frame, scaler, h, w, rotation)
                for slot in slots:
                    outs[name][slot] = arr
        decoded += 1
        if decoded > last:
            break
    frames.close()
    if decoded <= last:
        raise VideoError(Path(path), f"only {decoded} frames decoded, frame {last} wanted")
    if not targets:  # nothing wanted from an empty request list: shapes need no frame
        outs = {name: np.empty((0, 0, 0, 3), np.uint8) for name in plans}
    return outs


def iter_frames(path: str | os.PathLike, threads: int = 1) -> Iterator[np.ndarray]:
    """Every frame at native size, upright, one at a time (constant memory), for stages that
    transform a whole clip frame by frame (synthetic distortions: their clips are written
    upright, with no rotation to apply)."""
    scaler = VideoReformatter()
    rotation = None
    for frame in decoded_frames(path, threads):
        if rotation is None:
            rotation = clockwise(frame)
            h, w = displayed_hw(None, frame, rotation)
        yield upright(frame, scaler, h, w, rotation)

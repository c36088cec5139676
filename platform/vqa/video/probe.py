"""Fast probing: container metadata plus a packet demux (no full decode) to catch truncation.

Sizes are as displayed: a phone clip coded 1920×1080 with a display rotation of 90° (the
display-matrix side data ffprobe shows as `rotate=90`) is 1080 wide and 1920 high here, as
every decoder route in vqa.video returns its frames upright — the model and a person watching
the clip see the same picture, and the manifest describes that picture.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import av

from vqa.errors import VideoError

# Anything beyond these is not a video a VQA pipeline should try to decode.
MAX_SIDE = 16384
MAX_PIXELS = 8192 * 8192
MAX_FRAMES = 2_000_000
MAX_FPS = 1000.0

VERIFY_MODES = ("none", "packets", "decode")


@dataclass(frozen=True)
class VideoInfo:
    frames: int
    fps: float
    duration: float
    width: int
    height: int
    codec: str
    rotation: int = 0  # degrees clockwise (0/90/180/270) the coded frames were turned for display


    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise VideoError(path, "file does not exist")
    if path.is_dir():
        raise VideoError(path, "is a directory, not a video file")
    if os.path.getsize(path) == 0:
        raise VideoError(path, "empty file (0 bytes)")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(path, f"not a readable video container ({exc})") from exc


def _count_packets(container, stream, path: Path) -> int:
    count = 0
    try:
        for packet in container.demux(stream):
            if packet.size:
                count += 1
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"demux failed after {count} packets ({exc})") from exc
    return count


def clockwise(frame: av.VideoFrame) -> int:
    """A decoded frame's display rotation, as degrees clockwise in {0, 90, 180, 270} (ffprobe's
    `rotate` tag; FFmpeg attaches the stream's display matrix to every frame). Flips in the
    matrix are not applied: phones rotate, they do not mirror."""
    return int(round(-frame.rotation / 90.0)) % 4 * 90


def _decode_first(container, stream, path: Path) -> int:
    """Decode the first frame (a file whose first frame fails is unusable); its rotation."""
    try:
        container.seek(0, stream=stream)
        for frame in container.decode(stream):
            return clockwise(frame)
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"first frame does not decode ({exc})") from exc
    raise VideoError(path, "zero decodable frames")


def display_rotation(path: str | os.PathLike) -> int:
    """The clip's display rotation (degrees clockwise) from its first frame; no other checks."""
    path = Path(path)
    container = _open(path)
    try:
        if not container.streams.video:
            raise VideoError(path, "no video stream")
        return _decode_first(container, container.streams.video[0], path)
    finally:
        container.close()


def _decode_all(container, stream, path: Path) -> int:
    count = 0
    try:
        container.seek(0, stream=stream)
        for _ in container.decode(stream):
            count += 1
    except av.error.FFmpegError as exc:
        raise VideoError(path, f"decode failed at frame {count} ({exc})") from exc
    return count


def probe(path: str | os.PathLike, verify: str = "packets") -> VideoInfo:
    """Probe a video; raise VideoError naming the file and reason when it is unusable.

    verify="packets" demuxes every packet (I/O only) and decodes the first frame: it catches
    empty, non-video, zero-frame and truncated files at a fraction of a decode's cost.
    verify="decode" decodes every frame (catches corrupt payloads); "none" reads headers, and the
    first frame for its display rotation (PyAV exposes it on frames, not streams; a first frame
    that fails is left for the decode to report, rotation 0), and counts
    packets when the header declares no frame count (Matroska / WebM never do). Width and
    height are as displayed, `rotation` says how the coded frames were turned.
    """
    if verify not in VERIFY_MODES:
        raise ValueError(f"verify must be one of {VERIFY_MODES}, got {verify!r}")
    path = Path(path)
    container = _open(path)
    try:
        if not container.streams.video:
            raise VideoError(path, "no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        if width <= 0 or height <= 0:
            raise VideoError(path, f"invalid frame size {width}x{height}")
        if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
            raise VideoError(path, f"absurd frame size {width}x{height}")
        declared = int(stream.frames or 0)
        if verify == "none":
            frames = declared or _count_packets(container, stream, path)
            try:  # headers only: a first frame that fails is for the decode to report
                rotation = _decode_first(container, stream, path)
            except VideoError:
                rotation = 0
        else:
            frames = _count_packets(container, stream, path)
            if frames == 0:
                raise VideoError(path, "zero frames")
            if declared and frames < declared:
                raise VideoError(path, f"truncated: {frames} of {declared} frames present")
            rotation = _decode_first(container, stream, path)
            if verify == "decode":
                frames = _decode_all(container, stream, path)
        rate = stream.average_rate or stream.guessed_rate
        if rate:
            fps = float(rate)
        elif stream.duration and stream.time_base and frames:
            fps = frames / float(stream.duration * stream.time_base)
        else:
            raise VideoError(path, "unknown frame rate")
        if frames <= 0:
            raise VideoError(path, "zero frames")
        if not (0 < fps <= MAX_FPS):
            raise VideoError(path, f"absurd frame rate {fps:g}")
        if frames > MAX_FRAMES:
            raise VideoError(path, f"absurd frame count {frames}")
        if rotation in (90, 270):
            width, height = height, width
        return VideoInfo(
            frames=frames,
            fps=fps,
            duration=frames / fps,
            width=width,
            height=height,
            codec=ctx.name or "unknown",
            rotation=rotation,
        )
    finally:
        container.close()

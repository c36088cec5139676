"""Writing clips with PyAV / libx264 (distorted clips, demo corpus)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np

LOSSLESS = 0  # CRF 0: x264's lossless mode (in the chosen pixel format)


def write_video(frames: Iterable[np.ndarray] | np.ndarray, fps: float, path: str | os.PathLike,
                quality: int = 18, preset: str = "medium", pix_fmt: str = "yuv420p",
                codec: str = "libx264", threads: int = 0) -> dict:
    """Encode RGB uint8 frames to H.264; `quality` is x264's CRF (0 lossless … 51 worst).

    `threads` = 0 lets x264 use every core; a Ray task holding N CPUs should pass N.

    Returns the encode settings, so callers can record them next to what they wrote.
    """
    if not 0 <= int(quality) <= 51:
        raise ValueError(f"quality (CRF) must be in [0, 51], got {quality}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    settings = {"codec": codec, "crf": int(quality), "preset": preset, "pix_fmt": pix_fmt,
                "fps": float(rate), "threads": int(threads)}
    count = 0
    # faststart puts the index first: clips stream over HTTP and a cut file still opens.
    options = {"movflags": "+faststart"} if path.suffix.lower() in (".mp4", ".mov", ".m4v") else {}
    with av.open(str(path), mode="w", options=options) as container:
        stream = None
        for frame in frames:
            frame = np.ascontiguousarray(frame)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"frames must be (H, W, 3) uint8, got {frame.shape} {frame.dtype}")
            if stream is None:
                h, w = frame.shape[:2]
                if pix_fmt in ("yuv420p", "nv12") and (h % 2 or w % 2):
                    raise ValueError(f"{pix_fmt} needs even width and height, got {w}x{h}")
                stream = container.add_stream(codec, rate=rate)
                stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
                stream.options = {"crf": str(int(quality)), "preset": preset,
                                  "threads": str(int(threads))}
                settings.update(width=w, height=h)
            elif frame.shape[:2] != (stream.height, stream.width):
                raise ValueError(f"frame {count} is {frame.shape[:2]}, expected "
                                 f"{(stream.height, stream.width)}")
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
            count += 1
        if stream is None:
            raise ValueError("no frames to write")
        for packet in stream.encode():
            container.mux(packet)
    settings["frames"] = count
    return settings

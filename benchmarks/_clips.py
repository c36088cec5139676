"""Benchmark inputs: real-content clips at the resolutions a UGC pool holds (made once, cached)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vqa.corpus import pan_zoom, photo
from vqa.video import write_video

SIZES = {"360p": (640, 360), "540p": (960, 540), "720p": (1280, 720), "1080p": (1920, 1080)}


def bench_clips(root: Path, seconds: float = 8.0, fps: int = 25,
                sizes: dict = SIZES) -> list[Path]:
    """The clips under `root`, one folder per duration and rate: a cached clip is reused only
    for the length and rate it was made at."""
    root = root / f"{seconds:g}s-{fps:g}fps"
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (name, (w, h)) in enumerate(sizes.items()):
        path = root / f"bench_{name}.mp4"
        if not path.exists():
            frames = pan_zoom(photo("retina" if h > 600 else "hubble_deep_field"), w, h,
                              int(seconds * fps), np.random.default_rng(i))
            write_video(frames, fps, path, quality=23, preset="veryfast")
        paths.append(path)
    return paths

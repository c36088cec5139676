"""Why the shipped resize is libswscale AREA: every way of turning each decoded frame into 224²
RGB, timed against the raw decode of the same clip (interleaved, best of N, one thread).

    python research/resize_options.py [VIDEO] [--repeats 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

SIDE = 224


def _plane(pl, h: int, w: int) -> np.ndarray:
    return np.frombuffer(pl, np.uint8).reshape(-1, pl.line_size)[:h, :w]


def _pyramid(a: np.ndarray, h: int, w: int) -> np.ndarray:
    while a.shape[0] >= 2 * h and a.shape[1] >= 2 * w:
        a = cv2.pyrDown(a)
    return cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA)


def _planes(shrink):
    def convert(frame, _scaler):
        f = frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
        h, w = f.height, f.width
        y = shrink(_plane(f.planes[0], h, w), SIDE, SIDE)
        u = shrink(_plane(f.planes[1], h // 2, w // 2), SIDE // 2, SIDE // 2)
        v = shrink(_plane(f.planes[2], h // 2, w // 2), SIDE // 2, SIDE // 2)
        i420 = np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(SIDE * 3 // 2, SIDE)
        return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)
    return convert


def _sws(interp: str, fmt: str = "rgb24"):
    def convert(frame, scaler):
        return scaler.reformat(frame, SIDE, SIDE, fmt, interpolation=interp).to_ndarray()
    return convert


def _sws_then_cv2(frame, scaler):
    small = scaler.reformat(frame, SIDE, SIDE, "yuv420p", interpolation="AREA")
    i420 = np.concatenate([_plane(small.planes[0], SIDE, SIDE).ravel(),
                           _plane(small.planes[1], SIDE // 2, SIDE // 2).ravel(),
                           _plane(small.planes[2], SIDE // 2, SIDE // 2).ravel()])
    return cv2.cvtColor(i420.reshape(SIDE * 3 // 2, SIDE), cv2.COLOR_YUV2RGB_I420)


OPTIONS = {
    "raw decode (no conversion)": None,
    "libswscale AREA straight to RGB": _sws("AREA"),
    "libswscale AREA to yuv420p (no RGB)": _sws("AREA", "yuv420p"),
    "libswscale AREA to yuv420p, then OpenCV I420→RGB (shipped)": _sws_then_cv2,
    "libswscale BILINEAR": _sws("BILINEAR"),
    "libswscale BICUBIC": _sws("BICUBIC"),
    "libswscale FAST_BILINEAR (aliased)": _sws("FAST_BILINEAR"),
    "libswscale POINT (aliased)": _sws("POINT"),
    "OpenCV INTER_LINEAR on planes (aliased)": _planes(
        lambda a, h, w: cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)),
    "OpenCV INTER_AREA on planes": _planes(
        lambda a, h, w: cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA)),
    "OpenCV pyramid + INTER_AREA on planes": _planes(_pyramid),
}


def run(path: Path, convert) -> float:
    t = time.perf_counter()
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type, s.thread_count = "SLICE", 1
        scaler = VideoReformatter()
        for frame in c.decode(s):
            if convert is not None:
                convert(frame, scaler)
    return time.perf_counter() - t


def main() -> None:
    cv2.setNumThreads(1)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("video", nargs="?")
    ap.add_argument("--repeats", type=int, default=4)
    args = ap.parse_args()
    if args.video:
        path = Path(args.video)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
        from _clips import bench_clips

        path = bench_clips(Path(tempfile.gettempdir()) / "vqa_bench_clips",
                           sizes={"720p": (1280, 720)})[0]
    times = {name: [] for name in OPTIONS}
    for _ in range(args.repeats):
        for name, convert in OPTIONS.items():
            times[name].append(run(path, convert))
    raw = min(times["raw decode (no conversion)"])
    print(f"{path.name}: every frame to {SIDE}² RGB, best of {args.repeats}\n")
    print("| approach | seconds | vs raw |\n|---|---|---|")
    for name, ts in times.items():
        print(f"| {name} | {min(ts):.3f} | {min(ts) / raw:.2f}× |")


if __name__ == "__main__":
    main()

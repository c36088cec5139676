"""The distortion record (spec), its random planning and its application to frames.

A spec is what every later stage trusts: type, level, location (name + pixel box), start second
and duration. Applying specs is a pure function of (frames, fps, specs, seed): noise draws come
from a generator keyed by (seed, spec index, frame index), so the same inputs give the same
frames byte for byte, in any processing order.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from vqa.distort.regions import LOCATIONS, location_box
from vqa.distort.spatial import LEVEL_NAMES, SPATIAL_TYPES, SpatialParams, distort_region

STUTTER = "stutter"
EPS = 1e-6


@dataclass(frozen=True)
class Distortion:
    type: str                       # one of SPATIAL_TYPES or "stutter"
    start: int                      # integer second where it begins (0-based time)
    duration: int                   # whole seconds
    level: int | None = None        # 1..3 for spatial types
    location: str | None = None     # one of LOCATIONS for spatial types
    box: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 in pixels

    @property
    def spatial(self) -> bool:
        return self.type != STUTTER

    @property
    def level_name(self) -> str | None:
        return LEVEL_NAMES.get(self.level) if self.level else None

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["box"] = list(self.box) if self.box else None
        d["level_name"] = self.level_name
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Distortion":
        box = d.get("box")
        return cls(type=d["type"], start=int(d["start"]), duration=int(d["duration"]),
                   level=None if d.get("level") is None else int(d["level"]),
                   location=d.get("location"), box=tuple(int(v) for v in box) if box else None)


@dataclass
class PlanParams:
    area: float = 0.25                 # region = 1/4 of the frame area
    min_duration: int = 1              # spatial duration: integer seconds in [1, 3]
    max_duration: int = 3
    stutter_events: tuple[int, int] = (1, 3)  # 1–3 stutter events per video
    stutter_seconds: int = 1           # remove one second, freeze for one second


def whole_seconds(frames: int, fps: float) -> int:
    return int(math.floor(frames / fps + EPS))


def frame_span(start_s: float, end_s: float, fps: float, frames: int) -> tuple[int, int]:
    """Frames i with start ≤ i/fps < end."""
    a = int(math.ceil(start_s * fps - EPS))
    b = int(math.ceil(end_s * fps - EPS))
    return min(a, frames), min(b, frames)


def plan_spatial(kind: str, width: int, height: int, seconds: int, rng: np.random.Generator,
                 p: PlanParams) -> Distortion:
    if kind not in SPATIAL_TYPES:
        raise ValueError(f"unknown spatial type {kind!r}")
    if seconds < p.min_duration:
        raise ValueError(f"clip has {seconds} whole seconds, needs >= {p.min_duration}")
    duration = int(rng.integers(p.min_duration, min(p.max_duration, seconds) + 1))
    start = int(rng.integers(0, seconds - duration + 1))
    location = str(rng.choice(list(LOCATIONS)))
    return Distortion(kind, start, duration, level=int(rng.integers(1, 4)), location=location,
                      box=location_box(location, width, height, p.area))


def plan_stutter(seconds: int, rng: np.random.Generator, p: PlanParams) -> list[Distortion]:
    """1–3 freezes at distinct, non-adjacent integer seconds s ≥ 1 (frame s·fps − 1 freezes),
    each wholly inside the clip. Non-adjacent so every freeze is its own event."""
    d = p.stutter_seconds
    candidates = list(range(1, seconds - d + 1))
    if not candidates:
        raise ValueError(f"clip has {seconds} whole seconds, too short to stutter")
    want = int(rng.integers(p.stutter_events[0], p.stutter_events[1] + 1))
    chosen: list[int] = []
    for s in rng.permutation(candidates).tolist():
        if all(abs(s - c) > d for c in chosen):
            chosen.append(s)
        if len(chosen) == want:
            break
    return [Distortion(STUTTER, s, d) for s in sorted(chosen)]


def plan_clip(variant: str, width: int, height: int, frames: int, fps: float,
              rng: np.random.Generator, p: PlanParams) -> list[Distortion]:
    """The specs of one distorted clip: one spatial distortion of type `variant`, or the
    stutter events when `variant == "stutter"`."""
    seconds = whole_seconds(frames, fps)
    if variant == STUTTER:
        return plan_stutter(seconds, rng, p)
    return [plan_spatial(variant, width, height, seconds, rng, p)]


def distort_pairs(frames: Iterable[np.ndarray], fps: float, specs: list[Distortion], seed: int,
                  params: SpatialParams | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(source, distorted) frame by frame, holding one frame at most: freezes repeat the frame
    just before the removed second, then spatial regions are distorted on top."""
    params = params or SpatialParams()
    n = 1 << 62  # spans are clipped by the stream's own end
    freezes = [frame_span(s.start, s.start + s.duration, fps, n) for s in specs if not s.spatial]
    if any(a < 1 for a, _ in freezes):
        raise ValueError("a stutter needs a frame before it to freeze")
    spatial = [(k, s, frame_span(s.start, s.start + s.duration, fps, n))
               for k, s in enumerate(specs) if s.spatial]
    hold_at = {a - 1 for a, _ in freezes}
    held = None
    for i, frame in enumerate(frames):
        out = held if any(a <= i < b for a, b in freezes) else frame
        if i in hold_at:
            held = frame
        active = [(k, s) for k, s, (a, b) in spatial if a <= i < b]
        if active:
            out = out.copy()
            for k, s in active:
                x0, y0, x1, y1 = s.box
                rng = np.random.default_rng([seed, k, i])
                region = np.ascontiguousarray(out[y0:y1, x0:x1])
                out[y0:y1, x0:x1] = distort_region(region, s.type, s.level, params, rng)
        yield frame, out


def distort_stream(frames: Iterable[np.ndarray], fps: float, specs: list[Distortion], seed: int,
                   params: SpatialParams | None = None) -> Iterator[np.ndarray]:
    """Distorted frames, one at a time (feed straight into `write_video`)."""
    for _, out in distort_pairs(frames, fps, specs, seed, params):
        yield out


def apply_distortions(frames: np.ndarray, fps: float, specs: list[Distortion], seed: int,
                      params: SpatialParams | None = None) -> np.ndarray:
    """A distorted copy of (T, H, W, 3) uint8 frames (the stream, collected)."""
    return np.stack(list(distort_stream(iter(frames), fps, specs, seed, params)))


class Visibility:
    """Mean absolute change (0–255) where and when each spec acts: inside its box for spatial
    types, over the whole frame for a freeze; accumulated frame by frame. A cheap stand-in for
    the paper's manual check that a synthetic distortion is visible."""

    def __init__(self, specs: list[Distortion], fps: float):
        self.specs, self.fps = specs, fps
        self.spans = [frame_span(s.start, s.start + s.duration, fps, 1 << 62) for s in specs]
        self.total = [0.0] * len(specs)
        self.count = [0] * len(specs)

    def add(self, i: int, source: np.ndarray, out: np.ndarray) -> None:
        for k, (spec, (a, b)) in enumerate(zip(self.specs, self.spans)):
            if a <= i < b:
                before, after = source, out
                if spec.spatial:
                    x0, y0, x1, y1 = spec.box
                    before, after = source[y0:y1, x0:x1], out[y0:y1, x0:x1]
                diff = np.abs(after.astype(np.int16) - before.astype(np.int16))
                self.total[k] += float(diff.sum())
                self.count[k] += diff.size

    def values(self) -> list[float]:
        return [t / c if c else 0.0 for t, c in zip(self.total, self.count)]


def visibility(frames: np.ndarray, distorted: np.ndarray, spec: Distortion, fps: float) -> float:
    """`Visibility` of one spec over whole arrays."""
    v = Visibility([spec], fps)
    for i, (a, b) in enumerate(zip(frames, distorted)):
        v.add(i, a, b)
    return v.values()[0]

"""Global degradations for the rating mode: whole frame, whole clip, at severities 1..5.

Every constant is in `DegradeParams` (one value per severity, 1 first). The defaults were chosen
so severity 1 is plainly visible next to the reference and each step is clearly worse than the
one before (tests check that the error to the reference grows with every step, per type).
Order inside a clip (a camera → processing → delivery chain): temporal (stutter / judder) on the
source frames, then exposure and colour, blur, noise, and compression last (JPEG per frame, or a
real H.264 encode at a high CRF that the renderer decodes before the lossless write).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import cv2
import numpy as np

from vqa.errors import ConfigError

# type → FineVD dimension it damages
DIMENSION_OF = {"blur": "blur", "noise": "noise", "jpeg": "artifact", "h264": "artifact",
                "overexposure": "color", "underexposure": "color", "colorcast": "color",
                "desaturation": "color", "stutter": "temporal", "judder": "temporal"}
GLOBAL_TYPES = tuple(DIMENSION_OF)
TEMPORAL_TYPES = ("stutter", "judder")
ORDER = ("stutter", "judder", "overexposure", "underexposure", "colorcast", "desaturation",
         "blur", "noise", "jpeg", "h264")  # application order (see the module docstring)
SEVERITIES = (1, 2, 3, 4, 5)
CASTS = {"warm": (1.0, 0.25, -1.0), "cool": (-1.0, 0.1, 1.0), "green": (-0.6, 1.0, -0.6),
         "magenta": (0.8, -1.0, 0.8)}  # RGB direction of a colour cast (scaled by its shift)


def _five(*v):
    return field(default_factory=lambda: list(v))


@dataclass
class DegradeParams:
    blur_sigma: list[float] = _five(1.2, 2.0, 3.0, 4.5, 6.5)          # Gaussian σ, pixels
    noise_sigma: list[float] = _five(6.0, 11.0, 17.0, 25.0, 36.0)     # σ on 0–255
    jpeg_quality: list[int] = _five(30, 18, 11, 7, 4)                 # per-frame JPEG quality
    h264_crf: list[int] = _five(36, 40, 44, 47, 51)                   # x264 CRF (yuv420p)
    h264_preset: str = "veryfast"
    over_gain: list[float] = _five(1.3, 1.6, 1.95, 2.4, 3.0)          # × luminance, clipped
    under_gain: list[float] = _five(0.72, 0.55, 0.4, 0.28, 0.18)
    cast_shift: list[float] = _five(16.0, 28.0, 42.0, 58.0, 78.0)     # 0–255 along a cast
    saturation: list[float] = _five(0.6, 0.4, 0.24, 0.1, 0.0)         # kept share of chroma
    stutter_share: list[float] = _five(0.2, 0.32, 0.45, 0.6, 0.75)    # frames frozen per second
    judder_hold: list[int] = _five(2, 3, 4, 6, 9)                     # each kept frame shown n×

    def validate(self) -> None:
        for name in ("blur_sigma", "noise_sigma", "jpeg_quality", "h264_crf", "over_gain",
                     "under_gain", "cast_shift", "saturation", "stutter_share", "judder_hold"):
            v = list(getattr(self, name))
            if len(v) != len(SEVERITIES):
                raise ConfigError(f"degrade.{name}: need {len(SEVERITIES)} values (severity "
                                  f"1..5), got {v}")
            rising = name not in ("jpeg_quality", "under_gain", "saturation")
            if any((a >= b) if rising else (a <= b) for a, b in zip(v, v[1:])):
                raise ConfigError(f"degrade.{name}: must get strictly "
                                  f"{'larger' if rising else 'smaller'} with severity, got {v}")
        if not all(0 <= c <= 51 for c in self.h264_crf):
            raise ConfigError("degrade.h264_crf: CRF is 0..51")

    def value(self, kind: str, severity: int):
        name = {"blur": "blur_sigma", "noise": "noise_sigma", "jpeg": "jpeg_quality",
                "h264": "h264_crf", "overexposure": "over_gain", "underexposure": "under_gain",
                "colorcast": "cast_shift", "desaturation": "saturation",
                "stutter": "stutter_share", "judder": "judder_hold"}[kind]
        return getattr(self, name)[severity - 1]


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def degrade_frame(frame: np.ndarray, kind: str, severity: int, p: DegradeParams,
                  rng: np.random.Generator | None = None, cast: str = "warm") -> np.ndarray:
    """One spatial degradation of one (H, W, 3) uint8 RGB frame (not h264 / temporal types)."""
    v = p.value(kind, severity)
    if kind == "blur":
        return cv2.GaussianBlur(frame, (0, 0), sigmaX=float(v), borderType=cv2.BORDER_REFLECT)
    if kind == "noise":
        return _u8(frame + rng.normal(0.0, v, size=frame.shape))
    if kind == "jpeg":
        ok, buf = cv2.imencode(".jpg", frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(v)])
        if not ok:
            raise RuntimeError("JPEG encode failed")
        return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    if kind in ("overexposure", "underexposure"):
        return _u8(frame.astype(np.float32) * v)
    if kind == "colorcast":
        return _u8(frame.astype(np.float32) + np.asarray(CASTS[cast], np.float32) * v)
    if kind == "desaturation":
        f = frame.astype(np.float32)
        gray = f @ np.array([0.299, 0.587, 0.114], np.float32)
        return _u8(gray[..., None] + (f - gray[..., None]) * v)
    raise ValueError(f"{kind!r} is not a per-frame degradation")


def chroma_of(frames: list[np.ndarray]) -> float:
    """Mean distance of a pixel from its own grey (0–255): ~0 for a greyscale source."""
    f = np.stack(frames).astype(np.float32)
    return float(np.abs(f - f.mean(axis=-1, keepdims=True)).mean())


def motion_of(frames: list[np.ndarray]) -> float:
    """Mean absolute change between consecutive frames (0–255): ~0 for a still source."""
    if len(frames) < 2:
        return 0.0
    f = np.stack(frames).astype(np.float32)
    return float(np.abs(np.diff(f, axis=0)).mean())


def visible_types(frames: list[np.ndarray], types: Iterable[str], min_chroma: float,
                  min_motion: float) -> list[str]:
    """The types that change this source. Desaturating a greyscale source or freezing a still
    one leaves it untouched, yet the label rule would call it degraded: a clip whose label
    contradicts its pixels teaches a rater nothing (such no-ops were 6 % of a demo set)."""
    chroma, motion = chroma_of(frames), motion_of(frames)
    return [t for t in types
            if not (t == "desaturation" and chroma < min_chroma)
            and not (t in TEMPORAL_TYPES and motion < min_motion)]


def temporal_source(i: int, kind: str, severity: int, fps: float, p: DegradeParams) -> int:
    """The source frame shown at output frame i. Stutter: in each second, the last share of
    frames freezes on the one before (at least `severity` frames, so each step repeats more);
    judder: every `hold`-th frame is kept and shown `hold` times (frame drops)."""
    if kind == "judder":
        return i - i % int(p.value(kind, severity))
    per = max(2, int(round(fps)))
    frozen = min(per - 1, max(severity, int(math.floor(p.value(kind, severity) * per + 0.5))))
    pos = i % per
    return i - (pos - (per - frozen - 1)) if pos >= per - frozen else i


def degrade_stream(frames: Iterable[np.ndarray], fps: float, degs: list[tuple[str, int]],
                   p: DegradeParams, seed: int, cast: str = "warm") -> Iterator[np.ndarray]:
    """Frames with every degradation but h264 applied, one frame held at a time."""
    degs = sorted(degs, key=lambda d: ORDER.index(d[0]))
    temporal = [d for d in degs if d[0] in TEMPORAL_TYPES]
    spatial = [d for d in degs if d[0] not in TEMPORAL_TYPES and d[0] != "h264"]
    recent: dict[int, np.ndarray] = {}
    for i, frame in enumerate(frames):
        recent[i] = frame
        j = i
        for kind, sev in temporal:
            j = temporal_source(j, kind, sev, fps, p)
        out = recent[j]
        for k in [k for k in recent if k < j]:  # the map is non-decreasing: older frames
            del recent[k]                       # are never shown again
        for n, (kind, sev) in enumerate(spatial):
            rng = np.random.default_rng([seed, n, i]) if kind == "noise" else None
            out = degrade_frame(out, kind, sev, p, rng, cast)
        yield out

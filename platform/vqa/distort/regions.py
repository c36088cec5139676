"""Where a local distortion goes: the paper's nine named locations and their pixel boxes."""

from __future__ import annotations

import math

import numpy as np

# Appendix C's nine locations, each at a (column, row) cell of a 3×3 placement grid.
LOCATIONS = {
    "top-left": (0, 0), "center-up": (1, 0), "top-right": (2, 0),
    "center-left": (0, 1), "center": (1, 1), "center-right": (2, 1),
    "bottom-left": (0, 2), "center-down": (1, 2), "bottom-right": (2, 2),
}

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive ends), pixels


def location_box(location: str, width: int, height: int, area: float = 0.25) -> Box:
    """The rectangle covering `area` of the frame (same aspect as the frame) at `location`:
    flush with the named edges, centred on the others."""
    if location not in LOCATIONS:
        raise ValueError(f"unknown location {location!r}; known: {list(LOCATIONS)}")
    if not 0 < area <= 1:
        raise ValueError(f"area must be in (0, 1], got {area}")
    side = math.sqrt(area)
    w, h = max(1, round(width * side)), max(1, round(height * side))
    col, row = LOCATIONS[location]
    x0 = (0, (width - w) // 2, width - w)[col]
    y0 = (0, (height - h) // 2, height - h)[row]
    return x0, y0, x0 + w, y0 + h


def neighbours(location: str) -> list[str]:
    """Other locations, nearest first (grid distance): the plausible wrong answers."""
    c0, r0 = LOCATIONS[location]
    others = [name for name in LOCATIONS if name != location]
    return sorted(others, key=lambda n: (max(abs(LOCATIONS[n][0] - c0), abs(LOCATIONS[n][1] - r0)),
                                         abs(LOCATIONS[n][0] - c0) + abs(LOCATIONS[n][1] - r0)))


def highlight(frame: np.ndarray, box: Box, color: tuple[int, int, int] = (255, 0, 0),
              thickness: int = 2) -> np.ndarray:
    """A copy of an RGB frame with `box` outlined (inside the box, so it never leaves the frame):
    the highlighted keyframes an LMM sees when it names the object under a distortion (§3.3)."""
    out = frame.copy()
    x0, y0, x1, y1 = box
    t = max(1, min(thickness, (x1 - x0) // 2, (y1 - y0) // 2))
    out[y0:y0 + t, x0:x1] = color
    out[y1 - t:y1, x0:x1] = color
    out[y0:y1, x0:x0 + t] = color
    out[y0:y1, x1 - t:x1] = color
    return out

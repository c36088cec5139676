"""Where a local distortion goes: the paper's nine named locations and their pixel boxes."""

from __future__ import annotations

import math

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

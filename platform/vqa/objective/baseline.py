"""The built-in weights-free rater: the signals of `vqa.video.signals` → one no-reference
score on [0, 100), by a fixed rule written down here (nothing is fit to any test or benchmark
set).

Each signal maps to a *keep* share in (0, 1] by piecewise-linear interpolation between anchors,
and overall = 100 · Π keep — the rating mode's own label rule (`vqa.distort.rating_label`: a
degradation at severity s keeps 0.74, 0.58, 0.42, 0.26, 0.10 of its dimension; dimensions
multiply). The anchors are that signal's readings on ONE development clip (skimage
`astronaut`, 160×120, pan/zoom, 50 frames) clean and at the rating mode's severities 1..5, so
severity s on that clip reads as the label's keep at s; other content lands where its signals
put it. Every keep is monotone in its signal, so the score is monotone in every degradation
that moves its signal the expected way.
"""

from __future__ import annotations

import numpy as np

from vqa.video.signals import signals

KEEP = (1.0, 0.74, 0.58, 0.42, 0.26, 0.10)  # clean, severity 1..5 (rating_label's penalties)

# signal → its readings on the development clip: clean, severity 1..5 of the matching type
ANCHORS = {
    "reblur": (0.53, 0.234, 0.135, 0.074, 0.042, 0.027),    # blur (falls)
    "n10": (0.69, 1.50, 1.93, 2.26, 2.54, 2.80),            # noise (rises)
    "block": (1.01, 1.34, 1.52, 1.80, 2.19, 2.91),          # jpeg (rises)
    "clip_hi": (0.01, 0.20, 0.32, 0.364, 0.42, 0.516),      # overexposure (rises)
    "y95": (220.0, 158.6, 121.1, 88.1, 61.6, 39.6),         # underexposure (falls)
    "colorful": (75.4, 45.2, 30.1, 18.1, 7.6, 0.0),         # desaturation (falls)
    "cast": (48.2, 72.4, 90.0, 108.2, 126.2, 145.2),        # colour cast (rises)
    "freeze": (0.0, 0.204, 0.327, 0.449, 0.612, 0.776),     # stutter / judder (rises)
}
DIMENSION = {"reblur": "blur", "n10": "noise", "block": "artifact", "clip_hi": "color",
             "y95": "color", "colorful": "color", "cast": "color", "freeze": "temporal"}


def keep(name: str, value: float) -> float:
    """Share of quality a signal reading leaves: 1 at (or past) the clean anchor, the label's
    keep at each severity anchor, linear between; past the worst it keeps falling (halving
    every ~0.7 of the last anchor step), so worse than severity 5 still ranks below it."""
    xs = np.asarray(ANCHORS[name], float)
    ks = np.asarray(KEEP, float)
    if xs[0] > xs[-1]:  # a falling signal: interpolate on the mirrored axis
        xs = -xs
        value = -value
    if value > xs[-1]:
        return KEEP[-1] * float(np.exp(-(value - xs[-1]) / (xs[-1] - xs[-2])))
    return float(np.interp(value, xs, ks))


def score_signals(sig: dict) -> dict:
    """Signals → {score (0–100), keep_<signal> …}; the score is capped just under 100."""
    keeps = {f"keep_{n}": keep(n, sig[n]) for n in ANCHORS}
    overall = 100.0 * float(np.prod(list(keeps.values())))
    return {"score": min(overall, 99.99), **keeps}


def rate_frames(frames) -> dict:
    """(T, H, W, 3) uint8 RGB frames → the baseline's score and keeps."""
    return score_signals(signals(frames))

"""Each no-reference signal moves the right way, step by step, when the rating mode's matching
degradation is applied to real content at severities 1..5 (not the baseline's development
photograph: its anchors were read off `astronaut`)."""

from __future__ import annotations

import numpy as np
import pytest

from photo_clips import photo_clip
from vqa.distort.degrade import DegradeParams, degrade_stream
from vqa.video.signals import signals

# degradation → (signal, +1 rises / -1 falls with severity)
EXPECT = [("blur", "reblur", -1), ("blur", "lapvar", -1), ("noise", "n10", +1),
          ("jpeg", "block", +1), ("overexposure", "y50", +1),
          ("underexposure", "y95", -1), ("desaturation", "colorful", -1),
          ("colorcast", "cast", +1), ("stutter", "freeze", +1), ("judder", "freeze", +1)]


@pytest.fixture(scope="module")
def frames():
    return photo_clip(160, 120, 30, seed=3, name="chelsea")


def readings(frames, kind: str, name: str) -> list[float]:
    out = [signals(frames)[name]]
    for sev in range(1, 6):
        out.append(signals(np.stack(list(degrade_stream(frames, 25.0, [(kind, sev)],
                                                        DegradeParams(), seed=sev))))[name])
    return out


@pytest.mark.parametrize("kind,name,sign", EXPECT, ids=[f"{k}-{n}" for k, n, _ in EXPECT])
def test_signal_moves_with_severity(frames, kind, name, sign):
    v = readings(frames, kind, name)
    steps = sign * np.diff(v)
    assert (steps > 0).all(), (kind, name, [round(x, 3) for x in v])


def test_overexposure_clips_and_still_clip_reads_no_freeze(frames):
    hi = readings(frames, "overexposure", "clip_hi")
    assert hi[-1] > hi[0] + 0.1 and (np.diff(hi) >= 0).all(), hi
    still = np.repeat(frames[:1], 20, axis=0)
    assert signals(still)["freeze"] == 0.0  # no motion: a freeze cannot be told from a still


def test_bad_frames_are_refused():
    with pytest.raises(ValueError, match="T, H, W, 3"):
        signals(np.zeros((4, 8, 8), np.uint8))

"""Real photographic clips for tests (imported by modules and by conftest.py; a module of its own
so that a folder's conftest.py never shadows it)."""

from __future__ import annotations

import numpy as np


def photo_clip(width: int = 160, height: int = 120, frames: int = 50, seed: int = 0,
               name: str = "astronaut") -> np.ndarray:
    """Real photographic content with a moving camera: every frame is distinct."""
    from vqa.corpus import pan_zoom, photo

    return pan_zoom(photo(name), width, height, frames, np.random.default_rng(seed))

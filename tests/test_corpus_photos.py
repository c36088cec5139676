"""The photographs rating data and the demo corpus are filmed from: scikit-image's, and the ones
other installed wheels ship (BUNDLED_PHOTOS), all read from disk."""

import numpy as np
import pytest

from vqa.corpus import BUNDLED_PHOTOS, photo


@pytest.mark.parametrize("name", [*BUNDLED_PHOTOS, "camera", "stereo_motorcycle"])
def test_photo_is_an_rgb_picture(name):
    img = photo(name)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert img.flags["C_CONTIGUOUS"]
    assert min(img.shape[:2]) >= 400 and img.std() > 20  # a real picture, not a blank or icon


def test_bundled_photos_are_distinct_colour_pictures():
    imgs = [photo(n).astype(np.int16) for n in BUNDLED_PHOTOS]
    for im in imgs:  # colour content: red and blue differ (a greyscale picture has them equal)
        assert np.abs(im[..., 0] - im[..., 2]).mean() > 5
    means = [tuple(np.round(im.mean(axis=(0, 1)))) for im in imgs]
    assert len(set(means)) == len(imgs)

"""The nine location boxes: quarter area, edges flush, centred where the name says."""

import pytest

from vqa.distort import LOCATIONS, location_box, neighbours

EXPECT_320x240 = {  # w, h = 160, 120
    "top-left": (0, 0, 160, 120), "center-up": (80, 0, 240, 120), "top-right": (160, 0, 320, 120),
    "center-left": (0, 60, 160, 180), "center": (80, 60, 240, 180),
    "center-right": (160, 60, 320, 180), "bottom-left": (0, 120, 160, 240),
    "center-down": (80, 120, 240, 240), "bottom-right": (160, 120, 320, 240),
}


def test_every_location_box_by_hand():
    assert set(LOCATIONS) == set(EXPECT_320x240)
    for name, box in EXPECT_320x240.items():
        assert location_box(name, 320, 240) == box


@pytest.mark.parametrize("w,h", [(424, 240), (255, 143), (1920, 1080)])
def test_boxes_cover_a_quarter_and_stay_inside(w, h):
    for name in LOCATIONS:
        x0, y0, x1, y1 = location_box(name, w, h)
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert (x1 - x0) * (y1 - y0) / (w * h) == pytest.approx(0.25, abs=0.01)


def test_neighbours_nearest_first():
    assert set(neighbours("top-left")[:3]) == {"center-up", "center-left", "center"}
    assert neighbours("center")[:4] == ["center-up", "center-left", "center-right", "center-down"]
    assert len(neighbours("center")) == 8 and "center" not in neighbours("center")
    with pytest.raises(ValueError):
        location_box("middle", 10, 10)


def test_highlight_outlines_the_box_and_nothing_else():
    import numpy as np

    from vqa.distort.regions import highlight

    frame = np.zeros((48, 64, 3), np.uint8)
    box = location_box("center-right", 64, 48)  # (32, 12, 64, 36)
    out = highlight(frame, box, (255, 0, 0), thickness=2)
    x0, y0, x1, y1 = box
    ring = np.zeros((48, 64), bool)
    ring[y0:y1, x0:x1] = True
    ring[y0 + 2:y1 - 2, x0 + 2:x1 - 2] = False
    assert (out[ring] == [255, 0, 0]).all() and (out[~ring] == 0).all()
    assert (frame == 0).all()  # the input is untouched

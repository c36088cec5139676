import numpy as np
import pytest

from photo_clips import photo_clip
from vqa.video import probe, sample_motion, write_video


def test_lossless_round_trip(tmp_path):
    frames = photo_clip(96, 64, 12)
    settings = write_video(frames, 12.0, tmp_path / "x.mp4", quality=0, pix_fmt="yuv444p")
    assert settings["crf"] == 0 and settings["frames"] == 12
    info = probe(tmp_path / "x.mp4")
    assert (info.frames, info.width, info.height, info.fps) == (12, 96, 64, 12.0)
    back = sample_motion(tmp_path / "x.mp4", size=None).frames
    assert np.abs(back.astype(int) - frames).max() <= 3  # only RGB↔YUV rounding remains


def test_quality_orders_file_size(tmp_path):
    frames = photo_clip(128, 96, 20)
    write_video(frames, 25, tmp_path / "hi.mp4", quality=10)
    write_video(frames, 25, tmp_path / "lo.mp4", quality=40)
    assert (tmp_path / "hi.mp4").stat().st_size > 2 * (tmp_path / "lo.mp4").stat().st_size


@pytest.mark.parametrize("kwargs, match", [
    ({"quality": 60}, "CRF"),
    ({"fps": 0}, "fps"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    args = {"frames": photo_clip(64, 48, 2), "fps": 25, "path": tmp_path / "y.mp4", **kwargs}
    with pytest.raises(ValueError, match=match):
        write_video(**args)


def test_odd_size_and_bad_frames(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_video(np.zeros((2, 33, 64, 3), np.uint8), 25, tmp_path / "o.mp4")
    with pytest.raises(ValueError, match="uint8"):
        write_video(np.zeros((2, 32, 64, 3), np.float32), 25, tmp_path / "f.mp4")
    with pytest.raises(ValueError, match="no frames"):
        write_video([], 25, tmp_path / "e.mp4")

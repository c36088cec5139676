import pytest

from vqa.video import VideoError, probe


def test_probe_fields(clip_factory):
    path = clip_factory("p.mp4", width=160, height=120, frames=50, fps=25.0)
    info = probe(path)
    assert (info.frames, info.fps, info.width, info.height, info.codec) == (50, 25.0, 160, 120,
                                                                            "h264")
    assert info.duration == pytest.approx(2.0)
    assert probe(path, verify="none").frames == 50
    assert probe(path, verify="decode").frames == 50


@pytest.mark.parametrize("name, codec", [("m.mkv", "libx264"), ("w.webm", "libvpx-vp9")])
def test_containers_without_a_frame_count_probe_and_sample(clip_factory, name, codec):
    """Matroska / WebM headers declare no frame count: the header probe counts packets instead
    of calling the clip empty, and sampling (which probes headers only) decodes it."""
    from vqa.model import sample_frames, tiny

    path = clip_factory(name, width=96, height=64, frames=30, fps=10.0, codec=codec)
    assert probe(path, verify="none").frames == probe(path).frames == 30
    frames = sample_frames(tiny(), path)
    assert frames["keyframes"].info.frames == 30 and len(frames["motion"].frames) > 0


@pytest.mark.parametrize("kind, reason", [
    ("empty", "empty file"),
    ("truncated", "truncated"),
    ("not_a_video", "not a readable video container"),
    ("zero_frames", "zero frames"),
    ("absurd_size", "absurd frame size 20000x2"),
    ("audio_only", "no video stream"),
])
def test_broken_files_raise_one_type_naming_file_and_reason(broken_files, kind, reason):
    path = broken_files[kind]
    with pytest.raises(VideoError) as err:
        probe(path)
    assert str(path) in str(err.value) and reason in err.value.reason


def test_missing_and_directory(tmp_path):
    with pytest.raises(VideoError, match="does not exist"):
        probe(tmp_path / "nope.mp4")
    with pytest.raises(VideoError, match="directory"):
        probe(tmp_path)


def test_truncated_real_clip_from_shared_if_present():
    """The shared truncated_tail.mp4 opens and fails mid-decode; skip where ../shared is absent."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "shared/videos/truncated_tail.mp4"
    if not path.exists():
        pytest.skip("../shared/videos not present")
    with pytest.raises(VideoError, match="truncated"):
        probe(path)

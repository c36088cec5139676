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


def _picture(h: int, w: int, seed: int) -> np.ndarray:
    """A photograph-like BGR picture: smooth colour gradients plus texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([np.sin(6 * x + seed), np.cos(5 * y), np.sin(4 * (x + y))], axis=2)
    img = (img * 90 + 128 + rng.normal(0, 12, (h, w, 3))).clip(0, 255)
    return img.astype(np.uint8)


def test_corpus_from_a_folder_of_photographs(tmp_path, capsys):
    """JPEG / PNG / WebP / TIFF in nested folders become one clip each; a file that is not an
    image and a photograph smaller than every clip size are skipped and counted."""
    import csv

    import cv2

    from vqa.cli import main
    from vqa.video import probe

    photos = tmp_path / "photos"
    (photos / "nested" / "deeper").mkdir(parents=True)
    files = {"a.jpg": (300, 400), "nested/b.png": (260, 500), "nested/c.webp": (480, 640),
             "nested/deeper/d.TIFF": (250, 330)}
    for i, (name, (h, w)) in enumerate(files.items()):
        assert cv2.imwrite(str(photos / name), _picture(h, w, i))
    cv2.imwrite(str(photos / "tiny.png"), _picture(60, 80, 9))  # smaller than 160×120
    (photos / "notes.jpg").write_text("not an image\n")
    (photos / "readme.txt").write_text("ignored: not a photograph's suffix\n")
    out = tmp_path / "corpus"
    assert main(["corpus", "make", "--photos", str(photos), "--out", str(out)]) == 0
    said = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert "filmed 4 photographs" in said and "1 unreadable" in said and "1 too small" in said
    rows = list(csv.DictReader((out / "corpus.csv").open()))
    clips = [r for r in rows if r["kind"] == "clip"]
    assert sorted(r["photo"] for r in clips) == sorted(files)
    for r in clips:
        info = probe(out / r["path"])
        h, w = files[r["photo"]]
        assert (info.width, info.height) == (int(r["width"]), int(r["height"]))
        assert info.width <= w and info.height <= h  # never filmed larger than the photograph
        assert info.frames == round(float(r["seconds"]) * float(r["fps"]))
        assert r["expect"] == "ok" and 3.0 <= float(r["seconds"]) < 15.0  # the ingest window
    assert {r["kind"] for r in rows} - {"clip"} == {"empty", "truncated", "not_a_video"}


@pytest.mark.parametrize("content", ["empty", "unreadable"])
def test_a_folder_without_a_readable_photograph_is_one_line(tmp_path, capsys, content):
    from vqa.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    if content == "unreadable":
        (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    with pytest.raises(SystemExit) as exc:
        main(["corpus", "make", "--photos", str(photos), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1
    assert ("no photograph in it" if content == "empty" else "1 unreadable") in err[0]

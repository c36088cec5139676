"""A small demo corpus of real-content clips (pan/zoom over scikit-image's photographs; `photo`
also reads the few real photographs other installed wheels ship, for more rating content).

Gives the demo and the tests real input without a network: several sizes, frame rates and
durations (some outside the default [3, 15) s window) and a few broken files.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import cv2
import numpy as np

from vqa.video.writer import write_video

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry",
          "hubble_deep_field", "retina", "camera")

# (width, height, fps, seconds): mostly inside the ingest window, two outside it on purpose.
PROFILES = (
    (320, 240, 25, 4.0), (480, 270, 30, 5.0), (256, 256, 15, 6.0), (384, 216, 24, 3.5),
    (320, 180, 30, 2.0), (424, 240, 24, 8.0), (160, 120, 10, 16.0), (640, 360, 25, 3.2),
)


def _sklearn_photo(name: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image  # scikit-learn comes with MLflow

    return load_sample_image(f"{name}.jpg")


def _matplotlib_photo(name: str) -> np.ndarray:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / f"{name}.jpg"
    img = cv2.imread(str(path))
    if img is None:
        raise FileNotFoundError(f"photo {name!r}: {path} is missing or unreadable")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


# Real photographs that installed wheels other than scikit-image's ship, read from disk, never
# fetched: more distinct content for rating data, which is what limits it
# (docs/research/rating-content.md)
_BUNDLED = {"china": _sklearn_photo, "flower": _sklearn_photo, "grace_hopper": _matplotlib_photo}
BUNDLED_PHOTOS = tuple(_BUNDLED)


def photo(name: str) -> np.ndarray:
    """A real photograph by name, RGB uint8: scikit-image's `skimage.data.<name>` or one of
    BUNDLED_PHOTOS."""
    import skimage.data

    img = _BUNDLED[name](name) if name in _BUNDLED else getattr(skimage.data, name)()
    if isinstance(img, tuple):  # stereo_motorcycle: (left, right, disparity) → the left view
        img = img[0]
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def pan_zoom(image: np.ndarray, width: int, height: int, frames: int,
             rng: np.random.Generator) -> np.ndarray:
    """A smooth camera path: the crop window drifts across the photo while zooming."""
    ih, iw = image.shape[:2]
    base = min(iw / width, ih / height)  # the largest output-aspect window that fits
    z0, z1 = rng.uniform(0.55, 0.95, size=2)
    out = np.empty((frames, height, width, 3), dtype=np.uint8)
    c0, c1 = rng.uniform(0.3, 0.7, size=(2, 2))
    for t in range(frames):
        a = t / max(1, frames - 1)
        s = base * (z0 + (z1 - z0) * a)  # source pixels per output pixel
        cw, ch = width * s, height * s
        cx = np.clip((c0[0] + (c1[0] - c0[0]) * a) * iw, cw / 2, iw - cw / 2)
        cy = np.clip((c0[1] + (c1[1] - c0[1]) * a) * ih, ch / 2, ih - ch / 2)
        m = np.array([[s, 0, cx - cw / 2], [0, s, cy - ch / 2]], dtype=np.float64)
        out[t] = cv2.warpAffine(image, m, (width, height),
                                flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REFLECT)
    return out


def make_clip(path: str | os.PathLike, photo_name: str, width: int, height: int, fps: float,
              seconds: float, seed: int = 0, quality: int = 20) -> dict:
    rng = np.random.default_rng(seed)
    frames = pan_zoom(photo(photo_name), width, height, max(1, round(seconds * fps)), rng)
    return write_video(frames, fps, path, quality=quality)


def make_broken(out: Path, good_clip: Path) -> list[dict]:
    """The broken kinds ingest must survive: empty, truncated mid-stream, not a video."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    empty = out / "broken_empty.mp4"
    empty.write_bytes(b"")
    rows.append({"path": empty.name, "kind": "empty", "expect": "error"})
    data = good_clip.read_bytes()
    # write_video puts the index first (faststart), so the cut file opens, then runs dry.
    trunc = out / "broken_truncated.mp4"
    trunc.write_bytes(data[: len(data) // 2])
    rows.append({"path": trunc.name, "kind": "truncated", "expect": "error"})
    text = out / "broken_not_a_video.mp4"
    text.write_text("this is a text file with a video extension\n" * 50)
    rows.append({"path": text.name, "kind": "not_a_video", "expect": "error"})
    return rows


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")


def read_photo(path: str | os.PathLike) -> np.ndarray | None:
    """A photograph file → RGB uint8 (greyscale repeated, alpha dropped, 16-bit scaled), or None
    when OpenCV cannot read it as an image."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        return None
    if img.dtype == np.uint16:
        img = (img // 257).astype(np.uint8)
    elif img.dtype != np.uint8:
        return None
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB))


def photo_files(folder: str | os.PathLike) -> list[Path]:
    """Every file under `folder` (recursive) with a photograph's suffix, in a stable order."""
    return sorted(p for p in Path(folder).rglob("*")
                  if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def film_photos(out: str | os.PathLike, folder: str | os.PathLike, seed: int = 0
                ) -> tuple[list[dict], dict[str, int]]:
    """One clip per photograph under `folder`, filmed as the built-in ones are (a pan / zoom
    path; the sizes, rates and durations of PROFILES inside the ingest window, in turn), at a
    size that fits inside the photograph: a photograph smaller than every clip size is skipped,
    not upscaled, since an upscaled source is blurred before any distortion and would be
    labelled pristine all the same. Returns the
    corpus rows and the counts of skipped files: `unreadable` (not an image) and `too_small`
    (smaller than the smallest clip size)."""
    from rich.progress import track

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(folder)
    profiles = [p for p in PROFILES if 3.0 <= p[3] < 15.0]
    rows, skipped = [], {"unreadable": 0, "too_small": 0}
    used: set[str] = set()
    for i, path in enumerate(track(photo_files(folder), description="filming photographs",
                                   transient=True)):
        img = read_photo(path)
        if img is None:
            skipped["unreadable"] += 1
            continue
        ih, iw = img.shape[:2]
        fits = [p for p in profiles if p[0] <= iw and p[1] <= ih]
        if not fits:
            skipped["too_small"] += 1
            continue
        w, h, fps, secs = fits[i % len(fits)]
        rel = path.relative_to(folder).with_suffix("")
        stem = "_".join(rel.parts).replace(" ", "_")
        while stem in used:  # a.jpg and a.png: both kept
            stem += "_"
        used.add(stem)
        clip = out / f"{stem}.mp4"
        frames = pan_zoom(img, w, h, max(1, round(secs * fps)),
                          np.random.default_rng(seed * 1000003 + i))
        write_video(frames, fps, clip, quality=20)
        rows.append({"path": clip.name, "kind": "clip", "photo": str(rel.with_suffix(path.suffix)),
                     "width": w, "height": h, "fps": fps, "seconds": secs, "expect": "ok"})
    return rows, skipped


def write_corpus_csv(out: Path, rows: list[dict]) -> None:
    keys = ["path", "kind", "photo", "width", "height", "fps", "seconds", "expect"]
    with (out / "corpus.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in keys})


def make_corpus(out: str | os.PathLike, num: int = 12, seed: int = 0, broken: bool = True,
                min_duration: float = 3.0, max_duration: float = 15.0) -> list[dict]:
    """Write `num` clips (+ broken files) and `corpus.csv` describing each and what ingest
    should make of it."""
    from rich.progress import track

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in track(range(num), description="making corpus", transient=True):
        w, h, fps, secs = PROFILES[i % len(PROFILES)]
        name = PHOTOS[(i + seed) % len(PHOTOS)]
        path = out / f"clip{i:03d}_{name}_{w}x{h}_{fps}fps.mp4"
        make_clip(path, name, w, h, fps, secs, seed=seed * 1000 + i)
        expect = "ok" if min_duration <= secs < max_duration else "filtered"
        rows.append({"path": path.name, "kind": "clip", "photo": name, "width": w, "height": h,
                     "fps": fps, "seconds": secs, "expect": expect})
    if broken and rows:
        rows += make_broken(out, out / rows[0]["path"])
    write_corpus_csv(out, rows)
    return rows

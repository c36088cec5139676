"""The built-in baseline rater (`vqa label`'s `baseline`) beside classical no-reference anchors
and, optionally, a trained tiny model — on the same clips, by the same SRCCs (issue 15).

Why: a 0.5 SRCC means little alone; the anchors say what a textbook no-reference IQA metric
reaches on the same synthetic degradations. Anchors (their fitted parameters ship inside the
PyPI wheels; nothing is downloaded at run time):

* NIQE — `skvideo.measure.niqe` (scikit-video), on the luma of each sampled frame;
* BRISQUE — `brisque.BRISQUE` (the `brisque` package, libsvm model in the wheel), on RGB.

Each is computed on `--frames` evenly spaced frames of the first 50 (the baseline reads those 50),
averaged, and negated so that higher = better. Neither is a dependency of `vqa`:

    pip install scikit-video brisque    # not in pyproject.toml; no test needs them

Run:

    python benchmarks/objective_anchor.py demo_out/rating --splits val test \
        --model demo_out/train/complementary/model [--json out.json]
    python benchmarks/objective_anchor.py --synthetic    # objective_labels.py's 357 clips

A rating folder (what `vqa synthesize --mode rating` writes: labels.csv with video, mos, split,
source_id): SRCC of each score against the synthetic MOS within each source (mean, min, max) and
pooled over the chosen clips — `objective_labels.py --specs`'s metrics. `--synthetic`:
`objective_labels.py`'s own recipe (per source photograph, a 50-frame pan/zoom clip, reference
plus every global type at severities 1..5), SRCC against −severity within a source, per type
and over all types pooled. The model (`VQAModel.from_pretrained(DIR).rate(path)["score"]`)
needs a file, so in `--synthetic` mode each clip is written losslessly (x264 CRF 0) for it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "platform"))
sys.path.insert(0, str(HERE))

PIP = "pip install scikit-video brisque"


def load_anchors() -> dict:
    """name → (T, H, W, 3) uint8 frames → score (higher = better). Shims for numpy 2 / scipy
    1.17 live here, not in the packages: scikit-video 1.1.11 calls `scipy.misc.imresize` (gone
    since scipy 1.3; re-created exactly as it was: PIL bicubic on a float image) and `np.int`;
    brisque 0.2.0 hands 1-element arrays to `float()`, which numpy 2.4 refuses."""
    try:
        import warnings

        from PIL import Image

        with warnings.catch_warnings():  # "scipy.misc is deprecated"
            warnings.simplefilter("ignore", DeprecationWarning)
            import scipy.misc

        def imresize(img, size, interp="bicubic", mode="F"):
            h, w = img.shape
            im = Image.fromarray(np.asarray(img, np.float32))  # mode F
            return np.asarray(im.resize((int(w * size), int(h * size)), Image.BICUBIC))

        scipy.misc.imresize = imresize
        np.int = int
        import skvideo.measure
        from brisque import BRISQUE
    except ImportError as e:
        sys.exit(f"objective_anchor: {e}; the anchors are not vqa dependencies: {PIP}")

    class Brisque(BRISQUE):
        def scale_features(self, features):
            return super().scale_features([np.asarray(f).item() for f in features])

    brisque = Brisque(url=False)
    luma = np.array([0.299, 0.587, 0.114])
    # rounded: BRISQUE's last digits vary run to run (threaded maths), and would break the
    # exact ties of clips whose sampled frames are identical (a freeze) at random
    return {
        "NIQE": lambda fr: -round(float(np.mean(skvideo.measure.niqe(fr @ luma))), 6),
        "BRISQUE": lambda fr: -round(float(np.mean([brisque.score(f) for f in fr])), 6),
    }


class Scorers:
    """Every scorer on one clip: the baseline on its 50 frames, the anchors on `n` of them, the
    model (if any) on the file."""

    def __init__(self, n_frames: int, model_dir: str | None):
        from vqa.objective.baseline import rate_frames

        self.rate_frames, self.n, self.anchors = rate_frames, n_frames, load_anchors()
        self.model = None
        if model_dir:
            if Path(model_dir).is_dir():
                from vqa.model.vqa_model import VQAModel

                self.model = VQAModel.from_pretrained(model_dir)
            else:
                print(f"no model at {model_dir}: the model column is left out")
        self.names = ["baseline", *self.anchors] + (["tiny model"] if self.model else [])
        self.seconds = dict.fromkeys(self.names, 0.0)

    def __call__(self, frames: np.ndarray, path: str | None) -> dict:
        pick = frames[np.linspace(0, len(frames) - 1, self.n).round().astype(int)]
        fns = {"baseline": lambda: self.rate_frames(frames)["score"],
               **{k: (lambda f=f: f(pick)) for k, f in self.anchors.items()}}
        if self.model:
            fns["tiny model"] = lambda: self.model.rate(path or self._file(frames))["score"]
        out = {}
        for name, fn in fns.items():
            t0 = time.perf_counter()
            out[name] = fn()
            self.seconds[name] += time.perf_counter() - t0
        return out

    def _file(self, frames):
        from vqa.video import write_video

        self._tmp = tempfile.NamedTemporaryFile(suffix=".mp4")  # kept until the next clip
        write_video(frames, 25.0, self._tmp.name, quality=0)
        return self._tmp.name


def srcc(a, b) -> float:
    return float(np.nan_to_num(spearmanr(a, b)[0]))  # a constant score ranks nothing: 0


def on_rating(args, sc: Scorers) -> dict:
    import pandas as pd

    from vqa.objective.raters import read_frames

    df = pd.read_csv(Path(args.data) / "labels.csv")
    df = df[df.split.isin(args.splits)].reset_index(drop=True)
    if args.max_clips and len(df) > args.max_clips:  # evenly thinned: every source keeps some
        df = df.iloc[np.linspace(0, len(df) - 1, args.max_clips).round().astype(int)]
    rows = []
    for v in df.video:
        path = v if os.path.exists(v) else str(Path(args.data) / Path(v).parent.name / Path(v).name)
        rows.append(sc(read_frames(path, 50), path))
    df = df.reset_index(drop=True).join(pd.DataFrame(rows))
    res = {}
    for name in sc.names:
        per = pd.Series({k: srcc(g[name], g.mos) for k, g in df.groupby("source_id")})
        res[name] = {"within_mean": per.mean(), "within_min": per.min(),
                     "within_max": per.max(), "pooled": srcc(df[name], df.mos),
                     "within": per.to_dict()}
    print(f"\n{len(df)} clips of {df.source_id.nunique()} sources, splits {args.splits}, "
          f"anchors on {args.frames} frames per clip")
    print("| scorer | SRCC vs MOS within a source: mean (min–max) | SRCC pooled | s/clip |")
    print("|---|---|---|---|")
    for name, r in res.items():
        print(f"| {name} | {r['within_mean']:.3f} ({r['within_min']:.2f}–{r['within_max']:.2f})"
              f" | {r['pooled']:.3f} | {sc.seconds[name] / len(df):.2f} |")
    return {"clips": len(df), "sources": int(df.source_id.nunique()), "splits": args.splits,
            "results": res, "scores": df[["video", "mos", *sc.names]].to_dict("records")}


def on_synthetic(args, sc: Scorers) -> dict:
    from objective_labels import SOURCES, degraded
    from vqa.corpus import pan_zoom, photo
    from vqa.distort.degrade import GLOBAL_TYPES

    w, h = map(int, args.size.split("x"))
    per_type = {n: {t: [] for t in GLOBAL_TYPES} for n in sc.names}
    pooled = {n: [] for n in sc.names}
    for i, src in enumerate(args.sources or SOURCES):
        frames = pan_zoom(photo(src), w, h, 50, np.random.default_rng(i))
        ref, sev, got = sc(frames, None), [0], {n: [] for n in sc.names}
        for n in sc.names:
            got[n].append(ref[n])
        for kind in GLOBAL_TYPES:
            s = [sc(degraded(frames, kind, k), None) for k in range(1, 6)]
            for n in sc.names:
                per_type[n][kind].append(-srcc(range(6), [ref[n]] + [x[n] for x in s]))
                got[n] += [x[n] for x in s]
            sev += [1, 2, 3, 4, 5]
        for n in sc.names:
            pooled[n].append(-srcc(sev, got[n]))
        print(src, {n: round(p[-1], 3) for n, p in pooled.items()})
    print(f"\n{len(pooled['baseline'])} sources at {w}x{h}, anchors on {args.frames} frames")
    print("| type | " + " | ".join(sc.names) + " |\n|---|" + "---|" * len(sc.names))
    for kind in GLOBAL_TYPES:
        print(f"| {kind} | " + " | ".join(f"{np.mean(per_type[n][kind]):.2f}"
                                          for n in sc.names) + " |")
    print("| **all types pooled, within a source: mean (min)** | " + " | ".join(
        f"{np.mean(pooled[n]):.3f} ({np.min(pooled[n]):.2f})" for n in sc.names) + " |")
    return {"size": args.size, "pooled_within": pooled,
            "per_type_mean": {n: {k: float(np.mean(v)) for k, v in d.items()}
                              for n, d in per_type.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", help="rating-mode folder (holds labels.csv)")
    ap.add_argument("--synthetic", action="store_true", help="objective_labels.py's recipe")
    ap.add_argument("--splits", nargs="+", default=["val", "test"])
    ap.add_argument("--max-clips", type=int, default=0, help="0: every clip of the splits")
    ap.add_argument("--frames", type=int, default=4, help="frames per clip for the anchors")
    ap.add_argument("--model", help="a saved tiny-model folder (adds its column)")
    ap.add_argument("--size", default="320x240", help="--synthetic: clip size")
    ap.add_argument("--sources", nargs="+", help="--synthetic: photographs")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    if not args.synthetic and not args.data:
        ap.error("give a rating-mode folder or --synthetic")
    t0, sc = time.perf_counter(), Scorers(args.frames, args.model)
    res = on_synthetic(args, sc) if args.synthetic else on_rating(args, sc)
    res.update(frames=args.frames, model=args.model if sc.model else None,
               seconds=round(time.perf_counter() - t0, 1))
    print(f"{res['seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How far hand-made per-dimension signals get on a rating-mode split — the ceiling a no-reference
rater faces on that content, to read the learned models' numbers against.

    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet

Per clip: sharpness (Laplacian variance, gradient percentiles), noise (high-pass std in the
flattest blocks), blockiness (8-px boundary vs interior differences), exposure (luma
percentiles, clipping), colour (colourfulness, opponent means, chroma), temporal (freezes,
frame-difference spread). Ridge and gradient boosting (scikit-learn, an MLflow dependency) are
fit on the train split and scored on the test split: pooled SRCC and SRCC within each source.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))


def signals(path: str) -> dict:
    from vqa.video.decode import iter_frames

    fr = np.stack(list(iter_frames(path))).astype(np.float32)
    y = fr @ np.array([0.299, 0.587, 0.114], np.float32)
    ks, c = y[::6], fr[::6]
    gx = np.abs(np.diff(ks, axis=2))
    hp = ks - np.array([cv2.GaussianBlur(k, (0, 0), 1.0) for k in ks])
    b = 8
    h, w = hp.shape[1] // b * b, hp.shape[2] // b * b
    blocks = hp[:, :h, :w].reshape(len(ks), h // b, b, w // b, b).std(axis=(2, 4)).ravel()
    dx = gx.mean(axis=(0, 1))
    dy = np.abs(np.diff(ks, axis=1)).mean(axis=(0, 2))
    rg, yb = c[..., 0] - c[..., 1], 0.5 * (c[..., 0] + c[..., 1]) - c[..., 2]
    d = np.abs(np.diff(y, axis=0)).mean(axis=(1, 2))
    f = {"lapvar": np.log1p(np.var([cv2.Laplacian(k, cv2.CV_32F) for k in ks])),
         "g99": np.log1p(np.percentile(gx, 99)), "g90": np.log1p(np.percentile(gx, 90)),
         "gmean": np.log1p(gx.mean()), "n10": np.log1p(np.percentile(blocks, 10)),
         "n50": np.log1p(np.percentile(blocks, 50)),
         "blockx": dx[7::8].mean() / (np.delete(dx, np.s_[7::8]).mean() + 1e-3),
         "blocky": dy[7::8].mean() / (np.delete(dy, np.s_[7::8]).mean() + 1e-3),
         "clip_hi": (ks > 250).mean(), "clip_lo": (ks < 5).mean(), "ystd": ks.std(),
         "colorful": np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()),
         "rg": rg.mean(), "yb": yb.mean(), "chroma": np.abs(c - c.mean(-1, keepdims=True)).mean(),
         "freeze": float((d < 0.05 * np.median(d) + 1e-3).mean()),
         "d_cv": d.std() / (d.mean() + 1e-3), "d_max_med": d.max() / (np.median(d) + 1e-3)}
    f.update({f"y{q}": np.percentile(ks, q) for q in (1, 5, 50, 95, 99)})
    return f


def main(argv=None) -> int:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", help="specs.parquet of `vqa synthesize --mode rating`")
    args = ap.parse_args(argv)
    spec = pd.read_parquet(args.specs)
    spec = spec[spec.status == "ok"].reset_index(drop=True)
    x = pd.DataFrame([signals(v) for v in spec.video])
    tr, te = (spec.split == "train").values, (spec.split == "test").values
    print(f"train {tr.sum()} clips / {spec[tr].source_id.nunique()} sources, "
          f"test {te.sum()} clips / {spec[te].source_id.nunique()} sources")
    models = {"ridge": make_pipeline(StandardScaler(), RidgeCV()),
              "gradient boosting": HistGradientBoostingRegressor(max_iter=300,
                                                                 learning_rate=0.05)}
    print("| read-out | train SRCC | held-out SRCC (pooled) | held-out SRCC within a source "
          "(mean, min–max) |\n|---|---|---|---|")
    for name, m in models.items():
        m.fit(x[tr], spec.mos[tr])
        held = spec[te].assign(p=m.predict(x[te]))
        per = held.groupby("source_id").apply(lambda g: spearmanr(g.p, g.mos)[0])
        print(f"| {name} | {spearmanr(m.predict(x[tr]), spec.mos[tr])[0]:.2f} | "
              f"{spearmanr(held.p, held.mos)[0]:.2f} | {per.mean():.2f} "
              f"({per.min():.2f}–{per.max():.2f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

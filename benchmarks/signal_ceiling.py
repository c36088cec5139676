"""How far hand-made per-dimension signals get on a rating-mode split — the ceiling a no-reference
rater faces on that content, to read the learned models' numbers against.

    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet
    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet --features tokens
    python benchmarks/signal_ceiling.py /tmp/views/rating/specs.parquet --seen-content 3
    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet --features tokens \
        --held-out astronaut,hubble_deep_field,coins,brick,text

Per clip (`vqa.objective.signals`, which the `vqa label` baseline rater reads too): sharpness
(re-blur share, Laplacian variance, gradient percentiles), noise (high-pass std in the
flattest blocks), blockiness (8-px boundary vs interior differences), exposure (luma
percentiles, clipping), colour (colourfulness, opponent means, chroma), temporal (freezes,
frame-difference spread). `--features tokens`: instead, the clip summary of the `tiny` preset's
quality features (`vqa.model.quality`, as `sample_frames` gives them to the model) — what the
model's read-out could reach. Ridge, a small MLP and gradient boosting (scikit-learn, an MLflow
dependency) are fit on the train split and scored on the test split: pooled SRCC and SRCC
within each source. `--seen-content K` asks whether the content or the statistics fall short:
on a `learning.py --views` build it rates unseen clips (view K) of the training photographs.
`--held-out` tests on other photographs than the build's split (every other source trains), for
the same read-outs on several folds of one build.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))


def signals(path: str) -> dict:
    """The library's signals (`vqa.objective.signals`) on every frame of one clip."""
    from vqa.objective.signals import signals as clip_signals
    from vqa.video.decode import iter_frames

    return clip_signals(np.stack(list(iter_frames(path))))


def token_features(path: str) -> dict:
    """The clip-summary half of the tiny preset's quality features (same on every token)."""
    from vqa.model.frames import sample_frames
    from vqa.model.presets import tiny
    from vqa.model.quality import CELL_DIM

    f = sample_frames(tiny(), path)["quality"].frames[0, 0, CELL_DIM:]
    return {f"q{i}": float(v) for i, v in enumerate(f)}


def main(argv=None) -> int:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", help="specs.parquet of `vqa synthesize --mode rating`")
    ap.add_argument("--features", choices=("signals", "tokens"), default="signals")
    ap.add_argument("--seen-content", type=int, metavar="K", default=None,
                    help="control on a `learning.py --views` build: test on the training "
                         "photographs' view K (sources NAME_vK: the content seen, the clip not) "
                         "and train on their other views")
    ap.add_argument("--held-out", metavar="NAMES", default=None,
                    help="comma-separated source ids to test on instead of the build's test "
                         "split; every other source trains")
    args = ap.parse_args(argv)
    spec = pd.read_parquet(args.specs)
    spec = spec[spec.status == "ok"].reset_index(drop=True)
    if args.held_out is not None:
        if args.seen_content is not None:
            ap.error("--held-out and --seen-content are two different splits: give one")
        names = [n for n in args.held_out.split(",") if n]
        if unknown := sorted(set(names) - set(spec.source_id)):
            ap.error(f"--held-out: no source {', '.join(unknown)} in {args.specs}")
        spec = spec.assign(split=np.where(spec.source_id.isin(names), "test", "train"))
    if args.seen_content is not None:
        view = spec.source_id.str.endswith(f"_v{args.seen_content}")
        if not view.any():
            ap.error(f"--seen-content {args.seen_content}: no source named *_v"
                     f"{args.seen_content} (build with learning.py --views)")
        spec = spec[spec.split == "train"].assign(
            split=lambda d: np.where(view[d.index], "test", "train")).reset_index(drop=True)
    read = signals if args.features == "signals" else token_features
    x = pd.DataFrame([read(v) for v in spec.video])
    tr, te = (spec.split == "train").values, (spec.split == "test").values
    print(f"train {tr.sum()} clips / {spec[tr].source_id.nunique()} sources, "
          f"test {te.sum()} clips / {spec[te].source_id.nunique()} sources")
    models = {"ridge": make_pipeline(StandardScaler(), RidgeCV()),
              "MLP (64)": make_pipeline(StandardScaler(), MLPRegressor(
                  hidden_layer_sizes=(64,), alpha=1e-2, max_iter=2000, random_state=0)),
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

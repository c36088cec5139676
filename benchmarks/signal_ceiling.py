"""How far hand-made per-dimension signals get on a rating-mode split — the ceiling a no-reference
rater faces on that content, to read the learned models' numbers against.

    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet
    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet --features tokens
    python benchmarks/signal_ceiling.py /tmp/views/rating/specs.parquet --seen-content 3
    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet --features tokens \
        --held-out astronaut,hubble_deep_field,coins,brick,text --held-out chelsea,retina,moon
    python benchmarks/signal_ceiling.py /tmp/learning/rating/specs.parquet --features tokens \
        --held-out coffee,rocket,camera,gravel --train-sources 7 --draws 6

Per clip (`vqa.video.signals`, which the `vqa label` baseline rater reads too): sharpness
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
the same read-outs on several folds of one build; `--train-sources N` trains on random N-source
subsets of the training sources: how the held-out SRCC grows with the content trained on.
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
    """The library's signals (`vqa.video.signals`) on every frame of one clip."""
    from vqa.video.signals import signals as clip_signals
    from vqa.video.decode import iter_frames

    return clip_signals(np.stack(list(iter_frames(path))))


def token_features(path: str) -> dict:
    """The clip-summary half of the tiny preset's quality features (same on every token)."""
    from vqa.model.frames import sample_frames
    from vqa.model.presets import tiny
    from vqa.model.quality import CELL_DIM

    f = sample_frames(tiny(), path)["quality"].frames[0, 0, CELL_DIM:]
    return {f"q{i}": float(v) for i, v in enumerate(f)}


def fit_and_score(model, x: pd.DataFrame, spec: pd.DataFrame, tr: np.ndarray, te: np.ndarray):
    """Fit on the `tr` rows' MOS → (train SRCC, held-out pooled SRCC, SRCC per held-out source)."""
    model.fit(x[tr], spec.mos[tr])
    held = spec[te].assign(p=model.predict(x[te]))
    per = held.groupby("source_id").apply(lambda g: spearmanr(g.p, g.mos)[0])
    return spearmanr(model.predict(x[tr]), spec.mos[tr])[0], spearmanr(held.p, held.mos)[0], per


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
    ap.add_argument("--held-out", metavar="NAMES", action="append", default=None,
                    help="comma-separated source ids to test on instead of the build's test "
                         "split, every other source training; repeat it for several folds "
                         "(each reported, then their mean)")
    ap.add_argument("--train-sources", metavar="N[,N…]", default=None,
                    type=lambda v: [int(n) for n in v.split(",")],
                    help="train on N of the training sources only, drawn at random "
                         "--draws times (seeded), for each N given: how the held-out SRCC "
                         "grows with content")
    ap.add_argument("--draws", type=int, default=6,
                    help="subsets per fold with --train-sources")
    args = ap.parse_args(argv)
    if args.held_out is not None and args.seen_content is not None:
        ap.error("--held-out and --seen-content are two different splits: give one")
    if args.train_sources is not None and (min(args.train_sources) < 1 or args.draws < 1):
        ap.error("--train-sources and --draws must be >= 1")
    spec = pd.read_parquet(args.specs)
    spec = spec[spec.status == "ok"].reset_index(drop=True)
    folds = {"the build's split": spec.split.values}
    if args.held_out is not None:
        folds = {}
        for fold in args.held_out:
            names = [n for n in fold.split(",") if n]
            if unknown := sorted(set(names) - set(spec.source_id)):
                ap.error(f"--held-out: no source {', '.join(unknown)} in {args.specs}")
            folds[fold] = np.where(spec.source_id.isin(names), "test", "train")
    if args.seen_content is not None:
        view = spec.source_id.str.endswith(f"_v{args.seen_content}")
        if not view.any():
            ap.error(f"--seen-content {args.seen_content}: no source named *_v"
                     f"{args.seen_content} (build with learning.py --views)")
        keep = (spec.split == "train").values
        folds = {f"view {args.seen_content}": np.where(view[keep], "test", "train")}
        spec = spec[keep].reset_index(drop=True)
    for fold, split in folds.items():  # before the features: a bad split fails in a second
        n = spec.source_id[split == "train"].nunique()
        if n == 0 or not (split == "test").any():
            ap.error(f"fold {fold!r}: {n} training sources, {(split == 'test').sum()} test "
                     f"clips: nothing to fit or to score")
        if args.train_sources is not None and max(args.train_sources) > n:
            ap.error(f"--train-sources {max(args.train_sources)}: fold {fold!r} has {n} "
                     f"training sources")
    read = signals if args.features == "signals" else token_features
    cache = Path(args.specs).with_name(f"features-{args.features}.parquet")
    x = pd.read_parquet(cache) if cache.exists() else None
    if x is None or len(x) != len(spec):  # a cache of this build's clips, else computed anew
        x = pd.DataFrame([read(v) for v in spec.video])
        x.to_parquet(cache)
    models = {"ridge": lambda: make_pipeline(StandardScaler(), RidgeCV()),
              "MLP (64)": lambda: make_pipeline(StandardScaler(), MLPRegressor(
                  hidden_layer_sizes=(64,), alpha=1e-2, max_iter=2000, random_state=0)),
              "gradient boosting": lambda: HistGradientBoostingRegressor(max_iter=300,
                                                                         learning_rate=0.05)}
    rng = np.random.default_rng(0)
    sizes = args.train_sources or [None]
    means: dict[str, list[float]] = {f"{name}{f' @ {k}' if k else ''}": []
                                     for k in sizes for name in models}
    for (fold, split), k in ((f, size) for f in folds.items() for size in sizes):
        te = split == "test"
        sources = sorted(spec.source_id[split == "train"].unique())
        draws = [sources] if k is None else \
            [rng.choice(sources, k, replace=False) for _ in range(args.draws)]
        print(f"\n{fold}: train {len(draws[0])} of {len(sources)} sources"
              f"{f' × {len(draws)} draws' if len(draws) > 1 else ''}, test {te.sum()} clips / "
              f"{spec.source_id[te].nunique()} sources\n\n| fold | read-out | train SRCC | "
              f"held-out SRCC (pooled) | held-out SRCC within a source (mean, min–max) |\n"
              f"|---|---|---|---|---|")
        for name, make in models.items():
            fits = [fit_and_score(make(), x, spec, spec.source_id.isin(d).values, te)
                    for d in draws]
            pooled = [f[1] for f in fits]
            means[f"{name}{f' @ {k}' if k else ''}"].append(float(np.mean(pooled)))
            if len(fits) == 1:
                t, held, per = fits[0]
                print(f"| {fold} | {name} | {t:.2f} | {held:.2f} | {per.mean():.2f} "
                      f"({per.min():.2f}–{per.max():.2f}) |")
            else:
                print(f"| {fold} | {name} | {np.mean([f[0] for f in fits]):.2f} | "
                      f"{np.mean(pooled):.2f} (sd {np.std(pooled):.2f}) | "
                      f"{np.mean([f[2].mean() for f in fits]):.2f} |")
    if len(folds) > 1 or len(sizes) > 1:
        print(f"\n| read-out | held-out SRCC (pooled), mean of {len(folds)} folds |\n|---|---|")
        for name, v in means.items():
            print(f"| {name} | {np.mean(v):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Proof of learning (issue 10 §4): rating data from real photographs → `vqa train` → held-out
SRCC / PLCC before and after, per score-head dimension, and FG-benchmark MCQ accuracy; then the
strategies side by side (OmniVQA Table 4: direct, mix, complementary both orders, same budget).

    python benchmarks/learning.py --out /tmp/learning --steps 300 --strategies direct
    python benchmarks/learning.py --out /tmp/learning --steps 150    # all four strategies
    python benchmarks/learning.py --out /tmp/learning \
        --evaluate direct=/tmp/learning/train/direct/model       # a saved model, no training
    python benchmarks/learning.py --out /tmp/views --views 4 --seen-content 3 --tag _seen \
        --strategies direct --skip-untrained   # new clips of the training photographs

Beside each number, what it can mean: the SRCC a perfect ranker reaches when the labels' ties
fall in random order (a dimension that few clips damage ties most of its labels at 100), the
MCQ accuracy with every question asked of another clip (what answer priors alone score), and
the SRCC within each degradation type (severity ranked, apart from calibrating the types).

Sources are distinct scikit-image photographs (one clip each): the rating mode splits by source,
so a test clip's photograph is never seen in training. Everything runs through the CLI a user
would call (corpus clips, `vqa ingest`, `vqa synthesize --mode rating`, `vqa synthesize` +
`--benchmark`, `vqa train`, `vqa model init`), on the embedded local Ray and SQLite MLflow.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from vqa.cli import main as vqa
from vqa.corpus import BUNDLED_PHOTOS, make_clip

ROOT = Path(__file__).resolve().parents[1]
# 18 distinct photographs (skimage's `cat` IS `chelsea`: it is not listed twice, or one picture
# could land in both splits); 8 colour, the rest greyscale photographs, textures and scans
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field",
          "retina", "camera", "brick", "grass", "gravel", "coins", "moon", "clock", "page", "cell",
          "stereo_motorcycle", "text")
# held out: pinned so the test split looks like the training content (two colour photographs,
# a greyscale photograph, a texture) instead of whatever a hash of 18 names gives
HELD_OUT = ("coffee", "rocket", "camera", "gravel")
STRATEGIES = {"direct": "local-direct", "mix": "local-mix", "complementary":
              "local-complementary", "complementary-reverse": "local-complementary-reverse"}


def film_folder(corpus: Path, folder: Path, seconds: float) -> tuple[str, ...]:
    """--photos: each photograph under `folder` filmed once as the built-in ones are here
    (256×192, 12 fps), named after its path (`bsd100_101085`); photographs smaller than the
    clip are skipped (never upscaled). → the source names, in a stable order."""
    from vqa.corpus import pan_zoom, photo_files, read_photo
    from vqa.video import write_video

    corpus.mkdir(parents=True, exist_ok=True)
    names = []
    for i, path in enumerate(photo_files(folder)):
        name = "_".join(path.relative_to(folder).with_suffix("").parts).replace(" ", "_")
        clip = corpus / f"{name}.mp4"
        if not clip.exists():
            img = read_photo(path)
            if img is None or img.shape[0] < 192 or img.shape[1] < 256:
                continue
            frames = pan_zoom(img, 256, 192, round(seconds * 12), np.random.default_rng(i))
            write_video(frames, 12, clip, quality=18)
        names.append(name)
    return tuple(names)


def fold_of(names, folds: int, fold: int, seed: int = 0) -> tuple[str, ...]:
    """Fold `fold` of `folds`: every folds-th photograph of a seeded shuffle, so the K folds
    hold every photograph out exactly once."""
    order = np.random.default_rng(seed).permutation(len(names))
    return tuple(sorted(names[i] for i in order[fold::folds]))


def build_data(out: Path, photos, seconds: float, clips_per_source: int,
               held_out=HELD_OUT, incontext_seeds: int = 1, views: int = 1,
               rating_only: bool = False) -> dict:
    """`views`: clips per training photograph, each a pan / zoom of its own (`NAME_vK`, a source
    of its own); a held-out photograph keeps its one clip, so every --views rates the same
    held-out clips. `rating_only`: no in-context clips and no FG benchmark (the direct
    strategy's data)."""
    data = {"rating_train": out / "rating" / "train" / "samples.jsonl",
            "labels": out / "rating" / "labels.csv", "specs": out / "rating" / "specs.parquet"}
    if not rating_only:
        data.update(incontext=out / "incontext" / "samples.jsonl",
                    fg=out / "fg" / "benchmark.jsonl")
    if all(p.exists() for p in data.values()):  # built by an earlier run: reuse
        return data
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(photos):
        for v in range(1 if name in held_out else views):
            path = corpus / (f"{name}.mp4" if v == 0 else f"{name}_v{v}.mp4")
            if not path.exists():
                make_clip(path, name, 256, 192, 12, seconds, seed=i + 1000 * v, quality=18)
    vqa(["ingest", str(corpus), "--out", str(out / "ingest")])
    manifest = out / "ingest" / "manifest.parquet"
    rating_cfg = out / "rating.yaml"
    rating_cfg.write_text(yaml.safe_dump({
        "manifest": str(manifest), "out": str(out / "rating"), "mode": "rating",
        "rating": {"clips_per_source": clips_per_source, "max_seconds": seconds,
                   "splits": {"train": 0.75, "val": 0.0, "test": 0.25},
                   "held_out": [h for h in held_out if h in photos]}}))
    vqa(["synthesize", "--config", str(rating_cfg)])
    if rating_only:
        return data
    # the in-context training clips and the FG benchmark use the rating split's sources too, so
    # no strategy's stage sees a held-out photograph
    table = pq.read_table(manifest)
    test = pc.is_in(table.column("video_id"), pa.array(list(held_out)))
    pq.write_table(table.filter(pc.invert(test)), out / "manifest-train.parquet")
    pq.write_table(table.filter(test), out / "manifest-test.parquet")
    # each seed draws new regions, times and levels for every source's clips
    lines = []
    for seed in range(incontext_seeds):
        part = out / "incontext" / f"seed{seed}"
        vqa(["synthesize", "--manifest", str(out / "manifest-train.parquet"), "--holdout-fraction",
             "0", "--min-score", "0", "--seed", str(seed), "--out", str(part)])
        lines += (part / "samples.jsonl").read_text().splitlines()
    data["incontext"].write_text("\n".join(lines) + "\n")
    vqa(["synthesize", "--manifest", str(out / "manifest-test.parquet"), "--holdout-fraction",
         "1", "--min-score", "0", "--out", str(out / "fg"), "--benchmark", "--questions", "120"])
    return data


def seen_content(data: dict, view: int, out: Path) -> dict:
    """The control of `signal_ceiling.py --seen-content` for the LMM: train on the training
    photographs' other views, test on their view `view` (new clips of known content); the
    held-out photographs are left out."""
    out.mkdir(parents=True, exist_ok=True)

    def in_view(source_id: str) -> bool:  # the test clips: view `view` of a training photograph
        return source_id.endswith(f"_v{view}")

    lines = [ln for ln in data["rating_train"].read_text().splitlines() if ln.strip()]
    keep = [ln for ln in lines
            if not in_view(json.loads(json.loads(ln)["meta"])["source_id"])]
    if len(keep) == len(lines):
        raise SystemExit(f"--seen-content {view}: no training clip of a view {view} "
                         f"(build with --views {view + 1} or more)")
    (out / "samples.jsonl").write_text("\n".join(keep) + "\n")
    with open(data["labels"]) as f:
        rows = list(csv.DictReader(f))
    with open(out / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            if r["split"] == "train":
                w.writerow({**r, "split": "test" if in_view(r["source_id"]) else "train"})
    return {**data, "rating_train": out / "samples.jsonl", "labels": out / "labels.csv"}


def by_type(rated: list[dict], specs: Path) -> dict[str, float]:
    """Held-out SRCC within each degradation type: the clips that carry that type alone, beside
    their sources' references (is severity ranked, type by type, apart from calibrating one type
    against another)."""
    from vqa.evaluate.rating import correlations

    kinds = {r["video"]: r["types"] for r in pq.read_table(specs, columns=["video", "types"])
             .to_pylist()}
    out = {}
    for t in sorted({k for ts in kinds.values() for k in ts}):
        alone = [r for r in rated if kinds.get(r["video"]) == [t]]
        sources = {r["source_id"] for r in alone}
        rows = alone + [r for r in rated
                        if kinds.get(r["video"]) == [] and r["source_id"] in sources]
        out[t] = correlations([r["pred"] for r in rows], [r["mos"] for r in rows])["srcc"]
    return out


def evaluate(model_dir: Path, data: dict) -> dict:
    from vqa.evaluate.choice import mcq_accuracy, other_clips
    from vqa.evaluate.rating import rate_labelled, rating_table
    from vqa.model.vqa_model import VQAModel

    model = VQAModel.from_pretrained(model_dir)
    with open(data["labels"]) as f:
        rows = [{k: (float(v) if k in ("mos", "color", "noise", "artifact", "blur", "temporal",
                                      "overall") else v) for k, v in r.items()}
                for r in csv.DictReader(f) if r["split"] == "test"]
    rated = rate_labelled(model, rows)
    table = rating_table(rated, list(model.cfg.head.dimensions))
    if "fg" not in data:  # --rating-only
        return {"rating": table, "by_type": by_type(rated, data["specs"]), "mcq": {},
                "test_clips": len(rated)}
    items = [json.loads(line) for line in data["fg"].read_text().splitlines() if line.strip()]
    return {"rating": table, "by_type": by_type(rated, data["specs"]),
            "mcq": mcq_accuracy(model, items),
            # the control: the same questions of other clips (what answer priors alone score)
            "mcq_other_clips": mcq_accuracy(model, other_clips(items)),
            # the likeliest whole option answer ("B. the 2nd second") instead of the letter
            "mcq_answer": mcq_accuracy(model, items, "answer"),
            "mcq_answer_other_clips": mcq_accuracy(model, other_clips(items), "answer"),
            "test_clips": len(rated)}


def train(strategy: str, data: dict, out: Path, steps: int | None, workers: int, optim: dict,
          tag: str = "", model_set: dict | None = None, seed: int | None = None
          ) -> tuple[Path, float]:
    cfg = yaml.safe_load((ROOT / "configs" / f"{STRATEGIES[strategy]}.yaml").read_text())
    if model_set:
        cfg["model"].setdefault("overrides", {}).update(model_set)
    for ds in cfg["datasets"].values():
        ds["path"] = str(data["rating_train"] if "rating" in ds["path"] else data["incontext"])
    per_stage = {} if steps is None else {"max_steps": max(1, steps // len(cfg["stages"]))}
    for s in cfg["stages"]:
        s["optim"].update(optim, **per_stage)
    name = strategy + tag  # a new name: a new run (the same name resumes the last one)
    cfg.update(out=str(out / "train" / name), frames={"root": str(out / "frames")},
               scaling={"workers": workers, "cpus_per_worker": 1}, name=f"learning-{name}",
               checkpoint={"every_steps": None, "keep": 1}, log_every=25,
               **({} if seed is None else {"seed": seed}))
    path = out / f"train-{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    t0 = time.perf_counter()
    vqa(["train", "--config", str(path)])
    return out / "train" / name / "model", time.perf_counter() - t0


def markdown(results: dict) -> str:
    dims = ("color", "noise", "artifact", "blur", "temporal", "overall")
    lines = ["| model | train s | overall SRCC | overall PLCC | " +
             " | ".join(f"{d} SRCC" for d in dims) + " | MCQ acc (chance; S, T, ST) | "
             "MCQ acc, other clips | MCQ by whole answer (other clips) |", "|" + "---|" * 13]
    for name, r in results.items():
        t = r["rating"]
        o = t["overall (level logits)"]
        head = [t.get(f"{d} (head)", {}).get("srcc", float("nan")) for d in dims]
        m, c = r["mcq"], r.get("mcq_other_clips", {}).get("accuracy", float("nan"))
        secs = f"{r['train_s']:.0f}" if "train_s" in r else "-"
        ans = [r.get(k, {}).get("accuracy", float("nan"))
               for k in ("mcq_answer", "mcq_answer_other_clips")]
        mcq = "-" if not m else (  # --rating-only: no benchmark was asked
            f"{m['accuracy']:.3f} ({m['chance']:.3f}; " + ", ".join(
                f"{k} {m[f'accuracy_{k}']:.2f}" for k in ("S", "T", "ST")
                if f"accuracy_{k}" in m) + ")")
        lines.append(f"| {name} | {secs} | {o['srcc']:.3f} | {o['plcc']:.3f} | "
                     + " | ".join(f"{v:.3f}" for v in head)
                     + f" | {mcq} | {c:.3f} | {ans[0]:.3f} ({ans[1]:.3f}) |")
    t = next(iter(results.values()))["rating"]
    lines.append("| *a perfect ranker, ties in random order* | | "
                 f"{t['overall (level logits)'].get('srcc_ceiling', float('nan')):.3f} | | " +
                 " | ".join(f"{t.get(f'{d} (head)', {}).get('srcc_ceiling', float('nan')):.3f}"
                            for d in dims) + " | | | |")
    types = sorted({k for r in results.values() for k in r.get("by_type", {})})
    lines += ["", "Held-out SRCC within each degradation type (its single-type clips and their "
              "sources' references):", "", "| model | " + " | ".join(types) + " |",
              "|" + "---|" * (len(types) + 1)]
    lines += [f"| {name} | " + " | ".join(f"{r['by_type'].get(k, float('nan')):.2f}"
                                          for k in types) + " |"
              for name, r in results.items() if "by_type" in r]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="learning_out")
    ap.add_argument("--steps", type=int, default=None,
                    help="optimizer steps per strategy, split evenly over its stages (default: "
                         "the strategy config's epochs, i.e. the shipped recipe)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--clips-per-source", type=int, default=24)
    ap.add_argument("--sources", type=int, default=len(PHOTOS))
    ap.add_argument("--bundled-photos", action="store_true",
                    help=f"also the photographs other wheels ship ({', '.join(BUNDLED_PHOTOS)}):"
                         f" more content (a new --out)")
    ap.add_argument("--views", type=int, default=1,
                    help="clips (pan / zoom paths) per training photograph (a new --out)")
    ap.add_argument("--seen-content", type=int, metavar="K", default=None,
                    help="with --views: train on the training photographs' other views and "
                         "test on their view K (known content, new clips)")
    ap.add_argument("--skip-untrained", action="store_true", help="no untrained row")
    ap.add_argument("--incontext-seeds", type=int, default=1,
                    help="in-context clips per source and variant (one per seed)")
    ap.add_argument("--optim", type=json.loads, default={}, metavar="JSON",
                    help='merged into every stage\'s optim, e.g. \'{"weight_decay": 0.3}\'')
    ap.add_argument("--model-set", type=json.loads, default={}, metavar="JSON",
                    help='model overrides (nested), e.g. \'{"grounding": {"enabled": false}}\'')
    ap.add_argument("--seed", type=int, default=None,
                    help="the training seed (init, data order) instead of the configs' own")
    ap.add_argument("--tag", default="", help="suffix of the run names and train folders")
    ap.add_argument("--evaluate", action="append", default=[], metavar="NAME=MODEL_DIR",
                    help="evaluate a trained model folder on this split instead of training")
    ap.add_argument("--held-out", default=",".join(HELD_OUT),
                    help="photographs held out of training (a new --out for a new split)")
    ap.add_argument("--photos", type=Path, metavar="DIR",
                    help="the sources are the photographs under DIR (e.g. ../shared/photos), "
                         "one clip each, instead of the built-in ones; with --folds")
    ap.add_argument("--folds", type=int, default=0,
                    help="with --photos: hold out fold --fold of this many (by photograph)")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--train-photos", type=int, default=None, metavar="M",
                    help="with --photos: train on a seeded subset of M training photographs "
                         "(the content curve; a new --out)")
    ap.add_argument("--rating-only", action="store_true",
                    help="build the rating data only (no in-context clips, no FG benchmark): "
                         "the direct strategy")
    a = ap.parse_args(argv)
    out = Path(a.out).resolve()
    held_out = tuple(a.held_out.split(","))
    photos = PHOTOS[:a.sources] + (BUNDLED_PHOTOS if a.bundled_photos else ())
    if a.photos:
        if not 0 <= a.fold < a.folds:
            ap.error("--photos: give --folds N (>= 2) and --fold 0..N-1")
        photos = film_folder(out / "films", a.photos, a.seconds)
        held_out = fold_of(photos, a.folds, a.fold)
        train_photos = [p for p in photos if p not in held_out]
        if a.train_photos is not None:
            keep = np.random.default_rng(a.fold).permutation(len(train_photos))[:a.train_photos]
            train_photos = [train_photos[i] for i in sorted(keep)]
        photos = tuple(train_photos) + held_out
        (out / "corpus").mkdir(parents=True, exist_ok=True)
        for name in photos:  # the corpus ingest reads: the chosen photographs' clips only
            link = out / "corpus" / f"{name}.mp4"
            if not link.exists():
                link.symlink_to(out / "films" / f"{name}.mp4")
        print(f"{len(train_photos)} training photographs, {len(held_out)} held out "
              f"(fold {a.fold} of {a.folds})", flush=True)
    elif unknown := set(held_out) - set(PHOTOS + BUNDLED_PHOTOS):
        ap.error(f"--held-out: not among the photographs: {', '.join(sorted(unknown))}")
    saved = {}
    for item in a.evaluate:
        name, _, model = item.partition("=")
        if not name or not (Path(model) / "config.yaml").is_file():
            ap.error(f"--evaluate {item!r}: want NAME=MODEL_DIR, a saved model folder")
        saved[name] = model
    if a.views < 1:
        ap.error("--views: at least 1")
    if a.seen_content is not None and a.views < 2:
        ap.error("--seen-content: needs --views 2 or more (it tests on one view of each "
                 "training photograph and trains on the others)")
    if a.seen_content is not None and not 1 <= a.seen_content < a.views:
        ap.error(f"--seen-content {a.seen_content}: a view 1..{a.views - 1} of --views {a.views}")
    data = build_data(out, photos, a.seconds, a.clips_per_source, held_out,
                      a.incontext_seeds, a.views, a.rating_only)
    if a.seen_content is not None:
        data = seen_content(data, a.seen_content, out / f"seen-v{a.seen_content}")
    results = {}
    if saved:
        for name, model in saved.items():
            results[name] = evaluate(Path(model), data)
        print(markdown(results))
        return 0
    if not a.skip_untrained:
        vqa(["model", "init", "--preset", "tiny", "--out", str(out / "untrained"), "--overwrite"])
        results["untrained"] = evaluate(out / "untrained", data)
    for s in a.strategies.split(","):
        model, secs = train(s, data, out, a.steps, a.workers, a.optim, a.tag, a.model_set,
                            a.seed)
        results[s + a.tag] = {**evaluate(model, data), "train_s": secs}
        (out / f"results{a.tag}.json").write_text(json.dumps(results, indent=1, default=str))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

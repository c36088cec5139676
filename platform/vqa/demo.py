"""`make demo`: the platform end to end on embedded defaults (local Ray, SQLite MLflow, offline
data). Each step calls the same CLI the user would; later capabilities add steps."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from vqa.cli import main as vqa

console = Console()


def step_corpus(out: Path, state: dict) -> None:
    corpus = out / "corpus"
    vqa(["corpus", "make", "--out", str(corpus), "--num", "16", "--overwrite"])
    state["corpus"] = corpus


def step_ingest(out: Path, state: dict) -> None:
    ingest = out / "ingest"
    vqa(["ingest", str(state["corpus"]), "--out", str(ingest), "--overwrite"])
    summary = json.loads((ingest / "summary.json").read_text())
    state["manifest"] = Path(summary["manifest"])
    console.print(f"[bold]manifest:[/bold] {state['manifest']} "
                  f"({summary['kept']} kept, {summary['filtered']} filtered, "
                  f"{summary['failed']} failed)")


def step_mos(out: Path, state: dict) -> None:
    """A simulated subjective study (22 subjects, 2 of them bad) through `vqa mos`."""
    import pandas as pd
    from scipy.stats import spearmanr

    from vqa.subjective.simulate import StudySpec, simulate_study

    study = out / "study"
    study.mkdir(parents=True, exist_ok=True)
    ratings, truth, info = simulate_study(StudySpec(subjects=22, videos=60, bad_subjects=2))
    ratings.to_csv(study / "ratings.csv", index=False)
    truth.to_csv(study / "truth.csv", index=False)
    vqa(["mos", "--ratings", str(study / "ratings.csv"), "--out", str(out / "mos"),
         "--overwrite"])
    summary = json.loads((out / "mos" / "summary.json").read_text())
    mos = pd.read_parquet(out / "mos" / "mos.parquet").merge(truth, on=["video", "dimension"])
    srcc = spearmanr(mos["mos"], mos["truth"])[0]
    console.print(f"[bold]study:[/bold] planted bad subjects {sorted(info['bad_subjects'])}, "
                  f"rejected {sorted(summary['rejected'])}; {summary['outliers_removed']} "
                  f"outliers removed ({summary['outlier_pct']}%); {summary['samples']} QA "
                  f"samples; SRCC(MOS, simulated truth) = {srcc:.3f}")
    state["mos"] = out / "mos"


def step_score(out: Path, state: dict) -> None:
    """A RANDOM-INIT tiny model rates two clips: this shows the model path end to end (decode,
    vision tower, SlowFast, LLM, level logits), not quality judgements."""
    from vqa.data import read_manifest

    model = out / "model-tiny"
    vqa(["model", "init", "--preset", "tiny", "--out", str(model), "--overwrite"])
    paths = read_manifest(state["manifest"]).column("path").to_pylist()[:2]
    console.print("[bold yellow]The tiny model below is random-init and untrained: its scores "
                  "are not quality judgements.[/bold yellow]")
    vqa(["score", *paths, "--model", str(model)])
    state["model"] = model


def step_synthesize(out: Path, state: dict) -> None:
    """In-context branch + FG benchmark: distorted clips, their specs, a few generated Q&A."""
    syn, bench = out / "synthesize", out / "fg_benchmark"
    common = ["--manifest", str(state["manifest"]), "--holdout-fraction", "0.25", "--overwrite"]
    vqa(["synthesize", *common, "--out", str(syn)])
    vqa(["synthesize", *common, "--out", str(bench), "--benchmark", "--questions", "60"])
    samples = [json.loads(line) for line in (syn / "samples.jsonl").read_text().splitlines()]
    for s in samples[::13][:5]:  # a few clips, a few question forms
        q, a = (t["value"].removeprefix("<video>\n") for t in s["conversations"])
        console.print(f"[bold]{Path(s['video']).name}[/bold]\n  Q: {q}"
                      f"\n  [green]A: {a}[/green]")
    first = json.loads((bench / "benchmark.jsonl").read_text().splitlines()[0])
    console.print(f"[bold]FG benchmark ({first['category']})[/bold] {first['question']}\n"
                  f"  [green]answer: {first['answer']}[/green]")
    state["incontext_samples"] = syn / "samples.jsonl"
    state["fg_benchmark"] = bench / "benchmark.jsonl"


def step_rating(out: Path, state: dict) -> None:
    """Rating data with a known truth: global degradations at graded severities (no study)."""
    vqa(["synthesize", "--mode", "rating", "--manifest", str(state["manifest"]),
         "--out", str(out / "rating"), "--overwrite"])
    state["rating"] = out / "rating"


def step_train(out: Path, state: dict) -> None:
    """Complementary training (rating, then in-context) on 2 Ray Train workers with ZeRO-2;
    the trained model then rates held-out clips of the rating data."""
    import csv

    from scipy.stats import spearmanr

    train_out = out / "train" / "complementary"
    vqa(["train", "--config", "configs/local-complementary.yaml", "--out", str(train_out)])
    with (state["rating"] / "labels.csv").open() as f:
        test = [r for r in csv.DictReader(f) if r["split"] == "test"][:24]
    if not test:
        return
    model = train_out / "model"
    vqa(["score", *[r["video"] for r in test[:4]], "--model", str(model)])
    from vqa.model.vqa_model import VQAModel

    m = VQAModel.from_pretrained(model)
    pred = [m.rate(r["video"])["score"] for r in test]
    srcc = spearmanr(pred, [float(r["mos"]) for r in test])[0]
    console.print(f"[bold]held-out rating clips:[/bold] SRCC(score, synthetic MOS) = {srcc:.3f} "
                  f"over {len(test)} clips (benchmarks/learning.py measures it properly)")


STEPS = [step_corpus, step_ingest, step_mos, step_score, step_synthesize, step_rating,
         step_train]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vqa-demo", description=__doc__)
    parser.add_argument("--out", default="demo_out")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state: dict = {}
    from vqa.runtime import init_ray

    init_ray(worker_output=True)  # one local cluster for every step; training prints progress
    for step in STEPS:
        console.rule(step.__name__.removeprefix("step_"))
        step(out, state)
    console.rule("done")
    console.print(f"outputs under {out}/; runs in MLflow: mlflow ui --backend-store-uri "
                  f"sqlite:///mlruns.db")
    return 0


if __name__ == "__main__":
    sys.exit(main())

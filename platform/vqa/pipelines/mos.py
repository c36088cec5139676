"""The `mos` job: raw ratings → screened ratings, MOS table, report + plots, instruction samples.

Driver-side pandas work (a study is at most a few million ratings); the job wrapper still runs
it inside Ray + MLflow like every other job so the run, its config and its plots are tracked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from vqa.data import DIMENSIONS, read_labels, write_samples
from vqa.errors import ConfigError
from vqa.outputs import atomic_path, check_out_dir, write_text_atomic
from vqa.subjective import report as rep
from vqa.subjective.attributes import attribute_labels
from vqa.subjective.hidden_reference import flag_rerating
from vqa.subjective.levels import LSVQ_BOUNDARIES, OMNIVQA_WORDS, LevelConfig, assign_levels, \
    check_boundaries
from vqa.subjective.mos import MosConfig, compute_mos
from vqa.subjective.qa import QAConfig, build_samples
from vqa.subjective.ratings import RatingsError, check_ratings, read_ratings
from vqa.subjective.screening import ScreeningConfig, check_screenable, screen
from vqa.subjective.selection import level_distribution, reference_levels, total_variation
from vqa.subjective.splits import FINEVD_RATIOS, OMNIVQA_RATIOS, split_videos


@dataclass
class MosJobConfig:
    PATHS = ('ratings', 'out', 'objective')  # storage paths: vqa.storage.resolve at load
    ratings: str
    out: str
    dimensions: list[str] | None = None          # None: every dimension in the file
    score_range: list[float] = field(default_factory=lambda: [1.0, 5.0])  # the rating scale
    screening: ScreeningConfig = field(default_factory=ScreeningConfig)
    mos: MosConfig = field(default_factory=MosConfig)
    levels: LevelConfig = field(default_factory=LevelConfig)
    qa: QAConfig = field(default_factory=QAConfig)
    # Hidden reference (OmniVQA §4): objective scores (video,mos labels file) on objective_range.
    objective: str | None = None
    objective_range: list[float] = field(default_factory=lambda: [0.0, 100.0])
    reference_boundaries: list[float] = field(default_factory=lambda: list(LSVQ_BOUNDARIES))
    rerate_gap: int = 2                           # ≥ 2 levels from the reference → re-rate
    rerate_action: Literal["flag", "drop"] = "flag"  # drop: leave flagged scores out of the MOS
    # Level distribution to compare the study with: "lsvq", 5 fractions, or a labels file.
    reference_levels: str = "lsvq"
    split_ratios: list[float] | None = None       # None: 8:2 (OmniVQA), 4:1:1 for FineVD studies
    seed: int = 0

    def validate(self) -> None:
        if len(self.score_range) != 2 or self.score_range[0] >= self.score_range[1]:
            raise ConfigError(f"score_range must be [low, high] with low < high, got "
                              f"{self.score_range}")
        if len(self.objective_range) != 2 or self.objective_range[0] >= self.objective_range[1]:
            raise ConfigError(f"objective_range must be [low, high], got {self.objective_range}")
        if self.dimensions:
            bad = sorted(set(self.dimensions) - set(DIMENSIONS))
            if bad:
                raise ConfigError(f"dimensions: unknown {bad}; known: {list(DIMENSIONS)}")
        check_boundaries(self.reference_boundaries)
        if self.rerate_gap < 1:
            raise ConfigError("rerate_gap must be >= 1")


def prepare(cfg: MosJobConfig, overwrite: bool = False) -> pd.DataFrame:
    """Everything that can be wrong with the inputs, before Ray starts → the checked ratings:
    OUT, the ratings file (readable, rows, columns, scale), enough subjects for the screening
    and spread for z-scores, the objective labels file."""
    check_out_dir(cfg.out, overwrite)
    try:
        ratings = check_ratings(read_ratings(cfg.ratings), tuple(cfg.score_range),
                                cfg.dimensions)
        check_screenable(ratings, cfg.screening)
        if cfg.mos.normalize == "zscore":
            sd = ratings.groupby(["subject", "dimension"])["score"].std()
            if not (sd > 0).any():
                raise RatingsError("ratings: no subject gave two different scores in a "
                                   "dimension, so there are no z-scores to average",
                                   "pass --normalize raw")
    except RatingsError as exc:
        text = str(exc)
        raise RatingsError(text if text.startswith(str(cfg.ratings)) else
                           f"{cfg.ratings}: {text.removeprefix('ratings: ')}") from None
    if cfg.objective:
        read_labels(cfg.objective)
    return ratings


def run_mos(cfg: MosJobConfig, ratings: pd.DataFrame | None = None) -> dict:
    """Run the whole study processing; write everything under `cfg.out` and return the summary
    (summary.json last: its presence marks a finished run)."""
    ratings = prepare(cfg, overwrite=True) if ratings is None else ratings
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    score_range = tuple(cfg.score_range)
    summary: dict = {}

    if cfg.objective:
        objective = read_labels(cfg.objective).to_pandas()
        flagged = flag_rerating(ratings, objective, score_range, tuple(cfg.objective_range),
                                cfg.reference_boundaries, cfg.rerate_gap)
        flagged[flagged["rerate"]].to_csv(out / "rerate.csv", index=False)
        summary["rerate_flagged"] = int(flagged["rerate"].sum())
        summary["rerate_checked"] = int(len(flagged))
        if cfg.rerate_action == "drop":
            drop = flagged.index[flagged["rerate"]]
            ratings = ratings.drop(index=drop).reset_index(drop=True)

    result = screen(ratings, cfg.screening)
    result.ratings.to_parquet(out / "ratings_screened.parquet", index=False)
    result.subjects.to_csv(out / "subjects.csv", index=False)
    summary.update(rep.screening_summary(result.ratings, result.subjects))

    mos = compute_mos(result.kept, cfg.mos, score_range)
    mos, level_info = assign_levels(mos, cfg.levels)
    dims = sorted(set(mos["dimension"]))
    ratios = cfg.split_ratios or (FINEVD_RATIOS if set(DIMENSIONS) <= set(dims)
                                  else OMNIVQA_RATIOS)
    splits = split_videos(mos["video"], ratios, cfg.seed)
    mos["split"] = mos["video"].map(splits)
    for name, write in (("mos.parquet", mos.to_parquet), ("mos.csv", mos.to_csv)):
        with atomic_path(out / name) as tmp:
            write(tmp, index=False)

    attrs = None
    if "attributes" in result.kept.columns and result.kept["attributes"].str.len().gt(0).any():
        attrs = attribute_labels(result.ratings[~result.ratings["subject_rejected"]])
        attrs.to_csv(out / "attributes.csv", index=False)
        named = attrs["labels"].map(lambda x: any(a != "none" for a in x.split(";") if a))
        summary["attribute_labels"] = int(named.sum())  # (video, dimension) with a named type

    samples = build_samples(mos, cfg.qa, splits, attrs)
    write_samples(samples, out / "samples.jsonl")
    for name in sorted(set(splits.values())):
        write_samples([s for s in samples if s["meta"]["split"] == name],
                      out / f"samples_{name}.jsonl")

    summary["videos"] = int(mos["video"].nunique())
    summary["dimensions"] = ",".join(d for d in DIMENSIONS if d in dims)
    summary["samples"] = len(samples)
    summary["splits"] = {k: int(v) for k, v in pd.Series(splits).value_counts().sort_index()
                         .items()}
    summary.update(level_comparison(cfg, mos, ratings))

    corr = rep.dimension_correlation(mos)
    plots = [rep.plot_histograms(mos, out / "mos_histograms.png")]
    if len(corr) > 1:
        corr.round(4).to_csv(out / "dimension_correlation.csv")
        plots.append(rep.plot_correlation(corr, out / "dimension_correlation.png"))
    report = {**summary, "levels": level_info, "mos": rep.mos_summary(mos),
              "dimension_correlation": corr.round(4).to_dict() if len(corr) > 1 else {},
              "config_reference_levels": cfg.reference_levels}
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    _log_artifacts([*plots, out / "report.json", out / "subjects.csv"])
    summary["out"] = str(out)
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, default=str))
    return summary


def level_comparison(cfg: MosJobConfig, mos: pd.DataFrame, ratings: pd.DataFrame) -> dict:
    """Total variation between the reference level distribution and the study's: the objective
    levels of its videos (when given; what selection controls) and its overall raw-score means."""
    ref = reference_levels(cfg.reference_levels, (0, 100), LSVQ_BOUNDARIES)
    out = {}
    overall = ratings[ratings["dimension"] == "overall"].groupby("video")["score"].mean()
    if len(overall):
        dist = level_distribution(overall, tuple(cfg.score_range), cfg.reference_boundaries)
        out["overall_levels"] = dict(zip(OMNIVQA_WORDS, dist.round(4).tolist()))
        out["overall_levels_tv_to_reference"] = round(total_variation(dist, ref), 4)
    if cfg.objective:
        obj = read_labels(cfg.objective).to_pandas().set_index("video")["mos"]
        obj = obj[obj.index.isin(set(mos["video"]))]
        dist = level_distribution(obj, tuple(cfg.objective_range), cfg.reference_boundaries)
        out["objective_levels_tv_to_reference"] = round(total_variation(dist, ref), 4)
    return out


def _log_artifacts(paths) -> None:
    """Attach files to the active MLflow run, if any (the CLI opens one; library calls may not)."""
    import mlflow

    if mlflow.active_run() is None:
        return
    for p in paths:
        mlflow.log_artifact(str(p), artifact_path="report")

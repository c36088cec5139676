"""Synthesize: manifest → locally distorted clips + a parquet of specs → in-context instruction
samples (training) or OmniVQA-FG-style multiple-choice questions (held-out benchmark)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from vqa.data import fs
from vqa.data.io import read_manifest, read_parquet, write_samples
from vqa.distort.benchmark import Clip, build_benchmark
from vqa.distort.qa import clip_samples
from vqa.distort.rating import RatingParams
from vqa.distort.render import clip_seed, render_source
from vqa.distort.selection import select_sources
from vqa.distort.spatial import SPATIAL_TYPES, SpatialParams
from vqa.distort.spec import STUTTER, Distortion, PlanParams
from vqa.errors import ConfigError, InputError
from vqa.outputs import check_out_dir, write_text_atomic
from vqa.pipelines.context import single_stage

SPEC_SCHEMA = pa.schema([
    ("clip_id", pa.string()), ("source_id", pa.string()), ("source_path", pa.string()),
    ("variant", pa.string()), ("video", pa.string()), ("seed", pa.int64()),
    ("type", pa.string()), ("level", pa.int32()), ("level_name", pa.string()),
    ("location", pa.string()), ("box", pa.list_(pa.int32())), ("start", pa.int32()),
    ("duration", pa.int32()), ("start_frame", pa.int64()), ("end_frame", pa.int64()),
    ("visibility", pa.float64()),
    ("fps", pa.float64()), ("frames", pa.int64()), ("width", pa.int32()), ("height", pa.int32()),
    ("seconds", pa.int32()), ("encode", pa.string()), ("decode_s", pa.float64()),
    ("distort_s", pa.float64()), ("encode_s", pa.float64()), ("status", pa.string()),
    ("error", pa.string()),
])


@dataclass
class SynthesizeConfig:
    PATHS = ('manifest', 'out')  # storage paths: vqa.storage.resolve at load
    manifest: str
    out: str
    # incontext: local distortions + in-context Q&A (or the FG benchmark); rating: global
    # degradations + synthetic quality labels + rating Q&A, split by source (`rating`)
    mode: Literal["incontext", "rating"] = "incontext"
    benchmark: bool = False            # False: training samples; True: the held-out FG benchmark
    variants: list[str] = field(default_factory=lambda: [*SPATIAL_TYPES, STUTTER])  # one clip each
    seed: int = 0
    score_column: str = "objective_score"  # `vqa label`'s column; without it: every source
    min_score: float = 70.0            # in-context / FG machine part: objective label > 70
    holdout_fraction: float = 0.12     # ≈ 900 FG sources beside 6,500 in-context sources
    holdout_salt: str = "fg"
    max_sources: int | None = None
    questions_per_clip: int = 5        # in-context: 5 + 1 summary per video
    benchmark_questions: int = 750     # FG machine part: 750 = S 400 + T 200 + ST 150
    benchmark_mix: dict[str, int] = field(default_factory=lambda: {"S": 400, "T": 200, "ST": 150})
    templates: str = "incontext"       # a packaged template set or a path to a YAML file
    benchmark_templates: str = "benchmark"
    min_visibility: float = 0.0        # drop clips whose distortion changes < this (mean, 0–255);
    #                                    the paper filters invisible ones by hand
    plan: PlanParams = field(default_factory=PlanParams)
    spatial: SpatialParams = field(default_factory=SpatialParams)
    crf: int = 0                       # x264 lossless: no codec artifact on top of the labels
    pix_fmt: str = "yuv444p"           # no chroma subsampling
    preset: str = "ultrafast"         # lossless either way; 2× faster than veryfast, ~25 % bigger
    codec: str = "libx264"
    batch_size: int = 1                # sources per task (frames stream: memory ~ a few frames)
    rewrite: bool = False              # optional LLM rewrite of open answers (annotation endpoint)
    rewrite_base_url: str | None = None
    rewrite_model: str | None = None
    rewrite_api_key_env: str = "VQA_ANNOTATE_API_KEY"
    rating: RatingParams = field(default_factory=RatingParams)  # --mode rating only

    def validate(self) -> None:
        if self.mode == "rating":
            if self.benchmark:
                raise ConfigError("benchmark is an in-context mode option; --mode rating "
                                  "writes its own test split")
            self.rating.validate()
        bad = set(self.variants) - {*SPATIAL_TYPES, STUTTER}
        if bad or not self.variants:
            raise ConfigError(f"variants: unknown {sorted(bad)}; known {[*SPATIAL_TYPES, STUTTER]}")
        if not 0 <= self.holdout_fraction <= 1:
            raise ConfigError(f"holdout_fraction must be in [0, 1], got {self.holdout_fraction}")
        if set(self.benchmark_mix) - {"S", "T", "ST"}:
            raise ConfigError(f"benchmark_mix keys are S, T, ST; got {sorted(self.benchmark_mix)}")
        if self.min_visibility < 0 or self.questions_per_clip < 0:
            raise ConfigError("min_visibility and questions_per_clip must be >= 0")
        if not 1 <= self.plan.min_duration <= self.plan.max_duration:
            raise ConfigError("plan: need 1 <= min_duration <= max_duration")
        if self.rewrite and not (self.rewrite_base_url and self.rewrite_model):
            raise ConfigError("rewrite needs rewrite_base_url and rewrite_model")


def synthesize_batch(batch: pa.Table, cfg: SynthesizeConfig) -> pa.Table:
    """Ray Data stage: source rows → spec rows (one per distortion, or one error row)."""
    encode = {"quality": cfg.crf, "pix_fmt": cfg.pix_fmt, "preset": cfg.preset, "codec": cfg.codec,
              "threads": 1}  # each Ray task holds one CPU; x264 would otherwise take them all
    rows = []
    for source in batch.to_pylist():
        rows += render_source(source, cfg.variants, cfg.out, cfg.seed, cfg.plan, cfg.spatial,
                              encode, cfg.min_visibility)
    return pa.Table.from_pylist(rows, schema=SPEC_SCHEMA)


def clips_from_specs(specs: pa.Table) -> list[Clip]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in specs.filter(pc.equal(specs.column("status"), "ok")).to_pylist():
        groups[row["clip_id"]].append(row)
    return [Clip(cid, rows[0]["video"], [Distortion.from_dict(r) for r in rows],
                 rows[0]["seconds"], rows[0]["source_id"]) for cid, rows in sorted(groups.items())]


def _count_clips(specs: pa.Table, status: str) -> int:
    return len(set(specs.filter(pc.equal(specs.column("status"), status))
                   .column("clip_id").to_pylist()))


def load_sources(cfg: SynthesizeConfig) -> tuple[pa.Table, int, list[str]]:
    table = read_parquet(cfg.manifest)  # raw: keeps score columns the manifest schema lacks
    table = table.filter(pc.equal(table.column("status"), "ok"))
    total = table.num_rows
    table, warnings = select_sources(table, cfg.score_column, cfg.min_score,
                                     cfg.holdout_fraction, cfg.benchmark, cfg.holdout_salt)
    table = table.sort_by("video_id")
    if cfg.max_sources is not None:
        table = table.slice(0, cfg.max_sources)
    cols = ["video_id", "path", "fps", "frames", "width", "height"]
    return table.select(cols), total, warnings


def check_inputs(cfg: SynthesizeConfig, overwrite: bool = False) -> None:
    """Before Ray starts: OUT can take the run, the manifest is one, and sources are selected
    (no sources is an error, not an empty success)."""
    check_out_dir(cfg.out, overwrite)
    read_manifest(cfg.manifest, status=None)
    if cfg.mode == "rating":
        from vqa.pipelines.synthesize_rating import load_rating_sources

        sources, total = load_rating_sources(cfg)
        side = "ok"
    else:
        sources, total, warnings = load_sources(cfg)
        side = "held-out (--holdout-fraction)" if cfg.benchmark else "training"
    if not sources.num_rows:
        threshold = "" if cfg.mode == "rating" or warnings else \
            f" with {cfg.score_column} > {cfg.min_score:g}"
        raise InputError(f"{cfg.manifest}: no {side} sources{threshold} among its {total} "
                         f"usable (status ok) videos")


def run_synthesize(cfg: SynthesizeConfig) -> dict:
    """Distort on Ray Data; write clips/, specs.parquet and samples.jsonl or benchmark.jsonl
    (local or under a storage URI: the rows then hold the clips' URIs)."""
    import ray

    if cfg.mode == "rating":
        from vqa.pipelines.synthesize_rating import run_rating

        return run_rating(cfg)
    start = time.perf_counter()
    out = cfg.out
    fs.makedirs(out)
    sources, total, warnings = load_sources(cfg)
    if not sources.num_rows:
        side = "held-out (--holdout-fraction)" if cfg.benchmark else "training"
        warnings.append(f"no {side} sources selected out of {total} usable ones")
    if sources.num_rows:
        blocks = [sources.slice(i, cfg.batch_size)  # one block per task, no shuffle stage
                  for i in range(0, sources.num_rows, cfg.batch_size)]
        with single_stage():
            ds = ray.data.from_arrow(blocks)
            ds = ds.map_batches(synthesize_batch, batch_format="pyarrow",
                                batch_size=cfg.batch_size, num_cpus=1, fn_kwargs={"cfg": cfg})
            specs = pa.concat_tables(ray.get(ds.to_arrow_refs())).cast(SPEC_SCHEMA)
        specs = specs.sort_by([("clip_id", "ascending"), ("start", "ascending")])
    else:
        specs = SPEC_SCHEMA.empty_table()
    fs.write_parquet(specs, fs.join(out, "specs.parquet"))
    clips = clips_from_specs(specs)
    summary = {"mode": "benchmark" if cfg.benchmark else "train", "sources_ok": total,
               "sources_used": sources.num_rows, "clips": len(clips),
               "failed_clips": _count_clips(specs, "error"),
               "filtered_clips": _count_clips(specs, "filtered")}
    if cfg.benchmark:
        records = build_benchmark(clips, cfg.benchmark_mix, cfg.benchmark_questions, cfg.seed,
                                  cfg.benchmark_templates)
        fs.write_text(fs.join(out, "benchmark.jsonl"),
                      "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        summary["questions"] = len(records)
        for cat in ("S", "T", "ST"):
            summary[f"questions_{cat}"] = sum(r["category"] == cat for r in records)
        summary["output"] = fs.join(out, "benchmark.jsonl")
    else:
        samples = []
        for clip in clips:
            samples += clip_samples(clip.clip_id, clip.video, clip.specs, clip.seconds,
                                    seed=clip_seed(cfg.seed, clip.clip_id, "qa"),
                                    per_clip=cfg.questions_per_clip, templates=cfg.templates,
                                    extra_meta={"source_id": clip.source_id})
        if cfg.rewrite:
            from vqa.distort.rewrite import rewrite_samples

            samples, summary["rewritten"] = rewrite_samples(
                samples, cfg.rewrite_base_url, cfg.rewrite_model, cfg.rewrite_api_key_env)
        summary["samples"] = len(samples)
        summary["output"] = write_samples(samples, fs.join(out, "samples.jsonl"))
    elapsed = time.perf_counter() - start
    ok = specs.filter(pc.equal(specs.column("status"), "ok")).to_pylist()
    per_clip = {r["clip_id"]: r for r in ok}.values()
    distort_s = sum(r["distort_s"] for r in per_clip)
    encode_s = sum(r["encode_s"] for r in per_clip)
    decode_s = sum(r["decode_s"] for r in per_clip)
    summary.update(elapsed_s=round(elapsed, 3),
                   clips_per_s=round(len(clips) / elapsed, 3) if elapsed > 0 else 0.0,
                   decode_s=round(decode_s, 3), distort_s=round(distort_s, 3),
                   encode_s=round(encode_s, 3),
                   encode_share=round(encode_s / (decode_s + encode_s + distort_s), 3)
                   if encode_s + distort_s > 0 else 0.0,
                   specs=fs.join(out, "specs.parquet"), warnings=warnings)
    write_text_atomic(fs.join(out, "summary.json"), json.dumps(summary, indent=2))
    return summary

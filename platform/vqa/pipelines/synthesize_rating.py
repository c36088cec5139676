"""`vqa synthesize --mode rating`: manifest → globally degraded clips with synthetic quality
labels → OUT/clips/, specs.parquet, labels.csv, {train,val,test}/samples.jsonl, summary.json.

Sources are every usable (`ok`) manifest row: unlike the in-context mode there is no objective
score > 70 filter — a reference of any quality is fine, its label says how much worse each
degraded copy is. Splits go by source, so no source is in two splits."""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import math
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from vqa.data import fs
from vqa.data.io import read_parquet, write_samples
from vqa.distort.degrade import degrade_stream, visible_types
from vqa.distort.rating import SPLITS, clip_samples, plan_source, split_of
from vqa.distort.rating_label import FIVE, level_words, scores
from vqa.distort.render import _Timed, clip_seed
from vqa.errors import ConfigError
from vqa.outputs import write_text_atomic
from vqa.pipelines.context import single_stage
from vqa.video.decode import iter_frames
from vqa.video.writer import write_video

log = logging.getLogger("vqa.synthesize")

DIMS = [*FIVE, "overall"]
RATING_SCHEMA = pa.schema([
    ("clip_id", pa.string()), ("source_id", pa.string()), ("source_path", pa.string()),
    ("video", pa.string()), ("seed", pa.int64()), ("split", pa.string()),
    ("degradations", pa.string()), ("types", pa.list_(pa.string())),
    ("severities", pa.list_(pa.int32())), ("skipped_types", pa.list_(pa.string())),
    ("cast", pa.string()), ("mos", pa.float64()),
    ("level", pa.string()), *[(d, pa.float64()) for d in DIMS],
    ("fps", pa.float64()), ("frames", pa.int64()), ("width", pa.int32()), ("height", pa.int32()),
    ("encode", pa.string()), ("decode_s", pa.float64()), ("distort_s", pa.float64()),
    ("encode_s", pa.float64()), ("status", pa.string()), ("error", pa.string()),
])
LABEL_COLUMNS = ["video", "mos", "level", "split", "source_id", *DIMS]
CACHE_BYTES = 256 * 1024**2  # decode a source once when its cut fits; else once per clip
PROBE_FRAMES = 24            # frames that decide which degradation types a source shows


def _reason(exc: Exception) -> str:
    return getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"


def render_rating_source(source: dict, cfg) -> list[dict]:
    """One source → one row per planned clip (an error row per clip when it fails). A remote
    source is staged once; remote clips are written locally and uploaded."""
    with fs.staged(source["path"]) as (local, stage_error):
        return _render(source, local, stage_error, cfg)


def _render(source: dict, path: str | None, stage_error: str | None, cfg) -> list[dict]:
    r = cfg.rating
    vid = source["video_id"]
    fps, n = float(source["fps"]), int(source["frames"])
    if r.max_seconds is not None:
        n = min(n, max(1, int(math.floor(r.max_seconds * fps + 1e-6))))
    w, h = int(source["width"]), int(source["height"])
    split = split_of(vid, cfg.seed, r)
    encode = {"quality": cfg.crf, "pix_fmt": cfg.pix_fmt, "preset": cfg.preset,
              "codec": cfg.codec, "threads": 1}
    cached, decode_s, cache_error = None, 0.0, stage_error
    if cache_error is None and n * w * h * 3 <= CACHE_BYTES:
        t = time.perf_counter()
        try:
            cached = list(itertools.islice(iter_frames(path), n))
            if len(cached) != n:
                raise ValueError(f"decoded {len(cached)} frames, the manifest says >= {n}")
        except Exception as exc:
            cache_error = _reason(exc)
        decode_s = time.perf_counter() - t
    types = list(r.types)
    if cache_error is None:
        try:
            probe = cached[:PROBE_FRAMES] if cached is not None else \
                list(itertools.islice(iter_frames(path), PROBE_FRAMES))
            types = visible_types(probe, r.types, r.min_chroma, r.min_motion)
        except Exception as exc:
            cache_error = _reason(exc)
    skipped = sorted(set(r.types) - set(types))
    if not types:
        types, cache_error = list(r.types), (
            f"none of the types {list(r.types)} is visible on this source (greyscale: no "
            f"desaturation; still: no stutter / judder)")
    rows, plans = [], plan_source(vid, cfg.seed, r, types)
    for plan in plans:
        degs = plan["degradations"]
        sc = scores(degs, r.label)
        words = level_words(sc)
        seed = clip_seed(cfg.seed, vid, plan["clip_id"])
        video = fs.join(cfg.out, "clips", f"{plan['clip_id']}.mp4")
        row = dict(clip_id=plan["clip_id"], source_id=vid, source_path=source["path"], video=None,
                   seed=seed, split=split, degradations="+".join(f"{t}-{s}" for t, s in degs)
                   or "reference", types=[t for t, _ in degs], severities=[s for _, s in degs],
                   skipped_types=skipped, cast=plan["cast"], mos=sc["overall"],
                   level=words["overall"], **sc, fps=fps,
                   frames=n, width=w, height=h, decode_s=decode_s / len(plans),
                   status="ok", error=None)
        if cache_error:
            rows.append(dict(row, status="error", error=cache_error))
            continue
        try:
            with fs.local_output(video) as written:
                row.update(_write_clip(cached, path, n, fps, w, h, degs, seed, plan, r, encode,
                                       Path(written)))
            row.update(video=video)
        except Exception as exc:
            fs.remove(video)
            row.update(status="error", error=_reason(exc))
        rows.append(row)
    return rows


def _write_clip(cached, path, n, fps, w, h, degs, seed, plan, r, encode, video: Path) -> dict:
    """Degrade (through a real H.264 encode when planned) and write one clip; its row fields."""
    tmp = video.with_name(f".{video.stem}.h264.mp4")
    try:
        frames = cached if cached is not None else itertools.islice(iter_frames(path), n)
        t0 = time.perf_counter()
        timed = _Timed(degrade_stream(iter(frames), fps, degs, r.degrade, seed,
                                      plan["cast"]))
        out = timed
        crf = [s for t, s in degs if t == "h264"]
        if crf:  # a real H.264 encode at a high CRF, decoded before the lossless write
            pix = "yuv420p" if w % 2 == 0 and h % 2 == 0 else "yuv444p"
            write_video(out, fps, tmp, quality=r.degrade.value("h264", crf[0]),
                        preset=r.degrade.h264_preset, pix_fmt=pix, threads=1)
            out = iter_frames(tmp)
        settings = write_video(out, fps, video, **encode)
        if settings["frames"] != n:
            raise ValueError(f"wrote {settings['frames']} frames, expected {n}")
        return dict(encode=json.dumps(settings, sort_keys=True), distort_s=timed.seconds,
                    encode_s=time.perf_counter() - t0 - timed.seconds)
    finally:
        tmp.unlink(missing_ok=True)


def rating_batch(batch: pa.Table, cfg) -> pa.Table:
    """Ray Data stage: source rows → one row per clip."""
    rows = []
    for source in batch.to_pylist():
        rows += render_rating_source(source, cfg)
    return pa.Table.from_pylist(rows, schema=RATING_SCHEMA)


def load_rating_sources(cfg) -> tuple[pa.Table, int]:
    table = read_parquet(cfg.manifest)
    table = table.filter(pc.equal(table.column("status"), "ok")).sort_by("video_id")
    total = table.num_rows  # no objective-score threshold here (see the module docstring)
    missing = sorted(set(cfg.rating.held_out) - set(table.column("video_id").to_pylist()))
    if missing:  # a typo would silently make an empty test split
        raise ConfigError(f"rating.held_out: {missing} are not usable sources of "
                          f"{cfg.manifest} (ids are the manifest's video_id)")
    if cfg.max_sources is not None:
        table = table.slice(0, cfg.max_sources)
    return table.select(["video_id", "path", "fps", "frames", "width", "height"]), total


def write_labels(rows: list[dict], path: str) -> None:
    text = io.StringIO(newline="")
    w = csv.writer(text)
    w.writerow(LABEL_COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in LABEL_COLUMNS])
    fs.write_text(path, text.getvalue())


def run_rating(cfg) -> dict:
    import ray

    from vqa.model.config import PromptConfig

    start = time.perf_counter()
    out = cfg.out
    fs.makedirs(out)
    sources, total = load_rating_sources(cfg)
    warnings = [] if sources.num_rows else [f"no sources selected out of {total} usable ones"]
    if sources.num_rows:
        blocks = [sources.slice(i, cfg.batch_size)
                  for i in range(0, sources.num_rows, cfg.batch_size)]
        with single_stage():
            ds = ray.data.from_arrow(blocks)
            ds = ds.map_batches(rating_batch, batch_format="pyarrow", batch_size=cfg.batch_size,
                                num_cpus=1, fn_kwargs={"cfg": cfg})
            specs = pa.concat_tables(ray.get(ds.to_arrow_refs())).cast(RATING_SCHEMA)
        specs = specs.sort_by("clip_id")
    else:
        specs = RATING_SCHEMA.empty_table()
    fs.write_parquet(specs, fs.join(out, "specs.parquet"))
    ok = specs.filter(pc.equal(specs.column("status"), "ok")).to_pylist()
    write_labels(ok, fs.join(out, "labels.csv"))
    prompt = PromptConfig()
    per_split: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for r in ok:
        sc = {d: r[d] for d in DIMS}
        meta = {"source_id": r["source_id"], "degradations": r["degradations"]}
        per_split[r["split"]] += clip_samples(r["clip_id"], r["video"], sc, level_words(sc),
                                              r["split"], meta, cfg.rating, prompt.question,
                                              prompt.answer_prefix)
    for s in SPLITS:
        write_samples(per_split[s], fs.join(out, s, "samples.jsonl"))
    elapsed = time.perf_counter() - start
    errors = [r for r in specs.to_pylist() if r["status"] == "error"]
    summary = {
        "mode": "rating", "sources_ok": total, "sources_used": sources.num_rows,
        "clips": len(ok), "failed_clips": len(errors),
        "failed_sources": len({r["source_id"] for r in errors}),
        "samples": sum(len(v) for v in per_split.values()),
        "invisible_types": dict(sorted(Counter(
            t for r in {r["source_id"]: r for r in specs.to_pylist()}.values()
            for t in r["skipped_types"] or ()).items())),  # sources per type left out
        "splits": {s: {"sources": len({r["source_id"] for r in ok if r["split"] == s}),
                       "clips": sum(r["split"] == s for r in ok),
                       "samples": len(per_split[s])} for s in SPLITS},
        "levels": dict(sorted(Counter(r["level"] for r in ok).items())),
        "levels_by_split": {s: dict(sorted(Counter(r["level"] for r in ok
                                                   if r["split"] == s).items()))
                            for s in SPLITS},
        "elapsed_s": round(elapsed, 3),
        "clips_per_s": round(len(ok) / elapsed, 3) if elapsed > 0 else 0.0,
        "encode_s": round(sum(r["encode_s"] or 0.0 for r in ok), 3),
        "specs": fs.join(out, "specs.parquet"), "labels": fs.join(out, "labels.csv"),
        "output": str(out), "warnings": warnings,
    }
    write_text_atomic(fs.join(out, "summary.json"), json.dumps(summary, indent=2))
    return summary

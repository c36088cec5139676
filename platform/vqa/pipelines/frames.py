"""Frames: instruction samples (or a manifest) + a model config → frame shards under
`<out>/<frames_key>/` (Ray Data, CPU, one decode per task), and the training dataset that joins
samples with their stored frames so Train workers never open a video."""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from vqa.data import fs
from vqa.data.frame_store import (
    PARTS,
    encode_row,
    error_row,
    frames_table,
    join_samples,
    read_frames,
    shard_dir,
    stored_videos,
    write_part,
    write_spec,
)
from vqa.data.io import read_manifest, read_samples
from vqa.data.schemas import STATUS_ERROR, STATUS_OK
from vqa.errors import ConfigError, VideoError
from vqa.model.frames import frame_spec, frames_key, sample_frames
from vqa.model.presets import model_config
from vqa.pipelines.context import single_stage

log = logging.getLogger("vqa.frames")


@dataclass
class FramesJobConfig:
    PATHS = ('out', 'samples', 'manifest')  # storage paths: vqa.storage.resolve at load
    out: str                                   # ROOT: shards go to ROOT/<frames_key>/
    samples: list[str] = field(default_factory=list)  # instruction sample files (jsonl/json/parquet)
    manifest: str | None = None                # or/and an ingest manifest (its ok rows' paths)
    preset: str | None = None                  # a model preset name …
    model: str | None = None                   # … or a saved model folder (config.yaml only)
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted: {"frames.uniform": 8}
    video_root: str | None = None              # relative video paths resolve here (else cwd)
    batch_size: int = 1                        # videos per task (each writes one part file)

    def validate(self) -> None:
        if not self.samples and self.manifest is None:
            raise ConfigError("frames: give samples (instruction files) and/or a manifest")
        if (self.preset is None) == (self.model is None):
            raise ConfigError("frames: give exactly one of preset and model")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")


def load_samples(paths: pa.Table | str | os.PathLike | list) -> pa.Table:
    """A samples table as is, or the concatenation of `read_samples` over one or more files."""
    if isinstance(paths, pa.Table):
        return paths
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return pa.concat_tables([read_samples(p) for p in paths])


def collect_videos(cfg: FramesJobConfig) -> list[str]:
    """Distinct video strings, in first-seen order, exactly as the inputs spell them."""
    videos: list[str] = []
    if cfg.samples:
        videos += load_samples(cfg.samples).column("video").to_pylist()
    if cfg.manifest is not None:
        videos += read_manifest(cfg.manifest, status=STATUS_OK).column("path").to_pylist()
    return list(dict.fromkeys(videos))


def resolve(video: str, root: str | None) -> str:
    if root is None or os.path.isabs(video) or fs.is_remote(video):
        return video
    return os.path.join(root, video)


def frame_row(video: str, mcfg, root: str | None) -> dict:
    """One shard row; any failure becomes `status=error` with the reason, never an exception.
    A remote video (s3://…, as synthesize writes them) is staged for the decode."""
    try:
        with fs.local_copy(resolve(video, root)) as local:
            return encode_row(video, sample_frames(mcfg, local))
    except VideoError as exc:
        return error_row(video, exc.reason)
    except Exception as exc:  # whatever a broken file provokes, kept with its type
        return error_row(video, f"{type(exc).__name__}: {exc}")


def frames_batch(batch: pa.Table, mcfg, out: str, key: str, root: str | None) -> pa.Table:
    """Ray Data stage: videos → decoded rows written as one part file; returns only the small
    per-video summary (video, status, error, bytes), so frames never travel to the driver."""
    rows = [frame_row(v, mcfg, root) for v in batch.column("video").to_pylist()]
    path = write_part(out, key, frames_table(rows))
    return pa.table({"video": [r["video"] for r in rows], "status": [r["status"] for r in rows],
                     "error": pa.array([r["error"] for r in rows], pa.string()),
                     "bytes": [sum(len(r[p] or b"") for p in PARTS) for r in rows],
                     "file_bytes": [path.stat().st_size] + [0] * (len(rows) - 1)})


def decode_videos(todo: list[str], mcfg, out: str, key: str, root: str | None = None,
                  batch_size: int = 1) -> pa.Table:
    """Ray Data: decode `todo` into part files under OUT/KEY → the per-video summary table."""
    import ray

    if not todo:
        return pa.table({"video": pa.array([], pa.string()), "status": pa.array([], pa.string()),
                         "error": pa.array([], pa.string()), "bytes": pa.array([], pa.int64()),
                         "file_bytes": pa.array([], pa.int64())})
    table = pa.table({"video": todo})
    blocks = [table.slice(i, batch_size) for i in range(0, len(todo), batch_size)]
    with single_stage():
        ds = ray.data.from_arrow(blocks)  # one block per task, no repartition
        ds = ds.map_batches(frames_batch, batch_format="pyarrow", batch_size=batch_size,
                            num_cpus=1, fn_kwargs=dict(mcfg=mcfg, out=out, key=key, root=root))
        return pa.concat_tables(ray.get(ds.to_arrow_refs()))


def ensure_frames(samples: pa.Table, mcfg, root: str, build: bool = True) -> str:
    """The training job's side of `vqa frames`: decode the videos these samples name that the
    shards under ROOT/<key> lack (unless `build` is off) → the key."""
    key = frames_key(mcfg)
    write_spec(root, key, frame_spec(mcfg))
    videos = list(dict.fromkeys(samples.column("video").to_pylist()))
    stored = stored_videos(root, key)  # once: it reads every part file of the store
    todo = [v for v in videos if v not in stored]
    if todo and build:
        log.info("decoding %d videos into %s", len(todo), shard_dir(root, key))
        decode_videos(todo, mcfg, root, key)
    return key


def run_frames(cfg: FramesJobConfig) -> dict:
    """Decode every video not yet stored under this frame config's key; write part files and
    `frames.yaml`; return the summary (videos, reused, decoded, ok, failed, throughput)."""
    start = time.perf_counter()
    mcfg = model_config(cfg.preset, cfg.model, cfg.overrides)
    key = frames_key(mcfg)
    write_spec(cfg.out, key, frame_spec(mcfg))
    videos = collect_videos(cfg)
    todo = [v for v in videos if v not in stored_videos(cfg.out, key)]
    done = decode_videos(todo, mcfg, cfg.out, key, cfg.video_root, cfg.batch_size)
    elapsed = time.perf_counter() - start
    status = Counter(done.column("status").to_pylist())
    reasons = Counter(str(e).split(" (")[0].split(":")[0]
                      for e, s in zip(done.column("error").to_pylist(),
                                      done.column("status").to_pylist()) if s == STATUS_ERROR)
    summary = {
        "key": key, "shards": str(shard_dir(cfg.out, key)), "videos": len(videos),
        "reused": len(videos) - len(todo), "decoded": len(todo),
        "ok": status.get(STATUS_OK, 0), "failed": status.get(STATUS_ERROR, 0),
        "frame_mb": round(sum(done.column("bytes").to_pylist()) / 2**20, 2),
        "written_mb": round(sum(done.column("file_bytes").to_pylist()) / 2**20, 2),
        "elapsed_s": round(elapsed, 3),
        "decoded_per_s": round(len(todo) / elapsed, 2) if elapsed > 0 else float("nan"),
        "error_reasons": dict(reasons.most_common()),
    }
    (shard_dir(cfg.out, key) / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def training_table(samples, frames_root: str | os.PathLike, key: str) -> tuple[pa.Table, dict]:
    """Ray-free half of `training_dataset`: the joined table and the counts."""
    table, counts = join_samples(load_samples(samples), read_frames(frames_root, key))
    if counts["dropped"]:
        log.warning("training data: dropped %d of %d samples with no ok frames (%d broken "
                    "videos' samples, %d never stored under %s)", counts["dropped"],
                    counts["samples"], counts["error"], counts["missing"],
                    Path(frames_root) / key)
    return table, counts


def training_dataset(samples, frames_root: str | os.PathLike, key: str):
    """Samples (a table, a path or a list of paths) joined with their stored frames →
    `(ray.data.Dataset, counts)`, counts = {samples, kept, dropped, error, missing}.

    Each row: id, video, conversations (JSON text), task, mos, scores (JSON text or null) + the
    frame columns; in the worker, `decode_row(row)` gives the frames and
    `frame_store.sample_from_row(row)` the sample, for `prepare_sample(model, sample, video=…)`.
    The join runs in pyarrow on the driver before `ray.data.from_arrow`: the joined frames pass
    through driver memory once — right for our sizes (tiny: ~KB per video; 7B configs ~20 MB
    per video, so tens of GB for 1k+ videos want a distributed join over `read_parquet`)."""
    import ray

    table, counts = training_table(samples, frames_root, key)
    return ray.data.from_arrow(table), counts

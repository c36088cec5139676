"""Ingest: a pool of videos → a parquet manifest (probe fields, duration filter, error rows)."""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa

from vqa.data import fs
from vqa.data.io import manifest_table, write_manifest
from vqa.data.schemas import STATUS_ERROR, STATUS_FILTERED, STATUS_OK
from vqa.data.sources import assign_ids, list_videos
from vqa.errors import ConfigError, InputError, VideoError
from vqa.outputs import atomic_path, check_out_dir, write_text_atomic
from vqa.pipelines.context import single_stage
from vqa.video.probe import probe


@dataclass
class IngestConfig:
    PATHS = ('src', 'out')  # storage paths: vqa.storage.resolve at load
    src: str
    out: str
    min_duration: float = 3.0  # OmniVQA's pool: length in [3, 15) s
    max_duration: float = 15.0
    verify: Literal["none", "packets", "decode"] = "packets"
    batch_size: int = 8  # videos per probe task

    def validate(self) -> None:
        if self.min_duration < 0 or self.max_duration <= self.min_duration:
            raise ConfigError(f"need 0 <= min_duration < max_duration, got "
                              f"[{self.min_duration}, {self.max_duration})")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")


def probe_row(video_id: str, path: str, verify: str, min_duration: float,
              max_duration: float) -> dict:
    """One manifest row; any failure becomes `status=error` with the reason, never an exception.
    A remote video (s3://…) is staged into the task's scratch folder for the probe."""
    row = {"video_id": video_id, "path": path, "status": STATUS_OK, "error": None}
    try:
        with fs.local_copy(path) as local:
            row["size_bytes"] = os.path.getsize(local)
            info = probe(local, verify=verify)
        row.update(info.to_dict())
        if not min_duration <= info.duration < max_duration:
            row["status"] = STATUS_FILTERED
            row["error"] = (f"duration {info.duration:.2f} s outside "
                            f"[{min_duration:g}, {max_duration:g})")
    except VideoError as exc:
        row.update(status=STATUS_ERROR, error=exc.reason)
    except Exception as exc:  # anything else a broken file can provoke, kept with its type
        row.update(status=STATUS_ERROR, error=f"{type(exc).__name__}: {exc}")
    return row


def probe_batch(batch: pa.Table, verify: str, min_duration: float,
                max_duration: float) -> pa.Table:
    """Ray Data stage: (video_id, path) batch → manifest rows."""
    rows = [probe_row(v, p, verify, min_duration, max_duration)
            for v, p in zip(batch.column("video_id").to_pylist(), batch.column("path").to_pylist())]
    return manifest_table(rows)


def summarize(manifest: pa.Table, elapsed: float) -> dict:
    status = Counter(manifest.column("status").to_pylist())
    reasons = Counter(e.split(" (")[0].split(":")[0] for e, s in zip(manifest.column("error").to_pylist(),
                                                       manifest.column("status").to_pylist())
                      if s == STATUS_ERROR)
    total = manifest.num_rows
    return {
        "videos": total,
        "kept": status.get(STATUS_OK, 0),
        "filtered": status.get(STATUS_FILTERED, 0),
        "failed": status.get(STATUS_ERROR, 0),
        "elapsed_s": round(elapsed, 3),
        "videos_per_s": round(total / elapsed, 2) if elapsed > 0 else float("nan"),
        "error_reasons": dict(reasons.most_common()),
    }


def check_inputs(cfg: IngestConfig, overwrite: bool = False) -> list[dict]:
    """Before Ray starts: OUT can take the run and SRC names at least one video → its rows."""
    check_out_dir(cfg.out, overwrite)
    rows = assign_ids(list_videos(cfg.src))
    if not rows:
        if Path(cfg.src).is_dir():
            raise InputError(f"{cfg.src}: no videos matched (no file in the folder or below it "
                             f"has a video extension: .mp4, .mkv, .mov, …)")
        raise InputError(f"{cfg.src}: no videos matched",
                         "check the path or the glob (quote it: 'pool/**/*.mp4')")
    return rows


def run_ingest(cfg: IngestConfig, rows: list[dict] | None = None) -> dict:
    """Probe every video on Ray Data; write `<out>/manifest.parquet` and `summary.json` (local
    or under a storage URI; each under a temporary name first, summary.json last, so its
    presence means finished)."""
    import ray

    start = time.perf_counter()
    rows = check_inputs(cfg, overwrite=True) if rows is None else rows
    fs.makedirs(cfg.out)
    if rows:
        with single_stage():
            ds = ray.data.from_items(rows, override_num_blocks=max(1, math.ceil(len(rows) /
                                                                             cfg.batch_size)))
            ds = ds.map_batches(
                probe_batch,
                batch_format="pyarrow",
                batch_size=cfg.batch_size,
                num_cpus=1,
                fn_kwargs=dict(verify=cfg.verify, min_duration=cfg.min_duration,
                               max_duration=cfg.max_duration),
            )
            manifest = pa.concat_tables(ray.get(ds.to_arrow_refs()))
        manifest = manifest.sort_by("video_id")
    else:
        manifest = manifest_table([])
    path = fs.join(cfg.out, "manifest.parquet")
    with atomic_path(path) as tmp:
        write_manifest(manifest, tmp)
    summary = summarize(manifest, time.perf_counter() - start)
    summary["manifest"] = path
    write_text_atomic(fs.join(cfg.out, "summary.json"), json.dumps(summary, indent=2))
    return summary

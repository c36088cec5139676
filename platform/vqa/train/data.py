"""What a stage trains on: its datasets read, filtered and checked in the driver (before Ray
starts a worker), then streamed in the worker as micro-batches of decodable samples.

A sample whose video is missing or broken is skipped and counted, never a crash mid-epoch; a
stage with no usable sample fails up front with the reason."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vqa.data import read_samples
from vqa.data.frame_store import sample_from_row
from vqa.errors import ConfigError, VideoError
from vqa.train.config import DatasetSpec, StageConfig, TrainConfig

SKIPPABLE = (VideoError, FileNotFoundError, OSError, ValueError)


def _resolve(video: str, base: Path) -> str:
    """Relative clip paths are relative to the samples file (else to the working directory)."""
    p = Path(video)
    if p.is_absolute() or "://" in video:
        return video
    near = base / p
    return str(near.resolve() if near.exists() else p.resolve())


def read_dataset(name: str, spec: DatasetSpec) -> pa.Table:
    path = Path(spec.path)
    if not path.exists():
        raise ConfigError(f"datasets.{name}.path: {path} does not exist")
    table = read_samples(path)
    if spec.tasks:
        table = table.filter(pc.is_in(table.column("task"), pa.array(spec.tasks)))
    if spec.meta:
        try:
            keep = meta_matches(table.column("meta").to_pylist(), spec.meta)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"datasets.{name}.meta: {path} has a row whose meta is not JSON "
                              f"({exc})") from exc
        table = table.filter(pa.array(keep, pa.bool_()))
    if spec.max_samples is not None:
        table = table.slice(0, spec.max_samples)
    base = path.parent if path.is_file() else path
    videos = [_resolve(v, base) for v in table.column("video").to_pylist()]
    return table.set_column(table.schema.get_field_index("video"), "video",
                            pa.array(videos, pa.string()))  # typed: an empty filter joins


def meta_matches(metas: list[str | None], wanted: dict[str, list]) -> list[bool]:
    """Whether each row's meta (JSON text) holds, for every wanted key, one of its values."""
    out = []
    for text in metas:
        meta = json.loads(text) if text else {}
        out.append(isinstance(meta, dict) and all(meta.get(k) in v for k, v in wanted.items()))
    return out


def repeated(table: pa.Table, times: float, seed: int) -> pa.Table:
    """Every row `int(times)` times, plus a seeded subset for the fraction."""
    whole, part = divmod(times, 1.0)
    parts = [table] * int(whole)
    if part > 0 and table.num_rows:
        rng = np.random.default_rng(seed)
        n = max(1, round(part * table.num_rows))
        parts.append(table.take(np.sort(rng.choice(table.num_rows, n, replace=False))))
    return pa.concat_tables(parts) if parts else table  # repeat < 1 of an empty table


def stage_samples(cfg: TrainConfig, stage: StageConfig) -> tuple[pa.Table, dict]:
    """The stage's samples (its datasets, each `repeat` times, concatenated) and counts;
    missing clips dropped and counted here, so that the workers see only samples that can be
    opened."""
    tables = [repeated(read_dataset(n, cfg.datasets[n]), cfg.datasets[n].repeat, cfg.seed)
              for n in stage.datasets]
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    exists = [("://" in v) or os.path.exists(v) for v in table.column("video").to_pylist()]
    kept = table.filter(pa.array(exists, pa.bool_()))
    counts = {"samples": table.num_rows, "missing_video": table.num_rows - kept.num_rows}
    if kept.num_rows == 0:
        why = (f"all {table.num_rows} samples name videos that do not exist (first: "
               f"{table.column('video')[0].as_py()})") if table.num_rows else \
            "the datasets hold no sample (check the paths and the `tasks` / `meta` " \
            "filters)"
        raise ConfigError(f"stages.{stage.name}: no usable sample: {why}")
    return kept, counts


def usable_rows(rows: Iterator[dict], frames_of: Callable[[dict], dict], skipped: dict,
                patience: int) -> Iterator[tuple[dict, dict]]:
    """(sample, frames) for each row whose frames load; a failing row is counted in
    `skipped[reason]` and the next one taken instead (so every worker's micro-batch stays full
    and DeepSpeed's collectives stay in step). `patience` bad rows in a row is an error."""
    bad_run = 0
    for row in rows:
        try:
            frames = frames_of(row)
        except SKIPPABLE as exc:
            kind = type(exc).__name__
            skipped[kind] = skipped.get(kind, 0) + 1
            bad_run += 1
            if bad_run >= patience:
                raise RuntimeError(f"{bad_run} samples in a row failed to load; last: "
                                   f"{row.get('video')}: {exc}") from exc
            continue
        bad_run = 0
        yield sample_from_row(row), frames


def step_batches(iter_epoch: Callable[[int], Iterator[dict]], steps_per_epoch: int,
                 per_step: int, start_step: int, frames_of: Callable[[dict], dict],
                 skipped: dict, patience: int) -> Iterator[list[tuple[dict, dict]]]:
    """One list of `per_step` (sample, frames) per optimizer step, forever.

    Every worker runs exactly `steps_per_epoch` steps per epoch and then starts the next epoch
    together with the others (Ray Data's split shards advance epochs in lock-step; a worker that
    ran ahead would wait for one stuck in a collective). A shard that runs short because of
    skipped samples reuses this epoch's good ones. Resume starts mid-epoch at `start_step`."""
    step = start_step
    while True:
        epoch, offset = divmod(step, steps_per_epoch)
        rows = itertools.islice(iter_epoch(epoch), offset * per_step, None)
        good = usable_rows(rows, frames_of, skipped, patience)
        seen: list[tuple[dict, dict]] = []
        for _ in range(steps_per_epoch - offset):
            batch = []
            for _ in range(per_step):
                item = next(good, None)
                if item is None:
                    if not seen:
                        raise RuntimeError("this worker's data shard has no usable sample")
                    item = seen[len(batch) % len(seen)]
                else:
                    seen = (seen + [item])[-per_step:]
                batch.append(item)
            yield batch
            step += 1

"""Held-out validation inside the training job: the current model rates the validation videos
(level-logit score, as `vqa score` does) and SRCC / PLCC / KRCC against their MOS go into the
step's `ray.train.report` (so Ray Tune's ASHA sees intermediate values) and into MLflow.

The driver reads the rows (`validation_samples`); every worker sees them all (not split: an
equal split would drop the remainder), rates every world-th one, and the pairs are gathered, so
every rank reports the same numbers over every video. Every report carries the latest values (`val_step` says when they were measured):
Tune requires its metric in every result."""

from __future__ import annotations

import math
import os
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc

from vqa.errors import ConfigError
from vqa.train.config import DatasetSpec, TrainConfig, ValidationConfig

DATASET = "validation"  # the Ray Train dataset name


def validation_samples(cfg: TrainConfig) -> pa.Table | None:
    """One row per distinct video with a MOS, from a named dataset or a samples file; missing
    files dropped. None when the config has no validation block."""
    from vqa.storage import resolve
    from vqa.train.data import read_dataset

    v = cfg.validation
    if v is None:
        return None
    spec = cfg.datasets.get(v.dataset) or DatasetSpec(path=resolve(v.dataset, "validation"))
    table = read_dataset(f"validation ({v.dataset})", spec)
    table = table.filter(pc.is_valid(table.column("mos")))
    videos = table.column("video").to_pylist()
    first = {}
    for i, video in enumerate(videos):
        if video not in first and ("://" in video or os.path.exists(video)):
            first[video] = i
    keep = list(first.values())[:v.max_videos]
    if len(keep) < 3:
        raise ConfigError(f"validation.dataset {v.dataset!r}: {len(keep)} existing videos with a "
                          f"mos; a correlation needs at least 3")
    return table.take(pa.array(keep, pa.int64()))


class Validator:
    """Worker side. `frames_of(model, row)` is the training loop's own frame reader."""

    def __init__(self, cfg: ValidationConfig | None, rank: int, world: int,
                 frames_of: Callable[[object, dict], dict], lockstep: bool = False):
        """`lockstep` (ZeRO-3): every rank rates every video, since each forward pass gathers
        the partitioned weights from all ranks: ranks with different counts would hang."""
        self.cfg, self.rank, self.frames_of = cfg, rank, frames_of
        self.world, self.share = (1, 0) if lockstep else (world, rank)
        self.latest: dict = {}

    def due(self, global_step: int, stage_end: bool) -> bool:
        return self.cfg is not None and (stage_end or not self.latest or
                                         global_step % self.cfg.every_steps == 0)

    def metrics(self, model, global_step: int, stage_end: bool) -> dict:
        """Fresh numbers when due, else the latest ones ({} without a validation block)."""
        if self.due(global_step, stage_end):
            self.latest = self.run(model, global_step)
        return self.latest

    def run(self, model, global_step: int) -> dict:
        import ray.train
        import torch.distributed as dist

        from vqa.evaluate.rating import correlations
        from vqa.train.data import SKIPPABLE

        pairs, failed = [], 0
        for i, row in enumerate(ray.train.get_dataset_shard(DATASET).iter_rows()):
            if i % self.world != self.share:
                continue
            try:
                pairs.append((model.rate(self.frames_of(model, row))["score"], row["mos"]))
            except SKIPPABLE:
                failed += 1
        model.train()
        if self.world > 1 and dist.is_initialized():
            gathered: list = [None] * self.world
            dist.all_gather_object(gathered, (pairs, failed))
            pairs = [p for part, _ in gathered for p in part]
            failed = sum(f for _, f in gathered)
        c = correlations([p for p, _ in pairs], [m for _, m in pairs])
        # constant predictions rank nothing: 0 for the searcher, flagged for the reader
        constant = math.isnan(c["srcc"])
        return {"val_srcc": 0.0 if constant else c["srcc"],
                "val_plcc": 0.0 if constant else c["plcc"],
                "val_krcc": 0.0 if constant else c["krcc"], "val_n": len(pairs),
                "val_failed": failed, "val_constant": int(constant), "val_step": global_step}

"""Label: a manifest → the same manifest with one score column per rater, `objective_score`
(their mean, 0–100) and `objective_level` (bad … excellent), scored on Ray Data. Rows that are
not `ok` pass through with empty scores; a video that fails to decode becomes an error row."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from vqa.data import fs
from vqa.data.io import read_manifest
from vqa.data.schemas import MANIFEST_SCHEMA, STATUS_ERROR, STATUS_OK
from vqa.errors import ConfigError, VideoError
from vqa.objective.raters import Ensemble, RaterSpec, check_models, level_of, objective, \
    parse_raters
from vqa.outputs import atomic_path, check_out_dir, write_text_atomic
from vqa.pipelines.context import single_stage

SCORE, LEVEL = "objective_score", "objective_level"


@dataclass
class LabelConfig:
    PATHS = ('manifest', 'out')  # storage paths: vqa.storage.resolve at load
    manifest: str
    out: str
    raters: list[str] = field(default_factory=lambda: ["baseline"])  # baseline | model refs
    max_frames: int = 50          # frames read per video (from the start; bounds memory)
    batch_size: int = 4           # videos per task
    device: str | None = None     # torch device for model raters (default: cuda if available)
    num_gpus: float = 0.0         # GPUs per task (model raters on GPU workers; Ray hides GPUs
                                  # from a task that reserves none)

    def validate(self) -> None:
        if self.max_frames < 3:
            raise ConfigError(f"max_frames must be >= 3 (temporal signals), got "
                              f"{self.max_frames}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.num_gpus < 0:
            raise ConfigError(f"num_gpus must be >= 0, got {self.num_gpus}")


_ENSEMBLES: dict = {}  # per worker process: models load once, not once per batch


def _ensemble(specs: tuple, max_frames: int, device) -> Ensemble:
    key = (specs, max_frames, device)
    if key not in _ENSEMBLES:
        _ENSEMBLES[key] = Ensemble(list(specs), max_frames, device)
    return _ENSEMBLES[key]


def label_row(row: dict, ens: Ensemble) -> dict:
    """One labelled row: scores for an ok row; a decode failure → status error + reason."""
    out = {**row, **{s.column: None for s in ens.specs}, SCORE: None, LEVEL: None}
    if row["status"] != STATUS_OK:
        return out
    try:
        with fs.local_copy(row["path"]) as local:
            scores = ens.rate(str(local))
    except VideoError as exc:
        return {**out, "status": STATUS_ERROR, "error": exc.reason}
    except Exception as exc:  # whatever a broken file provokes, kept with its type
        return {**out, "status": STATUS_ERROR, "error": f"{type(exc).__name__}: {exc}"}
    score = objective(list(scores.values()))
    return {**out, **scores, SCORE: score, LEVEL: level_of(score)}


def label_table(rows: list[dict], specs: list[RaterSpec]) -> pa.Table:
    """Manifest columns (typed by the manifest schema) + one column per rater + the label."""
    schema = pa.schema([*[pa.field(s.column, pa.float64()) for s in specs],
                        pa.field(SCORE, pa.float64()), pa.field(LEVEL, pa.string())])
    extra = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows],
                                 schema=schema)
    base = pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)  # the schema picks its columns
    for f in extra.schema:
        base = base.append_column(f, extra.column(f.name))
    return base


def label_batch(batch: pa.Table, specs: tuple, max_frames: int, device) -> pa.Table:
    """Ray Data stage: manifest rows → labelled rows."""
    ens = _ensemble(specs, max_frames, device)
    return label_table([label_row(r, ens) for r in batch.to_pylist()], list(specs))


def check_inputs(cfg: LabelConfig, overwrite: bool = False) -> tuple[pa.Table, list[RaterSpec]]:
    """Before Ray starts: OUT can take the run, the manifest reads, every rater is known."""
    check_out_dir(cfg.out, overwrite)
    specs = parse_raters(cfg.raters)
    manifest = read_manifest(cfg.manifest, status=None)
    check_models(specs)
    return manifest, specs


def summarize(table: pa.Table, specs: list[RaterSpec], to_score: int, elapsed: float,
              failed_ids: set | None = None) -> dict:
    """Counts: `to_score` ok rows in, `labelled` scored, `failed` that broke at decode (with
    their commonest reasons), `carried` rows that were not ok in the manifest (unscored)."""
    reasons = Counter(str(r["error"]).split(" (")[0].split(":")[0] for r in table.to_pylist()
                      if r["video_id"] in (failed_ids or set()))
    levels = Counter(v for v in table.column(LEVEL).to_pylist() if v is not None)
    scores = [v for v in table.column(SCORE).to_pylist() if v is not None]
    return {"videos": table.num_rows, "to_score": to_score, "labelled": len(scores),
            "failed": to_score - len(scores), "carried": table.num_rows - to_score,
            "raters": [s.name for s in specs],
            "mean_score": round(sum(scores) / len(scores), 2) if scores else float("nan"),
            "levels": dict(levels.most_common()), "error_reasons": dict(reasons.most_common()),
            "elapsed_s": round(elapsed, 3),
            "videos_per_s": round(to_score / elapsed, 2) if elapsed > 0 else float("nan")}


def write_labels(table: pa.Table, path: str) -> str:
    """The objective labels as a `video,mos` file (video = its path): what `vqa mos --objective`,
    `vqa mos-select --pool` and `vqa mos-simulate --pool` read."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    scored = table.filter(pc.is_valid(table.column(SCORE)))
    labels = pa.table({"video": scored.column("path"), "mos": scored.column(SCORE)})
    with atomic_path(path) as tmp:
        with fs.open_output(str(tmp)) as f:
            pacsv.write_csv(labels, f)
    return path


def run_label(cfg: LabelConfig, checked: tuple | None = None) -> dict:
    """Score every ok row on Ray Data; write `<out>/manifest.parquet` then `summary.json`
    (each under a temporary name first, so summary.json's presence means finished)."""
    import ray

    start = time.perf_counter()
    manifest, specs = checked or check_inputs(cfg, overwrite=True)
    fs.makedirs(cfg.out)
    rows = manifest.to_pylist()
    ok_ids = {r["video_id"] for r in rows if r["status"] == STATUS_OK}
    to_score = len(ok_ids)
    if rows:
        blocks = max(1, math.ceil(len(rows) / cfg.batch_size))
        with single_stage():
            ds = ray.data.from_items(rows, override_num_blocks=blocks)
            ds = ds.map_batches(label_batch, batch_format="pyarrow", batch_size=cfg.batch_size,
                                num_cpus=1, num_gpus=cfg.num_gpus or None,
                                fn_kwargs=dict(specs=tuple(specs), max_frames=cfg.max_frames,
                                               device=cfg.device))
            table = pa.concat_tables(ray.get(ds.to_arrow_refs())).sort_by("video_id")
    else:
        table = label_table([], specs)
    path = fs.join(cfg.out, "manifest.parquet")
    with atomic_path(path) as tmp:
        fs.write_parquet(table, tmp)
    scored = {v for v, x in zip(table.column("video_id").to_pylist(),
                                table.column(SCORE).to_pylist()) if x is not None}
    summary = summarize(table, specs, to_score, time.perf_counter() - start, ok_ids - scored)
    summary["manifest"] = path
    summary["labels"] = write_labels(table, fs.join(cfg.out, "labels.csv"))
    write_text_atomic(fs.join(cfg.out, "summary.json"), json.dumps(summary, indent=2))
    return summary

"""Frame shards: the keyframes + motion frames a model config samples, decoded once per video and
stored as parquet under `ROOT/<frames_key>/part-*.parquet` (one row per video), so training
workers read arrays and never open a video.

A row: `video` (the path string exactly as the samples spell it), `keyframes` / `motion` (the
uint8 arrays' bytes; motion null when the config has no motion), `quality` (the float32
quality features, null unless the config has them), their shapes and frame indices,
the `VideoInfo` fields, and `status` ("ok" | "error") + `error`. `decode_row(row)` gives back
exactly what `vqa.model.frames.sample_frames` returned. Ray-free: the job lives in
`vqa.pipelines.frames`."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from vqa.data.schemas import STATUS_ERROR, STATUS_OK
from vqa.errors import ConfigError
from vqa.video import Sampled, VideoInfo

SPEC_FILE = "frames.yaml"
PARTS = ["keyframes", "motion", "quality"]
_IDX = {"keyframes": "keyframe_indices", "motion": "motion_indices",
        "quality": "keyframe_indices"}  # one feature row per keyframe
_DTYPE = {"keyframes": np.uint8, "motion": np.uint8, "quality": np.float32}
INFO_FIELDS = ["fps", "frames", "width", "height", "duration", "codec"]

FRAME_SCHEMA = pa.schema([
    ("video", pa.string()),
    ("keyframes", pa.large_binary()), ("keyframes_shape", pa.list_(pa.int32())),
    ("keyframe_indices", pa.list_(pa.int64())),
    ("motion", pa.large_binary()), ("motion_shape", pa.list_(pa.int32())),
    ("motion_indices", pa.list_(pa.int64())),
    ("quality", pa.large_binary()), ("quality_shape", pa.list_(pa.int32())),
    ("fps", pa.float64()), ("frames", pa.int64()), ("width", pa.int32()), ("height", pa.int32()),
    ("duration", pa.float64()), ("codec", pa.string()),
    ("status", pa.string()), ("error", pa.string()),
])
FRAME_COLUMNS = [f.name for f in FRAME_SCHEMA if f.name != "video"]


def encode_row(video: str, sampled: dict[str, Sampled]) -> dict:
    """`sample_frames` output → one shard row (status ok)."""
    row = {"video": str(video), "status": STATUS_OK, "error": None}
    info = None
    for part in PARTS:
        s = sampled.get(part)
        if s is None:
            row.update({part: None, f"{part}_shape": None})
            row.setdefault(_IDX[part], None)
            continue
        frames = np.ascontiguousarray(s.frames, dtype=_DTYPE[part])
        row.update({part: frames.tobytes(), f"{part}_shape": list(frames.shape),
                    _IDX[part]: np.asarray(s.indices, dtype=np.int64).tolist()})
        info = info or s.info
    row.update({k: getattr(info, k) for k in INFO_FIELDS} if info else
               dict.fromkeys(INFO_FIELDS))
    return row


def error_row(video: str, error: str) -> dict:
    return {**dict.fromkeys(FRAME_SCHEMA.names), "video": str(video), "status": STATUS_ERROR,
            "error": error}


def decode_row(row: dict) -> dict[str, Sampled]:
    """One shard row (a dict, as `iter_rows` gives it) → {"keyframes": Sampled[, "motion": …]},
    equal to `sample_frames(cfg, video)`: pass it as `prepare_sample(model, s, video=…)`."""
    if row.get("status") != STATUS_OK:
        raise ValueError(f"{row.get('video')}: no frames stored ({row.get('error')})")
    info = VideoInfo(frames=int(row["frames"]), fps=float(row["fps"]),
                     duration=float(row["duration"]), width=int(row["width"]),
                     height=int(row["height"]), codec=str(row["codec"]))
    out = {}
    for part in PARTS:
        data = row.get(part)
        if data is None:
            continue
        shape = tuple(int(n) for n in row[f"{part}_shape"])
        frames = np.frombuffer(data, dtype=_DTYPE[part]).reshape(shape).copy()  # writable
        out[part] = Sampled(frames, np.asarray(row[_IDX[part]], dtype=np.int64), info)
    return out


def frames_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=FRAME_SCHEMA)


# ---------------------------------------------------------------- the store on disk

def shard_dir(root: str | os.PathLike, key: str) -> Path:
    return Path(root) / key


def part_files(root: str | os.PathLike, key: str) -> list[Path]:
    return sorted(shard_dir(root, key).glob("part-*.parquet"))


def write_spec(root: str | os.PathLike, key: str, spec: dict) -> Path:
    """`frames.yaml`: the frame config the key stands for; a different one under the same key is
    an error (it would mean the key no longer names what it should)."""
    d = shard_dir(root, key)
    d.mkdir(parents=True, exist_ok=True)
    path = d / SPEC_FILE
    doc = {"key": key, **spec}
    if path.exists():
        old = yaml.safe_load(path.read_text())
        if old != doc:
            raise ConfigError(f"{path}: stored frame config {old} differs from {doc}")
        return path
    tmp = d / f".{SPEC_FILE}.{uuid.uuid4().hex}"
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    os.replace(tmp, path)
    return path


def write_part(root: str | os.PathLike, key: str, rows: list[dict] | pa.Table) -> Path:
    """Write one `part-<uuid>.parquet` atomically (a killed job leaves no half file behind)."""
    d = shard_dir(root, key)
    d.mkdir(parents=True, exist_ok=True)
    table = rows if isinstance(rows, pa.Table) else frames_table(rows)
    name = f"part-{uuid.uuid4().hex[:16]}.parquet"
    tmp = d / f".{name}.tmp"
    pq.write_table(table.cast(FRAME_SCHEMA), tmp)
    os.replace(tmp, d / name)
    return d / name


def read_frames(root: str | os.PathLike, key: str, columns: list[str] | None = None,
                ok_only: bool = False) -> pa.Table:
    """Every stored row, one per video: where a video has several rows (a retried error, two
    runs at once) an ok row wins over an error row."""
    files = part_files(root, key)
    if not files:
        table = FRAME_SCHEMA.empty_table()
        return table.select(columns) if columns else table
    cols = FRAME_SCHEMA.names if columns is None else \
        list(dict.fromkeys(["video", "status", *columns]))
    table = pa.concat_tables([_read_part(f, cols) for f in files])
    status = table.column("status").to_pylist()
    best: dict[str, int] = {}
    for i, v in enumerate(table.column("video").to_pylist()):
        if v not in best or (status[i] == STATUS_OK and status[best[v]] != STATUS_OK):
            best[v] = i
    keep = sorted(best.values())
    if ok_only:
        keep = [i for i in keep if status[i] == STATUS_OK]
    if len(keep) != table.num_rows:
        table = table.take(pa.array(keep, pa.int64()))
    return table.select(columns) if columns else table


def _read_part(path: Path, cols: list[str]) -> pa.Table:
    """`cols` of one stored part; a column it predates (`quality`, added later) reads as null."""
    have = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in cols if c in have])
    return pa.table({c: table.column(c) if c in have else
                     pa.nulls(table.num_rows, FRAME_SCHEMA.field(c).type) for c in cols})


def stored_videos(root: str | os.PathLike, key: str) -> set[str]:
    """Videos with a stored row (ok or error) under this key."""
    return set(read_frames(root, key, columns=["video"]).column("video").to_pylist())


def join_samples(samples: pa.Table, frames: pa.Table) -> tuple[pa.Table, dict]:
    """Samples × their ok frame rows (by `video`) → (table, counts). Each row keeps the sample
    fields (conversations / scores as JSON text) plus the frame columns; samples whose video has
    no ok row are dropped and counted as `missing` (never stored) or `error` (stored broken).
    A take-by-index join rather than `Table.join`, which refuses list columns."""
    status = dict(zip(frames.column("video").to_pylist(), frames.column("status").to_pylist()))
    where = {v: i for i, v in enumerate(frames.column("video").to_pylist())
             if status[v] == STATUS_OK}
    videos = samples.column("video").to_pylist()
    keep = [i for i, v in enumerate(videos) if v in where]
    counts = {"samples": len(videos), "kept": len(keep),
              "error": sum(status.get(v) == STATUS_ERROR for v in videos),
              "missing": sum(v not in status for v in videos)}
    counts["dropped"] = counts["error"] + counts["missing"]
    kept = samples.take(pa.array(keep, pa.int64()))
    rows = frames.take(pa.array([where[videos[i]] for i in keep], pa.int64()))
    out = {"id": kept.column("id"), "video": kept.column("video"),
           "conversations": pa.array([json.dumps(c, ensure_ascii=False)
                                      for c in kept.column("conversations").to_pylist()],
                                     pa.string()),
           "task": kept.column("task"), "mos": kept.column("mos"),
           "scores": pa.array([None if s is None else json.dumps(s)
                               for s in kept.column("scores").to_pylist()], pa.string())}
    for name in FRAME_COLUMNS:
        if name != "error":
            out[name] = rows.column(name)
    return pa.table(out), counts


def sample_from_row(row: dict) -> dict:
    """A training row → the sample dict `prepare_sample` takes. Joined frame-shard rows carry
    conversations and scores as JSON text (parsed back here); plain sample rows carry them as
    lists / dicts already."""
    convs, scores = row["conversations"], row.get("scores")
    return {"id": row.get("id"), "video": row["video"],
            "conversations": json.loads(convs) if isinstance(convs, str) else convs,
            "task": row.get("task"), "mos": row.get("mos"),
            "scores": json.loads(scores) if isinstance(scores, str) else scores}

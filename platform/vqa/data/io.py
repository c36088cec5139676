"""Read and write manifests, instruction samples and label files (parquet / JSONL / CSV)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from vqa.data import fs
from vqa.data.schemas import (
    DIMENSIONS,
    INSTRUCTION_SCHEMA,
    MANIFEST_SCHEMA,
    STATUS_OK,
    STATUSES,
    TASKS,
)
from vqa.errors import InputError

ROLE_ALIASES = {"human": "human", "user": "human", "gpt": "gpt", "ai": "gpt", "assistant": "gpt"}


class SchemaError(InputError):
    """A record that does not fit its contract; the message names the record and field."""


# ---------------------------------------------------------------- manifest

def manifest_table(rows: list[dict] | pa.Table) -> pa.Table:
    if not isinstance(rows, pa.Table):  # the schema fills keys a row lacks (error rows) with nulls
        rows = pa.Table.from_pylist(list(rows), schema=MANIFEST_SCHEMA)
    table = rows
    missing = [f.name for f in MANIFEST_SCHEMA if f.name not in table.column_names]
    for name in missing:
        table = table.append_column(name, pa.nulls(len(table), MANIFEST_SCHEMA.field(name).type))
    table = table.select(MANIFEST_SCHEMA.names).cast(MANIFEST_SCHEMA)
    bad = set(table.column("status").to_pylist()) - set(STATUSES)
    if bad:
        raise SchemaError(f"manifest: unknown status {sorted(bad)}; expected one of {STATUSES}")
    return table


def write_manifest(rows: list[dict] | pa.Table, path: str | os.PathLike) -> str:
    """Write a manifest to a local path or a storage URI; returns where it went."""
    return fs.write_parquet(manifest_table(rows), path)


def read_parquet(path: str | os.PathLike, what: str = "manifest") -> pa.Table:
    """A parquet file or folder (local or a storage URI); a missing or unreadable one is one
    line naming it."""
    if not fs.exists(path):
        raise FileNotFoundError(2, "No such file or directory", str(path))
    try:
        return fs.read_parquet(path)
    except (pa.ArrowException, OSError) as exc:
        raise SchemaError(f"{path}: not a parquet {what} "
                          f"({' '.join(str(exc).split())[:200]})") from None


def read_manifest(path: str | os.PathLike, status: str | None = STATUS_OK) -> pa.Table:
    """A manifest (file or folder of parquet, local or a URI), by default only the usable
    (`ok`) rows."""
    table = read_parquet(path)
    if "status" not in table.column_names or "path" not in table.column_names:
        raise SchemaError(f"{path}: not a manifest (no status / path columns; got "
                          f"{table.column_names[:8]}); make one with `vqa ingest`")
    try:
        table = manifest_table(table)
    except pa.ArrowException as exc:
        raise SchemaError(f"{path}: manifest columns of the wrong type ({exc})") from None
    if status is not None:
        table = table.filter(pc.equal(table.column("status"), status))
    return table


# ---------------------------------------------------------------- instruction samples

def normalize_sample(raw: dict, index: int = 0) -> dict:
    """One instruction sample in canonical form; FineVQ's `from: ai` and `user/assistant` read too."""
    where = f"sample {raw.get('id', index)!r}"
    if "video" not in raw:
        raise SchemaError(f"{where}: missing 'video'")
    convs = raw.get("conversations")
    if not isinstance(convs, list) or not convs:
        raise SchemaError(f"{where}: 'conversations' must be a non-empty list")
    turns = []
    for j, turn in enumerate(convs):
        role = ROLE_ALIASES.get(str(turn.get("from", turn.get("role", ""))).lower())
        if role is None:
            raise SchemaError(f"{where}: turn {j} has unknown role {turn.get('from')!r}")
        value = turn.get("value", turn.get("content"))
        if not isinstance(value, str):
            raise SchemaError(f"{where}: turn {j} has no text 'value'")
        turns.append({"from": role, "value": value})
    task = raw.get("task")
    if task is not None and task not in TASKS:
        raise SchemaError(f"{where}: task {task!r} not in {TASKS}")
    scores = raw.get("scores")
    if scores is not None:
        unknown = set(scores) - set(DIMENSIONS)
        if unknown:
            raise SchemaError(f"{where}: unknown score dimensions {sorted(unknown)}")
        scores = {d: (None if scores.get(d) is None else float(scores[d])) for d in DIMENSIONS}
    meta = raw.get("meta")
    if meta is not None and not isinstance(meta, str):
        meta = json.dumps(meta, sort_keys=True)
    video = raw["video"]
    return {
        "id": str(raw.get("id", f"{Path(str(video)).stem}-{index}")),
        "video": str(video),
        "conversations": turns,
        "task": task,
        "mos": None if raw.get("mos") is None else float(raw["mos"]),
        "scores": scores,
        "meta": meta,
    }


def samples_table(samples: Iterable[dict]) -> pa.Table:
    rows = [normalize_sample(s, i) for i, s in enumerate(samples)]
    return pa.Table.from_pylist(rows, schema=INSTRUCTION_SCHEMA)


def _drop_nulls(row: dict) -> dict:
    return {k: v for k, v in row.items() if v is not None}


def write_samples(samples: Iterable[dict] | pa.Table, path: str | os.PathLike) -> str:
    """Write instruction samples (local path or storage URI); `.jsonl`/`.json` (LLaVA style)
    or `.parquet` by suffix. Returns where they went."""
    suffix = Path(str(path)).suffix
    if suffix not in (".parquet", ".jsonl", ".json"):
        raise ValueError(f"{path}: use .parquet, .jsonl or .json")
    table = samples if isinstance(samples, pa.Table) else samples_table(samples)
    if suffix == ".parquet":
        return fs.write_parquet(table.cast(INSTRUCTION_SCHEMA), path)
    rows = [_drop_nulls(r) for r in table.to_pylist()]
    if suffix == ".json":
        return fs.write_text(path, json.dumps(rows, ensure_ascii=False, indent=1))
    with fs.open_output(path) as f:
        for row in rows:
            f.write((json.dumps(row, ensure_ascii=False) + "\n").encode())
    return str(path)


def read_samples(path: str | os.PathLike) -> pa.Table:
    """Instruction samples from parquet, JSONL or a JSON list (LLaVA / VQA² / FineVQ forms),
    local or under a storage URI."""
    path = str(path)
    if path.endswith(".parquet") or fs.isdir(path):
        return samples_table(read_parquet(path, "samples file").to_pylist())
    try:
        text = fs.read_text(path)
    except UnicodeDecodeError:
        raise SchemaError(f"{path}: not a text samples file (.jsonl / .json)") from None
    path = Path(path)
    if path.suffix == ".jsonl":
        raw = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    raw.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SchemaError(f"{path}:{n}: invalid JSON ({exc.msg})") from exc
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno}); samples "
                              f"are .jsonl, a .json list or .parquet") from None
        if isinstance(raw, dict):
            raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise SchemaError(f"{path}: samples must be JSON objects (one per line, or a list)")
    return samples_table(raw)


# ---------------------------------------------------------------- labels

def read_labels(path: str | os.PathLike) -> pa.Table:
    """`video, mos` labels: CSV/JSON with a header, or KoNViD/LSVQ `labels.txt` (`name, mos, …`)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a labels file", str(path))
    try:
        table = _read_labels(path)
    except (pa.ArrowException, ValueError, KeyError, IndexError, TypeError,
            UnicodeDecodeError) as exc:
        if isinstance(exc, SchemaError):
            raise
        raise SchemaError(f"{path}: not a labels file of video, mos rows "
                          f"({' '.join(str(exc).split())[:200]})") from None
    if not table.num_rows:
        raise SchemaError(f"{path}: no labels (video, mos rows) in the file")
    return table


def _read_labels(path: Path) -> pa.Table:
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            data = [{"video": k, "mos": v} for k, v in data.items()]
        rows = [{"video": str(d["video"]), "mos": float(d["mos"])} for d in data]
        return pa.Table.from_pylist(rows, schema=pa.schema([("video", pa.string()),
                                                            ("mos", pa.float64())]))
    first = path.read_text().splitlines()[0] if path.stat().st_size else ""
    cells = [c.strip() for c in first.split(",")]
    has_header = len(cells) >= 2 and not _is_number(cells[1])
    if has_header:
        table = pacsv.read_csv(path)
        cols = {c.lower(): c for c in table.column_names}
        vcol = next((cols[c] for c in ("video", "name", "video_name", "flickr_id", "filename")
                     if c in cols), None)
        mcol = next((cols[c] for c in ("mos", "score", "label") if c in cols), None)
        if vcol is None or mcol is None:
            raise SchemaError(f"{path}: need a video and a mos column, got {table.column_names}")
    else:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(autogenerate_column_names=True))
        vcol, mcol = table.column_names[0], table.column_names[1]
    return pa.table({"video": table.column(vcol).cast(pa.string()),
                     "mos": table.column(mcol).cast(pa.float64())})


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False

"""Rating labels from any source users have, as one row per video:
{"video": resolved path, "name": as the file spells it, "mos", <dimension>: score …, "subset"}.

Sources: a `video,mos` CSV/JSON or KoNViD/LSVQ `labels.txt` (`vqa.data.read_labels`), the
rating mode's `labels.csv` (dimension columns + `split`), and instruction files (LLaVA-style
JSONL/JSON/parquet with `mos` / `scores`). Videos that do not exist are reported, not rated."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.csv as pacsv

from vqa.data.io import SchemaError, read_labels, read_samples
from vqa.data.schemas import DIMENSIONS
from vqa.errors import ConfigError

SUBSET_COLUMNS = ("subset", "split")  # the first present names each row's subset
SUFFIXES = (".mp4", ".mkv", ".mov", ".webm", ".avi")  # KoNViD/LSVQ names often lack one


def resolve_video(name: str, base: Path, root: str | None = None) -> str:
    """`root/name` when a root is given, else the name next to the labels file, else as given
    (relative to the working directory); a name without a suffix also tries the usual ones."""
    if "://" in name or os.path.isabs(name):
        candidates = [Path(name)]
    else:
        candidates = [Path(root) / name] if root else [base / name, Path(name)]
    for c in candidates:
        for p in [c] + ([c.with_name(c.name + s) for s in SUFFIXES] if not c.suffix else []):
            if p.exists():
                return str(p.resolve())
    return str(candidates[0])


def _is_instruction_file(path: Path) -> bool:
    if path.suffix == ".parquet" or path.is_dir():
        return True
    if path.suffix not in (".jsonl", ".json"):
        return False
    with path.open() as f:
        head = f.read(4096)
    return '"conversations"' in head


def _from_instructions(path: Path) -> list[dict]:
    """Samples carrying a `mos`, one row per video (the first sample's scores win)."""
    try:
        table = read_samples(path)
    except (SchemaError, ValueError, OSError) as exc:  # bad JSON, not parquet, …
        raise ConfigError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") \
            from None
    rows: dict[str, dict] = {}
    for s in table.to_pylist():
        if s["mos"] is None or s["video"] in rows:
            continue
        meta = json.loads(s["meta"]) if s["meta"] else {}
        dims = {d: v for d, v in (s["scores"] or {}).items() if v is not None and d != "overall"}
        rows[s["video"]] = {"name": s["video"], "mos": s["mos"], **dims,
                            "subset": meta.get("split") if isinstance(meta, dict) else None}
    return list(rows.values())


def _from_table(path: Path) -> list[dict]:
    try:
        base = read_labels(path)
    except (SchemaError, KeyError, ValueError, IndexError) as exc:
        raise ConfigError(f"{path}: not a labels file ({exc})") from None
    rows = [{"name": v, "mos": m} for v, m in zip(base.column("video").to_pylist(),
                                                    base.column("mos").to_pylist())]
    if path.suffix == ".json":
        return rows
    full = pacsv.read_csv(path) if base.num_rows and _has_header(path) else None
    if full is not None:
        cols = {c.lower(): c for c in full.column_names}
        extra = {d: cols[d] for d in DIMENSIONS if d in cols and d != "overall"}
        sub = next((cols[c] for c in SUBSET_COLUMNS if c in cols), None)
        for name, col in extra.items():
            for r, v in zip(rows, full.column(col).to_pylist()):
                if v is not None:
                    r[name] = float(v)
        if sub is not None:
            for r, v in zip(rows, full.column(sub).to_pylist()):
                r["subset"] = None if v is None else str(v)
    return rows


def _has_header(path: Path) -> bool:
    first = path.read_text().splitlines()[0]
    cells = [c.strip() for c in first.split(",")]
    try:
        float(cells[1])
        return False
    except (ValueError, IndexError):
        return True


def read_eval_labels(path: str | os.PathLike, video_root: str | None = None,
                     subset: str | None = None) -> list[dict]:
    """Every labelled video of one file; `subset` names the rows that carry none (several files
    evaluated together: each file its own subset, e.g. LSVQ-test and LSVQ-1080p)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"labels file not found: {path}")
    rows = _from_instructions(path) if _is_instruction_file(path) else _from_table(path)
    if not rows:
        raise ConfigError(f"{path}: no labelled video (need a mos per video)")
    base = path.parent if path.is_file() else path
    for r in rows:
        r["video"] = resolve_video(r["name"], base, video_root)
        r["subset"] = r.get("subset") or subset
    return rows


def split_missing(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(rows whose video exists, rows whose video does not): the latter are reported by name
    and count and kept out of the metrics."""
    have = [r for r in rows if "://" in r["video"] or os.path.exists(r["video"])]
    return have, [r for r in rows if not ("://" in r["video"] or os.path.exists(r["video"]))]

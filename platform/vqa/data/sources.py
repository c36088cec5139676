"""Turn a SRC argument (folder, glob, or list file) into (video_id, path) rows."""

from __future__ import annotations

import glob
import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vqa.errors import InputError

VIDEO_EXTENSIONS = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".flv", ".wmv", ".mpg",
                    ".mpeg", ".ts", ".3gp", ".ogv"}
LIST_EXTENSIONS = {".csv", ".parquet", ".txt"}
PATH_COLUMNS = ("path", "video", "file", "filename", "uri")


class SourceError(InputError):
    """A SRC that names nothing usable."""


def _from_list(src: Path) -> list[str]:
    base = src.parent
    if src.suffix == ".txt":
        paths = [line.strip() for line in src.read_text().splitlines()]
        paths = [p for p in paths if p and not p.startswith("#")]
    else:
        try:
            table = pq.read_table(src) if src.suffix == ".parquet" else pacsv.read_csv(src)
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{src}: not a readable {src.suffix[1:]} list of paths "
                              f"({' '.join(str(exc).split())[:200]})") from None
        cols = {c.lower(): c for c in table.column_names}
        col = next((cols[c] for c in PATH_COLUMNS if c in cols), None)
        if col is None:
            raise SourceError(f"{src}: no path column; expected one of {PATH_COLUMNS}, "
                              f"got {table.column_names}")
        paths = [str(p) for p in table.column(col).to_pylist() if p]
    return [p if os.path.isabs(p) else str(base / p) for p in paths]


def list_videos(src: str | os.PathLike) -> list[str]:
    """Paths named by SRC: a folder (recursive, by video extension), a glob, or a list file."""
    text = str(src)
    path = Path(text)
    if path.is_dir():
        found = [str(p) for p in sorted(path.rglob("*"))
                 if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS]
    elif path.is_file() and path.suffix.lower() in LIST_EXTENSIONS:
        found = _from_list(path)
    elif path.is_file():
        found = [text]
    elif any(ch in text for ch in "*?["):
        found = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
    elif path.exists():
        raise SourceError(f"{text}: not a regular file or folder")
    else:
        raise SourceError(f"SRC not found: {text} (SRC is a folder, a glob, a .csv/.parquet/"
                          f".txt list of paths or a video file)")
    seen, unique = set(), []
    for p in found:
        p = str(Path(p).absolute())
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def assign_ids(paths: list[str]) -> list[dict]:
    """Readable, stable ids: the file stem, with a short path hash where stems collide."""
    stems: dict[str, int] = {}
    for p in paths:
        stems[Path(p).stem] = stems.get(Path(p).stem, 0) + 1
    rows = []
    for p in paths:
        stem = Path(p).stem
        vid = stem if stems[stem] == 1 else f"{stem}-{hashlib.sha1(p.encode()).hexdigest()[:8]}"
        rows.append({"video_id": vid, "path": p})
    return rows

"""Turn a SRC argument (folder, glob, or list file) into (video_id, path) rows."""

from __future__ import annotations

import glob
import hashlib
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from vqa.data import fs
from vqa.errors import InputError
from vqa.storage import is_uri

VIDEO_EXTENSIONS = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".flv", ".wmv", ".mpg",
                    ".mpeg", ".ts", ".3gp", ".ogv"}
LIST_EXTENSIONS = {".csv", ".parquet", ".txt"}
PATH_COLUMNS = ("path", "video", "file", "filename", "uri")


class SourceError(InputError):
    """A SRC that names nothing usable."""


def _from_list(src: str) -> list[str]:
    """Paths in a list file (local or a URI); relative entries are relative to the list."""
    suffix = Path(src).suffix.lower()
    if suffix == ".txt":
        paths = [line.strip() for line in fs.read_text(src).splitlines()]
        paths = [p for p in paths if p and not p.startswith("#")]
    else:
        try:
            if suffix == ".parquet":
                table = fs.read_parquet(src)
            else:
                with fs.open_input(src) as f:
                    table = pacsv.read_csv(f)
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{src}: not a readable {suffix[1:]} list of paths "
                              f"({' '.join(str(exc).split())[:200]})") from None
        cols = {c.lower(): c for c in table.column_names}
        col = next((cols[c] for c in PATH_COLUMNS if c in cols), None)
        if col is None:
            raise SourceError(f"{src}: no path column; expected one of {PATH_COLUMNS}, "
                              f"got {table.column_names}")
        paths = [str(p) for p in table.column(col).to_pylist() if p]
    base = fs.parent(src)
    return [p if is_uri(p) or os.path.isabs(p) else fs.join(base, p) for p in paths]


def _glob_regex(pattern: str) -> re.Pattern:
    """A glob as a regex with `glob.glob(recursive=True)`'s meaning: `*` and `?` stay inside one
    path segment, `**/` spans any number of them."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] in "*?":
            out, i = out + ("[^/]*" if pattern[i] == "*" else "[^/]"), i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            j = pattern.index("]", i + 1)
            out, i = out + "[" + pattern[i + 1:j].replace("!", "^", 1) + "]", j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _list_remote(src: str) -> list[str]:
    """The same SRC forms under a storage URI: a prefix, a glob, a list file or one file."""
    if any(ch in src for ch in "*?["):
        cut = min(src.index(ch) for ch in "*?[" if ch in src)
        pattern = _glob_regex(src)
        return [p for p in fs.list_files(src[:cut].rsplit("/", 1)[0]) if pattern.match(p)]
    if fs.isdir(src):
        return [p for p in fs.list_files(src) if Path(p).suffix.lower() in VIDEO_EXTENSIONS]
    if fs.isfile(src):
        return _from_list(src) if Path(src).suffix.lower() in LIST_EXTENSIONS else [src]
    raise SourceError(f"SRC not found: {src} (under a storage URI, SRC is a prefix holding "
                      f"videos, a glob, a .csv/.parquet/.txt list of paths or a video object)")


def list_videos(src: str | os.PathLike) -> list[str]:
    """Paths named by SRC: a folder (recursive, by video extension), a glob, or a list file;
    local or under a storage URI (s3://bucket/pool)."""
    text = str(src)
    if fs.is_remote(text):
        return list(dict.fromkeys(_list_remote(text)))
    path = Path(text)
    if path.is_dir():
        found = [str(p) for p in sorted(path.rglob("*"))
                 if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS]
    elif path.is_file() and path.suffix.lower() in LIST_EXTENSIONS:
        found = _from_list(text)
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
        p = p if is_uri(p) else str(Path(p).absolute())
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

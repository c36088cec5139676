"""Output folders every job treats the same way: an `--out` that is a file is refused, a folder
that holds a finished run (its `summary.json`, written last) is refused unless `overwrite`, and
outputs are written under a temporary name and moved into place, so an interrupted run never
leaves a file that looks finished. Under a storage URI the same rules hold: an object appears
only when its upload completes, so remote writes are atomic as they are."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from vqa.errors import InputError
from vqa.storage import is_uri

FINISHED = "summary.json"  # written last by every job: its presence means the run finished


def check_out_dir(out: str | os.PathLike, overwrite: bool = False, resumes: bool = False,
                  flag: str = "--out") -> None:
    """Refuse an output folder that cannot take this run; call before Ray starts."""
    if is_uri(str(out)):
        from vqa.data import fs

        if resumes or overwrite or not fs.exists(fs.join(out, FINISHED)):
            return
        raise InputError(f"{flag} {out}: holds a finished run ({FINISHED})",
                         "pass --overwrite to replace it, or choose another --out")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path}: is a file, not a folder", "give a folder to write into")
    if resumes or overwrite or not (path / FINISHED).exists():
        return
    raise InputError(f"{flag} {path}: holds a finished run ({FINISHED})",
                     "pass --overwrite to replace it, or choose another --out")


def check_out_file(out: str | os.PathLike, flag: str = "--out") -> None:
    """Refuse an output file path that is a folder."""
    if Path(out).is_dir():
        raise InputError(f"{flag} {out}: is a folder; give a file name to write",
                         f"e.g. {Path(out) / 'selected.csv'}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path | str]:
    """Yield a temporary sibling of `path` to write; it replaces `path` only if the block ends
    without an exception (a failed or interrupted write leaves no file under the real name).
    A storage URI is yielded as it is (object uploads are atomic)."""
    if is_uri(str(path)):
        yield str(path)
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> Path | str:
    from vqa.data import fs

    with atomic_path(path) as tmp:
        fs.write_text(tmp, text)
    return path if is_uri(str(path)) else Path(path)

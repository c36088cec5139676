"""Which source videos to distort: quality threshold (when scores exist) and the held-out split
that keeps benchmark sources apart from training sources."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc


def held_out(video_id: str, fraction: float, salt: str = "fg") -> bool:
    """Stable hash split: the same video is on the same side in every run, on every machine."""
    h = int.from_bytes(hashlib.sha1(f"{salt}:{video_id}".encode()).digest()[:8], "big")
    return h / 2**64 < fraction


def select_sources(manifest: pa.Table, score_column: str, min_score: float,
                   holdout_fraction: float, benchmark: bool,
                   salt: str = "fg") -> tuple[pa.Table, list[str]]:
    """Rows to distort and warnings: score > min_score when the column exists (all rows with a
    warning otherwise), then the training or the held-out side of the split."""
    warnings = []
    if score_column in manifest.column_names:
        scores = manifest.column(score_column)
        manifest = manifest.filter(pc.fill_null(pc.greater(scores, min_score), False))
    else:
        warnings.append(f"manifest has no '{score_column}' column: no quality threshold applied "
                        f"(the paper keeps sources with score > {min_score:g})")
    keep = [held_out(v, holdout_fraction, salt) == benchmark
            for v in manifest.column("video_id").to_pylist()]
    return manifest.filter(pa.array(keep, type=pa.bool_())), warnings

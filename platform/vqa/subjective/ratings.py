"""Raw subjective ratings as a long table: one row per (subject, video, dimension) score."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from vqa.data import DIMENSIONS, SchemaError

COLUMNS = ("subject", "video", "dimension", "score")
ALIASES = {"rater": "subject", "worker": "subject", "annotator": "subject", "user": "subject",
           "name": "video", "video_name": "video", "dim": "dimension", "rating": "score",
           "attribute": "attributes"}
ATTRIBUTE_SEP = ";"


class RatingsError(SchemaError):
    """Ratings that cannot be screened; the message names the column, value or rows at fault."""


def read_ratings(path: str | os.PathLike) -> pd.DataFrame:
    """A ratings file (.csv / .tsv / .parquet) as a DataFrame with the canonical column names.

    Without a `dimension` column every score is `overall` (OmniVQA-MOS has one dimension). An
    optional `attributes` column holds the options a subject ticked, separated by ';'.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"ratings file not found: {path}")
    try:
        if path.suffix == ".parquet" or path.is_dir():
            df = pd.read_parquet(path)
        elif path.suffix in (".csv", ".tsv", ".txt"):
            df = pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
        else:
            raise RatingsError(f"{path}: use .csv, .tsv or .parquet")
    except (ValueError, OSError, pd.errors.ParserError) as exc:  # pyarrow's errors are both
        if isinstance(exc, RatingsError):
            raise
        if isinstance(exc, pd.errors.EmptyDataError):
            raise RatingsError(f"{path}: empty file; nothing to screen") from None
        raise RatingsError(f"{path}: not a readable {path.suffix[1:] or 'parquet'} ratings "
                           f"table ({' '.join(str(exc).split())[:200]})") from None
    df = df.rename(columns=lambda c: ALIASES.get(str(c).strip().lower(), str(c).strip().lower()))
    if "dimension" not in df.columns:
        df["dimension"] = "overall"
    return df


def check_ratings(df: pd.DataFrame, score_range: tuple[float, float],
                  dimensions: list[str] | None = None) -> pd.DataFrame:
    """Validate and normalise: required columns, known dimensions, scores numeric and inside
    `score_range`, one score per (subject, video, dimension). Keeps only `dimensions` if given."""
    if df.empty:
        raise RatingsError("ratings: no rows (a header and nothing else?); nothing to screen")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise RatingsError(f"ratings: missing column(s) {missing}; got {list(df.columns)} "
                           f"(need {list(COLUMNS)}; 'dimension' may be left out)")
    df = df.copy()
    for col in ("subject", "video", "dimension"):
        if df[col].isna().any():
            raise RatingsError(f"ratings: {int(df[col].isna().sum())} row(s) with an empty "
                               f"'{col}' (first at row {int(df.index[df[col].isna()][0])})")
        df[col] = df[col].astype(str).str.strip()
    df["dimension"] = df["dimension"].str.lower()
    unknown = sorted(set(df["dimension"]) - set(DIMENSIONS))
    if unknown:
        raise RatingsError(f"ratings: unknown dimension(s) {unknown}; known: {list(DIMENSIONS)}")
    if dimensions:
        bad = sorted(set(dimensions) - set(DIMENSIONS))
        if bad:
            raise RatingsError(f"unknown dimension(s) {bad} requested; known: {list(DIMENSIONS)}")
        absent = sorted(set(dimensions) - set(df["dimension"]))
        if absent:
            raise RatingsError(f"requested dimension(s) {absent} have no ratings")
        df = df[df["dimension"].isin(dimensions)]
    score = pd.to_numeric(df["score"], errors="coerce")
    if score.isna().any():
        rows = df.index[score.isna()][:5].tolist()
        raise RatingsError(f"ratings: {int(score.isna().sum())} score(s) missing or not numeric "
                           f"(rows {rows})")
    lo, hi = score_range
    out = (score < lo) | (score > hi)
    if out.any():
        first = df[out].iloc[0]
        raise RatingsError(f"ratings: {int(out.sum())} score(s) outside the scale [{lo:g}, {hi:g}]"
                           f", e.g. subject {first['subject']!r} video {first['video']!r} "
                           f"{first['dimension']}: {score[out].iloc[0]:g} (set score_range)")
    df["score"] = score.astype(float)
    dup = df.duplicated(["subject", "video", "dimension"], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise RatingsError(f"ratings: {int(dup.sum())} rows repeat a (subject, video, dimension), "
                           f"e.g. ({first['subject']!r}, {first['video']!r}, "
                           f"{first['dimension']!r}); keep one score each")
    if "attributes" in df.columns:
        df["attributes"] = df["attributes"].fillna("").astype(str)
    df = df[[*COLUMNS, *(c for c in df.columns if c not in COLUMNS)]]
    return df.sort_values(["dimension", "video", "subject"], kind="stable").reset_index(drop=True)


def split_attributes(value: str) -> list[str]:
    return [a.strip().lower() for a in str(value).split(ATTRIBUTE_SEP) if a.strip()]


def present_dimensions(df: pd.DataFrame) -> list[str]:
    """Dimensions of the table in the canonical DIMENSIONS order."""
    have = set(df["dimension"])
    return [d for d in DIMENSIONS if d in have]

"""What a study's screening removed and what its MOS look like: numbers for report.json and the
two plots FineVQ shows (MOS histograms per dimension, inter-dimension correlation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vqa.subjective.mos import wide
from vqa.subjective.ratings import present_dimensions


def dimension_correlation(mos: pd.DataFrame) -> pd.DataFrame:
    """SRCC between the MOS of every pair of dimensions, over the videos that have both."""
    table = wide(mos)[present_dimensions(mos)]
    return table.corr(method="spearman")


def screening_summary(screened: pd.DataFrame, subjects: pd.DataFrame) -> dict:
    kept_subjects = ~screened["subject_rejected"]
    rejected = subjects[subjects["rejected"]]
    return {
        "subjects": int(len(subjects)),
        "subjects_rejected": int(len(rejected)),
        "rejected": {r["subject"]: r["reason"] for r in rejected.to_dict("records")},
        "ratings": int(len(screened)),
        "ratings_of_rejected": int((~kept_subjects).sum()),
        "outliers_removed": int(screened["outlier"].sum()),
        "outlier_pct": round(100 * float(screened.loc[kept_subjects, "outlier"].mean()), 3)
        if kept_subjects.any() else 0.0,
        "non_gaussian_pct": round(100 * float(1 - screened[kept_subjects].groupby(
            ["video", "dimension"])["gaussian"].first().astype(bool).mean()), 2)
        if kept_subjects.any() else 0.0,
    }


def mos_summary(mos: pd.DataFrame) -> dict:
    out = {}
    for dim in present_dimensions(mos):
        m = mos[mos["dimension"] == dim]
        out[dim] = {"videos": int(len(m)), "mean": round(float(m["mos"].mean()), 3),
                    "sd": round(float(m["mos"].std(ddof=0)), 3),
                    "mean_ci95": round(float(m["ci95"].mean()), 3),
                    "levels": {k: int(v) for k, v in
                               m["level_name"].value_counts().sort_index().items()}}
    return out


def plot_histograms(mos: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = present_dimensions(mos)
    cols = min(3, len(dims))
    rows = int(np.ceil(len(dims) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, dim in zip(axes.flat, dims):
        ax.hist(mos.loc[mos["dimension"] == dim, "mos"], bins=20, range=(0, 100), color="C0")
        ax.set_title(dim)
        ax.set_xlabel("MOS")
    for ax in list(axes.flat)[len(dims):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def plot_correlation(corr: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.1 * len(corr) + 2, 1.1 * len(corr) + 1))
    im = ax.imshow(corr.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(corr)), corr.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(corr)), corr.index)
    for i in range(len(corr)):
        for j in range(len(corr)):
            ax.text(j, i, f"{corr.iat[i, j]:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label="SRCC")
    ax.set_title("MOS correlation between dimensions")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path

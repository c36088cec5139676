"""Tables (markdown for people, CSV for tools) and the rating scatter plot. Every rating column
says whether it is raw or after the logistic fit."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from vqa.evaluate.metrics import FITTED, RAW, fit_logistic, logistic4, not_meaningful, step_fit

RATING_COLUMNS = [("SRCC (raw)", f"srcc_{RAW}", True), ("KRCC (raw)", f"krcc_{RAW}", True),
                  ("PLCC (raw)", f"plcc_{RAW}", True), ("PLCC (logistic)", f"plcc_{FITTED}", True),
                  ("SRCC (logistic)", f"srcc_{FITTED}", False),
                  ("RMSE (raw)", f"rmse_{RAW}", False), ("RMSE (logistic)", f"rmse_{FITTED}", False)]


def _num(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def markdown(rows: list[dict], columns: list[str]) -> str:
    head = "| " + " | ".join(columns) + " |\n|" + "|".join("---" for _ in columns) + "|\n"
    return head + "".join("| " + " | ".join(_num(r.get(c)) for c in columns) + " |\n"
                          for r in rows)


def to_csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c) for c in columns})
    return buf.getvalue()


def rating_display(rows: list[dict], confidence: float) -> tuple[list[dict], list[str]]:
    """Rows for the markdown table: a metric with a CI reads `0.812 [0.77, 0.85]`."""
    cols = ["subset", "target", "n"] + [c for c, _, _ in RATING_COLUMNS]
    out = []
    for r in rows:
        d = {"subset": r["subset"], "target": r["target"], "n": r["n"]}
        for col, key, has_ci in RATING_COLUMNS:
            lo, hi = r.get(f"{key}_lo"), r.get(f"{key}_hi")
            d[col] = _num(r[key]) + (f" [{_num(lo, 2)}, {_num(hi, 2)}]"
                                     if has_ci and lo is not None and not math.isnan(lo) else "")
        d["not meaningful"] = r.get("note") or ""
        out.append(d)
    note = (f"Brackets: {int(round(confidence * 100))} % bootstrap CI (percentile, videos "
            f"resampled). raw: the model's own scale; logistic: after the VQEG 4-parameter "
            f"logistic fit onto the label scale.")
    return out, cols + ["not meaningful", note]


def rating_markdown(rows: list[dict], confidence: float) -> str:
    shown, cols = rating_display(rows, confidence)
    return markdown(shown, cols[:-1]) + "\n" + cols[-1] + "\n"


def rating_csv(rows: list[dict]) -> str:
    keys = ["subset", "target", "pred", "label", "n", "fit_ok", "note"]
    for _, key, has_ci in RATING_COLUMNS:
        keys += [key] + ([f"{key}_lo", f"{key}_hi"] if has_ci else [])
    return to_csv(rows, keys)


def scatter(rated: list[dict], targets: list[tuple[str, str, str]], path: str | Path) -> Path:
    """Prediction vs label per target, with the fitted logistic drawn through the points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(targets)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.8), squeeze=False)
    for ax, (name, pcol, lcol) in zip(axes[0], targets):
        rs = [r for r in rated if r.get(pcol) is not None and r.get(lcol) is not None]
        x = np.asarray([r[pcol] for r in rs], float)
        y = np.asarray([r[lcol] for r in rs], float)
        for s in sorted({r.get("subset") or "all" for r in rs}):
            m = np.asarray([(r.get("subset") or "all") == s for r in rs], bool)
            ax.scatter(x[m], y[m], s=12, alpha=0.7, label=s)
        params = fit_logistic(x, y) if not_meaningful(x, y) is None else None
        params = None if params is None or step_fit(x, params) else params
        if params is not None:
            grid = np.linspace(x.min(), x.max(), 200)
            ax.plot(grid, logistic4(grid, *params), color="C3", label="logistic fit")
            ax.legend(loc="lower right", fontsize=8)
        ax.set(title=name, xlabel=f"prediction ({pcol})", ylabel=f"label ({lcol})")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_accuracy(scored: list[dict], out_dir: Path) -> dict[str, float]:
    """answers.parquet, accuracy_table.md and one CSV per benchmark → flat MLflow metrics."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from vqa.evaluate import understanding

    rows = [{**s, "votes": json.dumps(s.get("votes"))} for s in scored]
    pq.write_table(pa.Table.from_pylist(rows), out_dir / "answers.parquet")
    md, metrics = [], {}
    for bench in dict.fromkeys(s["benchmark"] for s in scored):
        rs = [s for s in scored if s["benchmark"] == bench]
        cols = understanding.columns_for(rs)
        board = understanding.leaderboard(rs, cols)
        names = [""] + [c for c, _, _ in cols] + ["Overall"]
        md.append(f"### {bench}\n\n" + markdown(board, names))
        (out_dir / f"accuracy_{metric_key(bench)}.csv").write_text(to_csv(board, names))
        metrics.update({metric_key(k): v for k, v in understanding.summary_metrics(bench, rs).items()})
    (out_dir / "accuracy_table.md").write_text(
        "\n".join(md) + "\nAccuracy in [0, 1]; open answers score 0/1/2 halved. Failed "
        "questions (judge failed or absent, video errors) are counted, not scored.\n")
    return metrics


def metric_key(text: str) -> str:
    """A name MLflow accepts as a metric key or file name."""
    import re

    return re.sub(r"[^A-Za-z0-9_.\-/]+", "_", str(text)).strip("_")

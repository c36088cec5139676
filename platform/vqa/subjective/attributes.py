"""Quality-attribute labels (FineVQ B.2): the options that more than half of the subjects chose."""

from __future__ import annotations

import pandas as pd

from vqa.subjective.ratings import split_attributes


def attribute_labels(ratings: pd.DataFrame, majority: float = 0.5) -> pd.DataFrame:
    """One row per (video, dimension): `labels` (';'-joined, options chosen by > `majority` of
    the subjects who answered), `voters`. Needs an `attributes` column."""
    rows = []
    for (video, dim), g in ratings.groupby(["video", "dimension"], sort=True):
        chosen = [set(split_attributes(a)) for a in g["attributes"]]
        counts = pd.Series([a for s in chosen for a in s], dtype=object).value_counts()
        labels = sorted(a for a, c in counts.items() if c > majority * len(chosen))
        rows.append({"video": video, "dimension": dim, "labels": ";".join(labels),
                     "voters": len(chosen)})
    return pd.DataFrame(rows, columns=["video", "dimension", "labels", "voters"])

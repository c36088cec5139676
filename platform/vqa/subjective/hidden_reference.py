"""Hidden-reference supervision (OmniVQA §4): each video's objective level is the reference,
unseen by the raters; a human score two or more levels away from it is sent back for re-rating."""

from __future__ import annotations

import pandas as pd

from vqa.subjective.levels import LSVQ_BOUNDARIES, level_index, to_0_100


def flag_rerating(ratings: pd.DataFrame, objective: pd.DataFrame,
                  score_range: tuple[float, float], objective_range: tuple[float, float] = (0, 100),
                  boundaries=LSVQ_BOUNDARIES, distance: int = 2) -> pd.DataFrame:
    """The `overall` ratings of videos with an objective score, with `human_level`, `ref_level`,
    `level_gap` and `rerate` (gap ≥ `distance`). Both scales are mapped onto [0, 100] first."""
    obj = objective.drop_duplicates("video").set_index("video")["mos"]
    r = ratings[(ratings["dimension"] == "overall") & ratings["video"].isin(obj.index)].copy()
    r["objective"] = r["video"].map(obj).astype(float)
    r["human_level"] = level_index(to_0_100(r["score"], score_range), boundaries)
    r["ref_level"] = level_index(to_0_100(r["objective"], objective_range), boundaries)
    r["level_gap"] = (r["human_level"] - r["ref_level"]).abs()
    r["rerate"] = r["level_gap"] >= distance
    return r

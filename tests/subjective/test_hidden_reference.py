import pandas as pd

from vqa.subjective.hidden_reference import flag_rerating
from vqa.subjective.ratings import check_ratings


def test_two_levels_from_the_reference_is_flagged():
    # Objective 70 → good (3). Raw 1–5 maps to 0/25/50/75/100 → low/poor/fair/good/excellent.
    ratings = check_ratings(pd.DataFrame({
        "subject": list("abcde") + ["a"], "video": ["v"] * 5 + ["w"],
        "dimension": ["overall"] * 6, "score": [1, 2, 3, 4, 5, 1]}), (1, 5))
    objective = pd.DataFrame({"video": ["v"], "mos": [70.0]})
    got = flag_rerating(ratings, objective, (1, 5)).set_index("subject")
    assert got["ref_level"].unique().tolist() == [3]
    assert got["level_gap"].to_dict() == {"a": 3, "b": 2, "c": 1, "d": 0, "e": 1}
    assert got.index[got["rerate"]].tolist() == ["a", "b"]   # w has no objective score
    assert flag_rerating(ratings, objective, (1, 5), distance=3)["rerate"].sum() == 1

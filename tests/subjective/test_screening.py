"""Screening on constructed data where the right answer is known by hand."""

import math

import numpy as np
import pandas as pd
from scipy.stats import kurtosis, norm

from vqa.subjective.ratings import check_ratings
from vqa.subjective.screening import ScreeningConfig, flag_outliers, screen


def long(scores: dict[str, list[float]], dimension="overall") -> pd.DataFrame:
    rows = [{"subject": s, "video": f"v{i:02d}", "dimension": dimension, "score": float(x)}
            for s, xs in scores.items() for i, x in enumerate(xs)]
    return check_ratings(pd.DataFrame(rows), (0, 100))


# Clean agreement with a known shape: 20 normal quantiles (sd 8.8, β₂ 2.26, max 16.4 < 2σ),
# shuffled over subjects per video, so no clean score is an outlier and a planted score at ±30
# keeps the video Gaussian (β₂ ≤ 3.9 with up to three of them) and lies beyond 2σ.
OFFSETS = 10 * norm.ppf(np.linspace(0.05, 0.95, 20))
FAR = 30.0


def panel(n_videos=40, seed=0):
    rng = np.random.default_rng(seed)
    truth = np.linspace(35, 65, n_videos)
    table = np.stack([t + rng.permutation(OFFSETS) for t in truth], axis=1)  # subjects × videos
    return truth, {f"s{j:02d}": list(table[j]) for j in range(len(OFFSETS))}


def test_bad_subject_rejected_outlier_removed_clean_subject_kept():
    truth, scores = panel()
    scores["bad"] = list(truth + FAR * (-1) ** np.arange(len(truth)))  # careless: always far off
    scores["s03"][7] = truth[7] + FAR                                   # one slip: 2.5 % < 5 %
    res = screen(long(scores))
    assert res.rejected_subjects == ["bad"]
    r = res.ratings
    assert r.loc[r["subject"] == "bad", "subject_rejected"].all()
    assert not r.loc[r["subject"] == "bad", "kept"].any()
    slip = r[(r["subject"] == "s03") & (r["video"] == "v07")]
    assert slip["outlier"].item() and not slip["kept"].item()
    assert r.loc[(r["subject"] == "s03") & (r["video"] != "v07"), "kept"].all()
    assert set(res.kept["subject"]) == set(scores) - {"bad"}
    subj = res.subjects.set_index("subject")
    assert subj.loc["s03", "outliers_removed"] == 1 and not subj.loc["s03", "rejected"]
    assert "outliers > 5%" in subj.loc["bad", "reason"]


def test_gaussian_and_non_gaussian_bounds_by_hand():
    # 19 × 3 and one 5: β₂ = m4/m2² = 18 > 4 → non-Gaussian, bound √20·σ.
    scores = {f"s{j:02d}": [3.0] for j in range(19)}
    scores["s19"] = [5.0]
    f = flag_outliers(long(scores), ScreeningConfig())
    u = np.array([3.0] * 19 + [5.0])
    m2, m4 = ((u - u.mean()) ** 2).mean(), ((u - u.mean()) ** 4).mean()
    assert math.isclose(f["beta2"].iloc[0], m4 / m2 ** 2) and m4 / m2 ** 2 > 4
    assert math.isclose(f["beta2"].iloc[0], kurtosis(u, fisher=False))
    assert not f["gaussian"].any()
    sd = u.std(ddof=1)                      # 0.447; √20·σ = 2.0 > 5 − 3.1 = 1.9
    assert 5 - u.mean() < math.sqrt(20) * sd and 5 - u.mean() > 2 * sd
    assert not (f["outlier_high"] | f["outlier_low"]).any()
    # Same scores forced Gaussian: 5 lies beyond mean + 2σ → high outlier.
    f = flag_outliers(long(scores), ScreeningConfig(kurtosis_high=100))
    assert f["gaussian"].all()
    assert f.loc[f["outlier_high"], "subject"].tolist() == ["s19"] and not f["outlier_low"].any()


def test_rejection_needs_more_than_five_percent():
    truth, scores = panel(n_videos=20)
    scores["s00"][3] = truth[3] - FAR                          # 1/20 = 5 %: kept
    for i in (2, 17):                                          # 2/20 = 10 %: rejected
        scores["s01"][i] = truth[i] + FAR
    res = screen(long(scores))
    frac = res.subjects.set_index("subject")["outlier_fraction"]
    assert frac["s00"] == 0.05 and frac["s01"] == 0.10
    assert res.rejected_subjects == ["s01"]


def test_bt500_symmetry_keeps_a_one_sided_subject():
    truth, scores = panel(n_videos=20)
    for i in (1, 3, 5):                                         # always far too high
        scores["s02"][i] = truth[i] + FAR
    assert screen(long(scores)).rejected_subjects == ["s02"]
    assert screen(long(scores), ScreeningConfig(bt500_symmetry=True)).rejected_subjects == []


def test_screening_is_per_dimension_and_can_be_disabled():
    truth, scores = panel(n_videos=20)
    a, b = long(scores, "noise"), long({k: list(100 - np.array(v)) for k, v in scores.items()},
                                       "blur")
    res = screen(pd.concat([a, b], ignore_index=True))
    assert res.rejected_subjects == []           # each dimension is screened on its own
    off = screen(long(scores), ScreeningConfig(enabled=False))
    assert off.ratings["kept"].all() and off.rejected_subjects == []

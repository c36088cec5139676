"""z-score → rescale → mean, against numbers computed by hand."""

import math

import pandas as pd
import pytest

from vqa.subjective.mos import MosConfig, compute_mos, zscores
from vqa.subjective.ratings import check_ratings


def long(scores: dict[str, list[float]], dimension="overall"):
    rows = [{"subject": s, "video": f"v{i}", "dimension": dimension, "score": float(x)}
            for s, xs in scores.items() for i, x in enumerate(xs)]
    return check_ratings(pd.DataFrame(rows), (1, 5))


def test_zscore_rescale_mean_std_ci_by_hand():
    # A: 1 3 5 → μ 3, σ 2 → z −1 0 1 → 33.33 50 66.67
    # B: 2 2 5 → μ 3, σ √3 → z −1/√3 −1/√3 2/√3 → 40.38 40.38 69.25
    mos = compute_mos(long({"A": [1, 3, 5], "B": [2, 2, 5]})).set_index("video")
    a = [100 * (z + 3) / 6 for z in (-1, 0, 1)]
    b = [100 * (z + 3) / 6 for z in (-1 / math.sqrt(3), -1 / math.sqrt(3), 2 / math.sqrt(3))]
    for i in range(3):
        row = mos.loc[f"v{i}"]
        assert row["mos"] == pytest.approx((a[i] + b[i]) / 2)
        sd = abs(a[i] - b[i]) / math.sqrt(2)          # sample sd of two values
        assert row["std"] == pytest.approx(sd)
        assert row["ci95"] == pytest.approx(1.96 * sd / math.sqrt(2))
        assert row["n"] == 2
    assert mos.loc["v0", "mos"] == pytest.approx((100 / 3 + 100 * (3 - 1 / math.sqrt(3)) / 6) / 2)


def test_subject_bias_and_gain_vanish_after_zscore():
    base = [1, 2, 3, 4, 5]
    harsh = [x * 0.5 + 0.5 for x in base]      # affine copy of the same opinion
    z = zscores(long({"A": base, "B": harsh}))
    za = z[z["subject"] == "A"]["z"].to_numpy()
    zb = z[z["subject"] == "B"]["z"].to_numpy()
    assert za == pytest.approx(zb)
    mos = compute_mos(long({"A": base, "B": harsh}))
    assert mos["std"].tolist() == pytest.approx([0.0] * 5, abs=1e-9)


def test_constant_subject_is_dropped_and_clip_and_raw():
    mos = compute_mos(long({"A": [1, 3, 5], "C": [4, 4, 4]}))
    assert mos["n"].tolist() == [1, 1, 1]        # C carries no ranking information
    # 21 ratings: one z ≈ 4.4 > 3 → clipped at 100 unless clip is off.
    ratings = long({"A": [1] * 20 + [5]})
    assert compute_mos(ratings)["mos"].max() == 100.0
    assert compute_mos(ratings, MosConfig(clip=False))["mos"].max() > 100.0
    raw = compute_mos(long({"A": [1, 3, 5], "B": [2, 2, 5]}), MosConfig(normalize="raw"))
    assert raw["mos"].tolist() == pytest.approx([12.5, 37.5, 100.0])   # (r − 1)/4 · 100


def test_dimensions_are_normalised_separately():
    r = pd.concat([long({"A": [1, 3, 5]}, "noise"), long({"A": [3, 4, 5]}, "blur")])
    mos = compute_mos(r).set_index(["video", "dimension"])["mos"]
    assert mos[("v0", "noise")] == pytest.approx(mos[("v0", "blur")])

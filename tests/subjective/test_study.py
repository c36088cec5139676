"""The issue's acceptance study: 22 subjects × 300 videos × 6 dimensions, two bad subjects."""

from scipy.stats import spearmanr

from vqa.data import DIMENSIONS
from vqa.subjective.mos import compute_mos
from vqa.subjective.ratings import check_ratings
from vqa.subjective.screening import screen
from vqa.subjective.simulate import StudySpec, simulate_study


def test_simulated_study_recovers_truth_and_rejects_the_bad_subjects():
    ratings, truth, info = simulate_study(StudySpec(subjects=22, videos=300, bad_subjects=2))
    assert len(ratings) == 22 * 300 * 6
    res = screen(check_ratings(ratings, (1, 5)))
    assert res.rejected_subjects == sorted(info["bad_subjects"]) == ["s20", "s21"]
    assert 0.5 < 100 * res.ratings.loc[~res.ratings["subject_rejected"], "outlier"].mean() < 5
    mos = compute_mos(res.kept).merge(truth, on=["video", "dimension"])
    for dim in DIMENSIONS:
        m = mos[mos["dimension"] == dim]
        assert spearmanr(m["mos"], m["truth"])[0] >= 0.95, dim
    # Without screening the bad subjects drag the MOS away from the truth.
    raw = compute_mos(check_ratings(ratings, (1, 5))).merge(truth, on=["video", "dimension"])
    assert spearmanr(raw["mos"], raw["truth"])[0] < spearmanr(mos["mos"], mos["truth"])[0]

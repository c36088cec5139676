import math

import numpy as np
import pytest
from scipy import stats

from vqa.evaluate.metrics import bootstrap_ci, fit_logistic, logistic4, point_metrics
from vqa.evaluate.rating import correlations


def test_raw_metrics_agree_with_scipy_on_random_data():
    rng = np.random.default_rng(1)
    for n in (5, 40, 300):
        x = rng.normal(size=n)
        y = x + rng.normal(scale=2, size=n)
        m = point_metrics(x, y)
        assert m["srcc_raw"] == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        assert m["krcc_raw"] == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)
        assert m["plcc_raw"] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
        assert m["rmse_raw"] == pytest.approx(np.sqrt(np.mean((x - y) ** 2)), abs=1e-12)
        assert correlations(x, y)["srcc"] == pytest.approx(m["srcc_raw"])
        if n == 5:  # 4 parameters through 5 points: the fit is a step, flagged, not reported
            assert not m["fit_ok"] and m["note"].startswith("degenerate logistic fit (a step")
            continue
        # a monotone fit never changes the ranks (ties aside)
        assert m["fit_ok"] and m["srcc_logistic"] == pytest.approx(m["srcc_raw"], abs=1e-9)


def test_logistic_by_hand_and_fit_recovers_a_known_curve():
    b1, b2, b3, b4 = 90.0, 10.0, 3.0, 0.5
    # by hand: the midpoint sits at b3; one |b4| above it: b2 + 80 / (1 + e^-1)
    assert logistic4(3.0, b1, b2, b3, b4) == pytest.approx(50.0)
    assert logistic4(3.5, b1, b2, b3, b4) == pytest.approx(10 + 80 / (1 + math.exp(-1)))
    assert logistic4(3.5, b1, b2, b3, -b4) == logistic4(3.5, b1, b2, b3, b4)  # |b4|
    x = np.linspace(1, 5, 41)
    y = logistic4(x, b1, b2, b3, b4)
    params = fit_logistic(x, y)
    np.testing.assert_allclose([params[0], params[1], params[2], abs(params[3])],
                               [b1, b2, b3, b4], rtol=1e-4)
    m = point_metrics(x, y)
    assert m["fit_ok"] and m["plcc_logistic"] == pytest.approx(1.0, abs=1e-9)
    assert m["rmse_logistic"] == pytest.approx(0.0, abs=1e-4)
    assert m["plcc_raw"] < 0.99  # the raw scale is not linear in the label: the fit matters


def test_degenerate_inputs_give_nan_not_errors():
    m = point_metrics([1, 1, 1, 1], [1, 2, 3, 4])
    assert math.isnan(m["srcc_raw"]) and math.isnan(m["plcc_logistic"]) and not m["fit_ok"]
    assert all(math.isnan(v) for b in bootstrap_ci([1, 2], [2, 1]).values() for v in b)


def test_bootstrap_ci_covers_true_correlation_at_about_nominal_rate():
    """Bivariate normal, rho = 0.6: true PLCC 0.6, true SRCC (6/pi) asin(rho/2)."""
    rho, n, reps = 0.6, 60, 150
    true = {"plcc_raw": rho, "srcc_raw": 6 / math.pi * math.asin(rho / 2)}
    rng = np.random.default_rng(7)
    cov = [[1, rho], [rho, 1]]
    hits = {k: 0 for k in true}
    for r in range(reps):
        x, y = rng.multivariate_normal([0, 0], cov, size=n).T
        ci = bootstrap_ci(x, y, names=tuple(true), n_resamples=500, seed=r)
        for k, v in true.items():
            hits[k] += ci[k][0] <= v <= ci[k][1]
    for k in true:
        assert 0.88 <= hits[k] / reps <= 0.99, (k, hits[k] / reps)


def test_two_label_values_or_a_step_fit_are_not_meaningful_with_the_count():
    """Two label values make any separating predictor read 1.000; a logistic that fits a step
    through two groups reads PLCC ≈ 1 too. Both are NaN with a reason, and no overflow."""
    import warnings

    from vqa.evaluate.report import rating_markdown

    x = np.arange(10.0)
    two = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = point_metrics(x, two)
        steep = point_metrics(np.arange(1.0, 9.0), [0, 0, 0, 0, 10, 10, 10, 11])
        ci = bootstrap_ci(np.arange(1.0, 9.0), [0, 0, 0, 0, 10, 10, 10, 11], n_resamples=50)
        logistic4(np.array([-1e6, 0, 1e6]), 1, 0, 0, 1e-9)
    assert math.isnan(m["srcc_raw"]) and math.isnan(m["plcc_logistic"])
    assert m["note"] == "2 distinct label values in 10 videos (3 needed)"
    assert correlations(x, two)["note"] == m["note"] and math.isnan(correlations(x, two)["srcc"])
    assert not math.isnan(steep["srcc_raw"])  # the ranks still mean something
    assert math.isnan(steep["plcc_logistic"]) and not steep["fit_ok"]
    assert steep["note"] == "degenerate logistic fit (a step: 4 and 4 of 8 videos on its two " \
        "plateaus)"
    assert all(math.isnan(v) for v in ci["plcc_logistic"])
    row = {"subset": "all", "target": "overall", "n": 10, **m}
    table = rating_markdown([row], 0.95)
    assert "1.000" not in table and m["note"] in table

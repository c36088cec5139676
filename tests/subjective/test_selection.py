import numpy as np
import pandas as pd
import pytest

from vqa.errors import ConfigError
from vqa.subjective.selection import LSVQ_TRAIN_LEVELS, level_distribution, reference_levels, \
    select_videos


def pool(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"video": [f"p{i:05d}" for i in range(n)],
                         "mos": rng.uniform(0, 100, n)})


def test_selected_histogram_matches_the_reference():
    ref = reference_levels("lsvq")
    assert ref.sum() == pytest.approx(1) and ref.tolist() == pytest.approx(LSVQ_TRAIN_LEVELS)
    sel, rep = select_videos(pool(), 400, ref, seed=3)
    assert len(sel) == 400 and sel["video"].is_unique
    hist = np.bincount(sel["level"], minlength=5)
    assert hist.tolist() == [2, 14, 160, 208, 16]      # 400 × (.005 .035 .40 .52 .04)
    assert level_distribution(sel["mos"]).tolist() == pytest.approx(hist / 400)
    assert rep["total_variation"] == pytest.approx(0) and rep["shortfall"] == {}
    again, _ = select_videos(pool(), 400, ref, seed=3)
    assert again["video"].tolist() == sel["video"].tolist()


def test_shortfall_is_redistributed_and_reported():
    p = pool()
    low = p.index[p["mos"] < 20]
    p = p[(p["mos"] >= 20) | p.index.isin(low[:3])]   # only 3 "low" candidates left
    ref = reference_levels("0.2,0.2,0.2,0.2,0.2")
    sel, rep = select_videos(p, 100, ref)
    hist = np.bincount(sel["level"], minlength=5)
    assert hist[0] == 3 and hist.sum() == 100 and rep["shortfall"] == {"low": 17}
    with pytest.raises(ConfigError, match="cannot select"):
        select_videos(p.head(5), 10, ref)


def test_reference_from_a_labels_file(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("video,mos\na,10\nb,30\nc,50\nd,70\n")
    assert reference_levels(path).tolist() == [0.25, 0.25, 0.25, 0.25, 0.0]
    with pytest.raises(ConfigError, match="five numbers|5 fractions"):
        reference_levels("0.5,0.5")

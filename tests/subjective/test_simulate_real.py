"""`vqa mos-simulate`: a simulated panel over real videos follows their pool scores, and what it
writes goes through `vqa mos` (screening catches the planted bad subjects)."""

import json

import pandas as pd
import pytest
from scipy.stats import spearmanr

from vqa.cli import main as vqa
from vqa.subjective.simulate import StudySpec, simulate_study


def test_truth_follows_the_given_quality():
    quality = {f"/pool/v{i}.mp4": float(q) for i, q in enumerate(range(0, 100, 5))}
    ratings, truth, info = simulate_study(StudySpec(subjects=10, bad_subjects=1), quality)
    assert set(ratings["video"]) == set(quality)
    overall = truth[truth["dimension"] == "overall"].set_index("video")["truth"]
    assert spearmanr([quality[v] for v in overall.index], overall.values)[0] > 0.8
    assert len(info["bad_subjects"]) == 1


@pytest.mark.ray  # `vqa mos` runs on a local Ray cluster
def test_cli_writes_ratings_that_vqa_mos_screens(tmp_path, capsys):
    pool = tmp_path / "labels.csv"
    pd.DataFrame({"video": [f"v{i}.mp4" for i in range(30)],
                  "mos": [float(3 * i) for i in range(30)]}).to_csv(pool, index=False)
    out = tmp_path / "study"
    assert vqa(["mos-simulate", "--pool", str(pool), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["videos"] == 30 and summary["bad_subjects"] == ["s20", "s21"]
    ratings = pd.read_csv(out / "ratings.csv")
    assert set(ratings.columns) >= {"subject", "video", "dimension", "score"}
    assert vqa(["mos", "--ratings", str(out / "ratings.csv"), "--out", str(tmp_path / "mos"),
                "--json"]) == 0
    mos = json.loads(capsys.readouterr().out)
    assert {"s20", "s21"} <= set(mos["rejected"])

"""Every generated QA agrees with the MOS and level it was made from."""

import re

import pandas as pd
import pytest

from vqa.data import DIMENSIONS, samples_table
from vqa.subjective.levels import LevelConfig, assign_levels, level_index
from vqa.subjective.mos import compute_mos
from vqa.subjective.qa import FIVE, QAConfig, build_samples
from vqa.subjective.ratings import check_ratings
from vqa.subjective.screening import screen
from vqa.subjective.simulate import StudySpec, simulate_study
from vqa.subjective.splits import split_videos


@pytest.fixture(scope="module")
def study():
    ratings, _, _ = simulate_study(StudySpec(subjects=10, videos=40, bad_subjects=1, seed=5))
    res = screen(check_ratings(ratings, (1, 5)))
    mos, info = assign_levels(compute_mos(res.kept), LevelConfig())
    return mos, info


def test_finevd_eight_per_video_agree_with_mos(study):
    mos, info = study
    splits = split_videos(mos["video"], (4, 1, 1))
    samples = build_samples(mos, QAConfig(), splits)
    assert len(samples) == 8 * 40
    samples_table(samples)                                   # fits the instruction schema
    table = mos.set_index(["video", "dimension"])
    for s in samples:
        video, meta = s["video"], s["meta"]
        q, a = s["conversations"][0]["value"], s["conversations"][1]["value"]
        assert q.startswith("<video>\n") and meta["split"] == splits[video]
        assert s["scores"] == {d: pytest.approx(table.loc[(video, d), "mos"]) for d in DIMENSIONS}
        assert s["mos"] == pytest.approx(table.loc[(video, "overall"), "mos"])
        levels = {d: int(table.loc[(video, d), "level"]) for d in DIMENSIONS}
        exists = [d for d in FIVE if levels[d] <= 2]
        for d in DIMENSIONS:                                 # the stated level is the MOS's
            cuts = info["boundaries"][d]
            assert level_index([table.loc[(video, d), "mos"]], cuts)[0] == levels[d]
        kind = meta["qa"]
        if kind.startswith("yesno-"):
            d = kind.split("-", 1)[1]
            assert a.startswith("Yes," if d in exists else "No,")
            assert f" {table.loc[(video, d), 'level_name']}" in a
        elif kind == "which-exist":
            named = re.findall(r"\b(color|noise|artifact|blur|temporal)\b", a.split("?")[-1])
            assert named == exists
        elif kind == "most-impact":
            if exists:
                worst = min(exists, key=lambda d: table.loc[(video, d), "mos"])
                assert a == f"The {worst} distortion affects the quality the most."
            else:
                assert a.startswith("No distortion")
        else:
            assert kind == "overall"
            assert a == f"The overall quality of this video is " \
                        f"{table.loc[(video, 'overall'), 'level_name']}."


def test_omnivqa_rating_qa_uses_lsvq_levels():
    mos = pd.DataFrame({"video": ["a", "b", "c"], "dimension": ["overall"] * 3,
                        "mos": [15.0, 60.0, 99.0]})
    mos, info = assign_levels(mos, LevelConfig())
    samples = build_samples(mos, QAConfig())
    assert [s["conversations"][1]["value"] for s in samples] == [
        "The quality of this video is low.", "The quality of this video is good.",
        "The quality of this video is excellent."]
    assert all(s["conversations"][0]["value"] == "<video>\nHow would you rate the quality of "
                                                 "this video?" for s in samples)
    assert [s["mos"] for s in samples] == [15.0, 60.0, 99.0]
    with pytest.raises(ValueError, match="all six dimensions"):
        build_samples(mos, QAConfig(style="finevd"))

"""The controls that say what a benchmark number can mean: the SRCC a perfect ranker reaches on
tied labels, and the same questions asked of other clips."""

import itertools

import numpy as np
import pytest
from scipy import stats

from vqa.evaluate.choice import other_clips
from vqa.evaluate.rating import rating_table, tie_ceiling


def test_tie_ceiling_is_one_without_ties_and_matches_every_tie_order_by_hand():
    assert tie_ceiling([3.0, 1.0, 2.0, 5.0]) == pytest.approx(1.0)
    # one damaged clip and four at 100: the mean SRCC over all 24 orders of the tied four
    label = [10.0, 100.0, 100.0, 100.0, 100.0]
    exact = np.mean([stats.spearmanr([0, *perm], label)[0]
                     for perm in itertools.permutations([1, 2, 3, 4])])
    assert exact < 0.8
    assert tie_ceiling(label, draws=2000) == pytest.approx(exact, abs=0.02)


def test_more_ties_lower_the_ceiling_and_rating_table_reports_it():
    rng = np.random.default_rng(0)
    few = np.where(rng.random(96) < 0.5, 100.0, rng.uniform(0, 90, 96))
    many = np.where(rng.random(96) < 0.9, 100.0, rng.uniform(0, 90, 96))
    assert tie_ceiling(many) < tie_ceiling(few) < 1.0
    rated = [{"pred": p, "mos": m, "pred_blur": m + rng.random(), "blur": m}
             for p, m in zip(rng.random(96), many)]
    table = rating_table(rated, ["blur"])
    assert table["blur (head)"]["srcc_ceiling"] == pytest.approx(tie_ceiling(many))
    # a ranker that gets every damaged clip right and orders the tied ones at random sits at
    # the ceiling, not at 1
    assert table["blur (head)"]["srcc"] == pytest.approx(tie_ceiling(many), abs=0.1)


def test_other_clips_gives_every_question_another_clip_and_keeps_the_rest():
    items = [{"video": f"v{i % 5}.mp4", "question": f"q{i}", "answer": "A"} for i in range(23)]
    swapped = other_clips(items, seed=3)
    assert [s["question"] for s in swapped] == [it["question"] for it in items]
    assert all(s["video"] != it["video"] for s, it in zip(swapped, items))
    assert sorted(s["video"] for s in swapped) == sorted(it["video"] for it in items)
    assert other_clips(items, seed=3) == swapped
    assert other_clips(items, seed=4) != swapped


def test_other_clips_refuses_when_one_clip_holds_most_questions():
    items = [{"video": "a.mp4"}] * 3 + [{"video": "b.mp4"}]
    with pytest.raises(ValueError, match="3 of 4 items share one clip"):
        other_clips(items)


def test_choose_answer_picks_the_option_whose_whole_answer_the_model_finds_likeliest(
        clip_factory):
    """lm-evaluation-harness style: each option's answer ("B. second") is scored as training
    scores it (the teacher-forced language loss over the answer's tokens), the lowest total wins."""
    import torch

    from vqa.evaluate.choice import choose_answer, option_answers
    from vqa.model.batch import loss_on, prepare_sample
    from vqa.model.inference import sample_video
    from vqa.model.presets import build_model

    torch.manual_seed(0)
    model = build_model("tiny").eval()
    video = sample_video(model, str(clip_factory("ca.mp4", width=64, height=48, frames=24,
                                                 fps=8.0, seed=1)))
    question = "Where is the blur?\nA. top-left\nB. center\nC. bottom-right"
    answers = option_answers(["top-left", "center", "bottom-right"])
    assert answers == ["A. top-left", "B. center", "C. bottom-right"]
    totals = []
    with torch.no_grad():
        for a in answers:
            p = prepare_sample(model, {"video": None, "conversations": [
                {"from": "human", "value": question}, {"from": "gpt", "value": a}]}, video)
            totals.append(float(loss_on(model, [p])["lm_loss"]) * int((p["labels"] != -100).sum()))
    assert len(set(totals)) == 3
    assert choose_answer(model, video, question, answers) == int(np.argmin(totals))
    # the choice follows the answer, not its place in the list
    assert choose_answer(model, video, question, answers[::-1]) == 2 - int(np.argmin(totals))

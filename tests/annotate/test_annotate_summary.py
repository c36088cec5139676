"""The summary rules on OmniVQA's worked example (§3.2) and their edge cases."""

import json

import pytest

from vqa.annotate.endpoints import Malformed
from vqa.annotate.summary import apply_rules, compose_summary, parse_summary, summarize

# "How is the sharpness of this video?" — the paper's five answers and how a reasoning model
# reads each of them into a verdict + neutral details.
PAPER_ANSWERS = ["Poor", "The sharpness is relatively poor", "Poor, with degraded facial details",
                 "Good, however, the facial details are slightly lost", "Excellent"]
PAPER_READING = [("poor", []), ("poor", []), ("poor", ["degraded human facial details"]),
                 ("good", ["the facial details are slightly lost"]), ("excellent", [])]


def test_paper_example_positive_negative_neutral():
    verdicts, neutrals = zip(*PAPER_READING)
    rules = apply_rules(list(verdicts), list(neutrals), min_agree=3)
    assert rules.verdict == "poor"
    assert rules.positive == [0, 1, 2]  # "Poor", "relatively poor", "Poor, with ..." merged
    assert rules.negative == [3, 4]  # "Good, however ..." and "Excellent" dropped
    # neutral information is kept, also from the negative answer
    assert rules.neutral == ["degraded human facial details",
                             "the facial details are slightly lost"]


def test_paper_example_summary_text():
    verdicts, neutrals = zip(*PAPER_READING)
    paper = "The sharpness is poor with degraded human facial details."
    rules, text = summarize("sharpness", list(verdicts), list(neutrals), paper)
    assert text == paper  # the model's merged wording is kept when it obeys the rules
    # a model that lets a negative answer into the summary is overruled by the rules
    rules, text = summarize("sharpness", list(verdicts), list(neutrals),
                            "The sharpness is good, partly poor.")
    assert text.startswith("The sharpness is poor with degraded human facial details")
    assert compose_summary("sharpness", "poor", ["degraded human facial details"]) == paper


def test_no_consensus_and_ties_reject_the_factor():
    rules, text = summarize("noise", ["poor", "poor", "good", "good", "fair"], [[]] * 5, "x")
    assert not rules.consensus and text is None
    rules = apply_rules(["good"] * 3 + ["poor"] * 3, [[]] * 6, min_agree=3)  # 3 vs 3 tie
    assert rules.verdict is None
    assert apply_rules(["Good.", "good", " GOOD", None, "bad"], [[]] * 5).positive == [0, 1, 2]


def test_parse_summary_checks_shape():
    good = json.dumps({"answers": [{"verdict": "poor", "neutral": ["x"]}] * 5, "summary": "s"})
    verdicts, neutrals, summary = parse_summary(f"```json\n{good}\n```", 5)
    assert verdicts == ["poor"] * 5 and neutrals[0] == ["x"] and summary == "s"
    with pytest.raises(Malformed, match="expected 5"):
        parse_summary(json.dumps({"answers": [], "summary": "s"}), 5)
    with pytest.raises(Malformed):
        parse_summary("The sharpness is poor.", 5)

"""Writer output checks and the instruction samples they become."""

import json

import pytest

from vqa.annotate.endpoints import Malformed
from vqa.annotate.qa import check_pair, parse_writer, to_samples
from vqa.data import normalize_sample

TYPES = ["binary", "mcq", "open"]


def test_pair_rules():
    assert check_pair({"type": "binary", "question": "Is it sharp?", "answer": "yes."},
                      TYPES)["answer"] == "Yes"
    assert check_pair({"type": "binary", "question": "Is it sharp?", "answer": "Maybe"},
                      TYPES) is None
    mcq = {"type": "mcq", "question": "How?", "options": ["good", "poor"], "answer": "B"}
    assert check_pair(mcq, TYPES)["answer"] == "poor"  # a letter is mapped to its option
    assert check_pair({**mcq, "answer": "fair"}, TYPES) is None  # not one of the options
    assert check_pair({**mcq, "options": ["good"]}, TYPES) is None
    assert check_pair({"type": "open", "question": "Q", "answer": ""}, TYPES) is None
    assert check_pair({"type": "cloze", "question": "Q", "answer": "A"}, TYPES) is None


def test_parse_writer_needs_enough_valid_pairs():
    qa = [{"type": "open", "question": "Q", "answer": "A"},
          {"type": "binary", "question": "Q2", "answer": "perhaps"}]
    text = json.dumps({"summary": "S", "qa": qa})
    assert parse_writer(text, TYPES, 1) == ("S", [{"type": "open", "factor": "",
                                                   "question": "Q", "answer": "A"}])
    with pytest.raises(Malformed, match="1 valid"):
        parse_writer(text, TYPES, 2)
    with pytest.raises(Malformed):
        parse_writer(json.dumps({"summary": "", "qa": qa}), TYPES, 1)


def test_samples_are_valid_instructions_with_provenance():
    pairs = [{"type": "mcq", "factor": "noise", "question": "How is the noise?",
              "options": ["mild", "strong"], "answer": "strong"},
             {"type": "binary", "factor": "light", "question": "Is it dark?", "answer": "No"}]
    q = "Please describe the overall quality of this video, please evaluate as many quality " \
        "factors as possible."
    samples = to_samples("v1", "/d/v1.mp4", pairs, q, "Summary.", "understanding",
                         {"prompt_hash": "abc"})
    assert len(samples) == 3
    assert samples[0]["conversations"][0]["value"].startswith("<video>\nHow is the noise?\nA. mild")
    assert samples[0]["conversations"][1]["value"] == "B. strong"
    assert samples[-1]["conversations"] == [{"from": "human", "value": f"<video>\n{q}"},
                                            {"from": "gpt", "value": "Summary."}]
    for s in samples:
        norm = normalize_sample(s)
        assert json.loads(norm["meta"])["prompt_hash"] == "abc"

"""Votes route to keep / modify / human review by the paper's criteria."""

import pytest

from vqa.annotate.endpoints import Malformed
from vqa.annotate.voting import Vote, VotingConfig, decide, majority, parse_vote
from vqa.errors import ConfigError

CFG = VotingConfig()
S = "The noise is mild."


def votes(*scores):
    return [Vote(s, "" if s == 2 else f"modified-{i}") for i, s in enumerate(scores)]


@pytest.mark.parametrize("scores, action, text, rnd", [
    ((2, 2, 2), "keep", S, None),
    ((2, 2, 1), "keep", S, None),
    ((1, 1, 2), "modify", "modified-0", None),
    ((1, 2, 1), "modify", "modified-0", None),
    ((1, 1, 1), "modify", "modified-0", None),
    ((2, 0, 2), "human", None, 1),  # any round at 0 → a human, whatever the majority
    ((0, 0, 0), "human", None, 0),
    ((1, 2, 0), "human", None, 2),
])
def test_routing(scores, action, text, rnd):
    d = decide("noise", S, votes(*scores), CFG)
    assert (d.action, d.text, d.review_round) == (action, text, rnd)


def test_majority_and_ties():
    assert majority([2, 1, 2]) == 2
    assert majority([2, 1]) == 1  # tie → the conservative score
    assert majority([2, 1], tie="higher") == 2


def test_configurable_special_cases():
    cfg = VotingConfig(always_review=["fluency"])
    assert decide("fluency", S, votes(2, 2, 2), cfg).action == "human"
    assert decide("noise", S, votes(2, 2, 2), cfg).action == "keep"
    # a judge that asks for a change but gives no modified text goes to a human
    assert decide("noise", S, [Vote(1), Vote(1), Vote(2)], CFG).action == "human"
    cfg = VotingConfig(human_threshold=1)
    assert decide("noise", S, votes(2, 1, 2), cfg).action == "human"
    with pytest.raises(ConfigError):
        VotingConfig(actions=["keep"]).validate()


def test_parse_vote():
    assert parse_vote('{"score": 1, "modified": "m"}', [0, 1, 2]) == Vote(1, "m")
    assert parse_vote('Sure! {"score": "2"}', [0, 1, 2]) == Vote(2, "")
    for bad in ('{"score": 5}', '{"score": "high"}', "score: 2", '{"score": 2'):
        with pytest.raises(Malformed):
            parse_vote(bad, [0, 1, 2])

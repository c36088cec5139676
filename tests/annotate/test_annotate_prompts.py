"""Prompt templates are versioned files; their hash changes exactly when the wording does."""

import pytest

from vqa.annotate.prompts import NAMES, PACKAGED, load_prompts
from vqa.errors import ConfigError


def test_hash_is_stable_and_tracks_wording(tmp_path):
    a, b = load_prompts("v1"), load_prompts("v1")
    assert a.hash == b.hash and len(a.hash) == 12 and set(a.hashes) == set(NAMES)
    (tmp_path / "judge_vote.v1.txt").write_text(
        (PACKAGED / "judge_vote.v1.txt").read_text() + "\nBe strict.")
    c = load_prompts("v1", str(tmp_path))
    assert c.hash != a.hash and c.hashes["judge_vote"] != a.hashes["judge_vote"]
    assert c.hashes["summarizer"] == a.hashes["summarizer"]
    with pytest.raises(ConfigError, match="not found"):
        load_prompts("v9")


def test_rendering():
    p = load_prompts()
    qs = p.questions("sharpness", 5)
    assert len(set(qs)) == 5 and all("sharpness" in q for q in qs)
    text = p.render("summarizer", k=5, factor="noise", answers="Answer 1: x", min_agree=3)
    assert "at least 3 of the 5" in text and '{"answers"' in text

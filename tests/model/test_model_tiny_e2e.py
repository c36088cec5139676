"""The `tiny` preset rates and chats a real clip end to end on CPU, in the API and the CLI."""

from __future__ import annotations

import json

import pytest

from model_fixtures import clip, tiny_model  # noqa: F401
from vqa.cli import main as vqa


def test_tiny_rates_a_real_clip(tiny_model, clip):
    timings: dict = {}
    out = tiny_model.rate(clip, timings=timings)
    assert 1.0 <= out["score"] <= 5.0
    assert list(out["probs"]) == ["excellent", "good", "fair", "poor", "low"]
    assert sum(out["probs"].values()) == pytest.approx(1.0)
    assert out["level"] == max(out["probs"], key=out["probs"].get)
    assert set(out["dimensions"]) == {"color", "noise", "artifact", "blur", "temporal", "overall"}
    assert set(timings) == {"decode", "vision", "motion", "llm"}
    assert tiny_model.rate(clip) == out  # deterministic


def test_tiny_chats_about_a_real_clip(tiny_model, clip):
    messages = [{"role": "user", "content": "<video>\nIs the video blurry?"}]
    greedy = tiny_model.chat(clip, messages, max_new_tokens=5)
    assert isinstance(greedy, str) and greedy
    assert len(greedy.split()) <= 5
    assert tiny_model.chat(clip, messages, max_new_tokens=5) == greedy
    sampled = tiny_model.chat(clip, messages, max_new_tokens=5, do_sample=True, temperature=1.5)
    assert isinstance(sampled, str)


def test_cli_init_then_score(clip, tmp_path, capsys, mlflow_uri):  # both commands are runs
    assert vqa(["model", "init", "--preset", "tiny", "--out", str(tmp_path / "m"), "--json"]) == 0
    init = json.loads(capsys.readouterr().out)
    assert init["note"].startswith("random init") and 0 < init["trainable"] <= init["parameters"]
    broken = tmp_path / "broken.mp4"  # exists, is no video: an error row, the others rated
    broken.write_text("not a video")
    assert vqa(["score", str(clip), str(broken), "--model", str(tmp_path / "m"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    good, bad = out["results"]
    assert 1.0 <= good["score"] <= 5.0 and good["video"] == str(clip)
    assert "error" in bad and "broken.mp4" in bad["error"]
    with pytest.raises(SystemExit) as err:  # a mistyped path: refused before the model loads
        vqa(["score", str(clip), str(tmp_path / "missing.mp4"), "--model", str(tmp_path / "m")])
    assert err.value.code == 2 and "video not found" in capsys.readouterr().err
    assert "NOT quality judgements" in out["note"]
    assert vqa(["score", str(clip), "--model", str(tmp_path / "m")]) == 0
    table = capsys.readouterr().out
    assert "vqa score" in table and "NOT quality" in table

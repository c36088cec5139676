"""The evaluation stage without Ray: a registered model (models:/NAME/VERSION) loads in the
actor, rates, answers single and pair questions, and turns a broken video into an error row."""

import json

import pyarrow as pa
import pytest

from vqa.evaluate.attributes import EXIST, MOST, parse_attribute, score_attribute
from vqa.evaluate.stage import Evaluator, pair_input


@pytest.fixture(scope="module")
def registered(register_tiny):
    return register_tiny("tiny-eval-stage")


def test_stage_rates_answers_pairs_and_errors(registered, clip_factory, tmp_path):
    assert registered.startswith("models:/tiny-eval-stage/")
    a = str(clip_factory("st_a.mp4", width=96, height=64, frames=20, fps=10.0, seed=1))
    b = str(clip_factory("st_b.mp4", width=64, height=96, frames=30, fps=10.0, seed=2))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"nope" * 50)
    ev = Evaluator(registered, answer="likelihood", max_new_tokens=4)
    pair = pair_input(ev.model, [a, b])
    assert pair["keyframes"].frames.shape[0] == 2 * ev.model.cfg.frames.uniform
    assert pair["keyframes"].info.frames == 50
    ask = {"videos": [a, b], "prompt": "Which is sharper?\nA. first\nB. second",
           "options": ["first", "second"]}
    batch = pa.Table.from_pylist([
        {"key": a, "kind": "rate", "payload": json.dumps({"video": a})},
        {"key": "q-pair", "kind": "ask", "payload": json.dumps(ask)},
        {"key": "q-open", "kind": "ask", "payload": json.dumps({**ask, "options": [],
                                                                 "videos": [a]})},
        {"key": str(broken), "kind": "rate", "payload": json.dumps({"video": str(broken)})}])
    out = {r["key"]: r for r in ev(batch).to_pylist()}
    rated = json.loads(out[a]["result"])
    assert 1 <= rated["pred"] <= 5 and "pred_blur" in rated and out[a]["error"] is None
    assert json.loads(out["q-pair"]["result"])["reply"] in ("A", "B")  # likelihood: a letter
    assert isinstance(json.loads(out["q-open"]["result"])["reply"], str)  # open: generated
    assert out[str(broken)]["result"] is None and "broken.mp4" in out[str(broken)]["error"]
    ev.answer = "answer_likelihood"  # the likeliest whole option answer: a letter too
    assert ev.ask(ask)["reply"] in ("A", "B")


def test_finevd_attribute_answers_parse_against_the_closed_set():
    yes = {"id": "y", "benchmark": "b", "type": "blur", "concern": None, "part": None,
           "answer": "true", "videos": ["v"], "attribute": True}
    assert parse_attribute(yes, "Yes, the blur is mild.") is True
    assert score_attribute(yes, "No, it is sharp.")["score"] == 0.0
    assert score_attribute(yes, "Maybe.")["status"] == "failed"
    judged = score_attribute(yes, "Maybe.", judged={"judge_score": 1, "judge_votes": [1, 0, 1]})
    assert (judged["status"], judged["how"], judged["score"]) == ("ok", "judge", 1.0)
    exist = {**yes, "type": EXIST, "attribute": ["blur", "noise"]}
    assert score_attribute(exist, "The distortions: noise, blur.")["score"] == 1.0
    assert score_attribute(exist, "Only blur.")["score"] == 0.0
    assert score_attribute({**exist, "attribute": []}, "No obvious distortion.")["score"] == 1.0
    most = {**yes, "type": MOST, "attribute": "noise"}
    assert score_attribute(most, "The noise distortion, then blur.")["score"] == 1.0
    assert score_attribute(most, None, error="v: cannot decode")["status"] == "video_error"

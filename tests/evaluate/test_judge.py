"""The judge against the scripted endpoint on 127.0.0.1: majority votes, malformed replies and
endpoint errors retried, then the question counted as failed."""

import json

import pytest

from vqa.annotate.endpoints import EndpointConfig
from vqa.annotate.testing import Script, ScriptedServer
from vqa.errors import ConfigError
from vqa.evaluate.judge import JudgeConfig, grade_all
from vqa.evaluate.understanding import FAILED, OK, needs_judge, score_question


def q(qid, options=("Yes", "No"), answer="A", text="Yes"):
    return {"id": qid, "benchmark": "b", "videos": ["v.mp4"], "prompt": f"Question {qid}?",
            "options": list(options), "answer": answer, "answer_text": text,
            "type": "Yes-or-No" if options else "Open-ended", "concern": None, "part": None}


S = lambda n: json.dumps({"score": n})  # noqa: E731


@pytest.fixture(scope="module")
def server():
    script = Script(grades={
        "split": [S(1), S(0), S(1), S(0), S(0)],          # majority 0 of 5
        "open-split": [S(2), S(1), S(1)],                  # majority 1 of 3
        "chatty": ["Sure! " + S(1) + " hope that helps"],  # JSON inside chatter still parses
        "garbage": ["I think the answer is right."],       # never JSON: failed
        "off-scale": [S(7)],                               # not in {0, 1}: malformed, failed
    })
    faults = [{"kind": "500", "role": "judge", "match": "flaky", "times": 1},
              {"kind": "503", "role": "judge", "match": "down", "times": 99},
              {"kind": "malformed", "role": "judge", "match": "broken", "times": 99}]
    s = ScriptedServer(script=script, faults=faults).start()
    yield s
    s.stop()


def cfg(server, rounds=5):
    return JudgeConfig(enabled=True, rounds=rounds, endpoint=EndpointConfig(
        base_url=server.base_url, model="judge", backoff_base_s=0.01, backoff_max_s=0.05,
        max_retries=2, parse_retries=1, timeout_s=5))


def test_majority_vote_parsing_and_failures(server):
    items = [(q("split"), "maybe"), (q("open-split", (), "Mild noise.", "Mild noise."), "noise"),
             (q("chatty"), "hm"), (q("garbage"), "hm"), (q("off-scale"), "hm"),
             (q("flaky"), "Yes it is"), (q("down"), "Yes"), (q("broken"), "Yes"),
             (q("default-right"), "yes, that is so"), (q("default-wrong"), "no way")]
    res = grade_all(cfg(server), items)
    by = {it[0]["id"]: r for it, r in zip(items, res)}
    assert by["split"] == {"judge_score": 0, "judge_votes": [1, 0, 1, 0, 0]}
    assert by["chatty"]["judge_score"] == 1
    assert by["flaky"]["judge_score"] == 1  # 500 once, retried, then answered
    assert by["default-right"]["judge_score"] == 1 and by["default-wrong"]["judge_score"] == 0
    for bad, kind in (("garbage", "malformed"), ("off-scale", "malformed"),
                      ("down", "503"), ("broken", "malformed")):
        assert f"judge: {kind} after" in by[bad]["judge_error"], by[bad]
    # the endpoint's retries really happened: 1 + max_retries attempts per round for 'down'
    assert server.counts[("judge", "503")] == 5 * 3
    rows = [score_question(it[0], it[1], judged=r) for it, r in zip(items, res)]
    scored = {r["id"]: r for r in rows}
    assert scored["open-split"]["score"] == 0.5  # 1 of 2 points, as Q-Bench-Video halves it
    assert scored["split"]["score"] == 0.0 and scored["split"]["status"] == OK
    for bad in ("garbage", "off-scale", "down", "broken"):  # never silently right or wrong
        assert scored[bad]["status"] == FAILED and scored[bad]["score"] is None


def test_letters_skip_the_judge_and_no_judge_means_failed():
    yes = q("x")
    assert not needs_judge(yes, "A. Yes")
    assert score_question(yes, "A. Yes")["score"] == 1.0
    assert score_question(yes, "B")["score"] == 0.0
    unlettered = score_question(yes, "It is blurry")
    assert unlettered["status"] == FAILED and "no judge" in unlettered["reason"]
    assert score_question(yes, None, error="v.mp4: cannot decode")["status"] == "video_error"


def test_even_rounds_rejected():
    with pytest.raises(ConfigError, match="odd"):
        JudgeConfig(rounds=4).validate()


def test_score_all_keeps_repeated_ids_apart_and_uses_the_judge(server):
    from vqa.evaluate.understanding import score_all

    a, b = q("1"), {**q("1", answer="B", text="No"), "benchmark": "other"}  # same id twice
    attr = {**q("attr", (), "true", "Yes, it is blurry."), "type": "blur", "attribute": True}
    answers = [{"result": {"reply": "A"}, "error": None},
               {"result": {"reply": "A"}, "error": None},
               {"result": {"reply": "Hard to say."}, "error": None}]
    rows = score_all([a, b, attr], answers, cfg(server, rounds=3))
    assert [r["score"] for r in rows[:2]] == [1.0, 0.0] and rows[0]["how"] == "letter"
    assert rows[2]["how"] == "judge" and rows[2]["score"] == 0.0  # default grade: no match
    off = score_all([a, b, attr], answers, JudgeConfig(enabled=False))
    assert off[2]["status"] == FAILED and "no judge configured" in off[2]["reason"]


def test_work_items_key_questions_by_position(tmp_path):
    from vqa.pipelines.evaluate import work_items

    v = tmp_path / "v.mp4"
    v.write_bytes(b"x")
    qs = [{**q("same"), "videos": [str(v)]}, {**q("same"), "videos": [str(v)]},
          {**q("gone"), "videos": [str(tmp_path / "gone.mp4")]}]
    items, missing = work_items([{"video": str(v)}], qs)
    assert [(i["kind"], i["key"]) for i in items] == [("rate", str(v)), ("ask", "q0"),
                                                      ("ask", "q1")]
    assert missing == {str(tmp_path / "gone.mp4"): 1}

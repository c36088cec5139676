import json

import pytest

from vqa.errors import ConfigError
from vqa.evaluate.questions import OPEN, WHAT_HOW, YES_NO, first_letter, read_questions


def _write(path, items):
    path.write_text(json.dumps(items))
    return path


def test_qbench_items_types_concerns_answers_and_pairs(tmp_path):
    for n in ("a.mp4", "b.mp4", "c.mp4"):
        (tmp_path / n).write_bytes(b"x")
    qs = read_questions(_write(tmp_path / "qbench.json", [
        {"video_name": "a.mp4", "question": "Is it blurry?", "answers": ["Yes", "No"],
         "question_type": 0, "concern": 0, "correct_ans": "No"},
        {"video_name": "b.mp4_cat_c.mp4", "question": "Which video is sharper?",
         "answers": ["The first", "The second"], "question_type": 1, "context": 2,
         "correct_ans": "B"},
        {"video_name": "a.mp4", "question": "Describe the noise.", "answers": [],
         "question_type": 2, "concern": "Aesthetic", "correct_ans": "Mild noise."}]))
    yes, pair, open_ = qs
    assert (yes["type"], yes["concern"], yes["answer"]) == (YES_NO, "Technical", "B")
    assert "A. Yes\nB. No" in yes["prompt"] and yes["answer_text"] == "No"
    assert [p.split("/")[-1] for p in pair["videos"]] == ["b.mp4", "c.mp4"]
    assert (pair["type"], pair["concern"], pair["answer"]) == (WHAT_HOW, "Temporal", "B")
    assert (open_["type"], open_["options"], open_["answer"]) == (OPEN, [], "Mild noise.")


def test_fg_benchmark_jsonl_and_a_malformed_line_is_named(tmp_path):
    good = {"id": "fg-0", "video": "clip.mp4", "category": "S", "question": "Where? A. x B. y",
            "options": ["x", "y"], "answer": "B", "answer_text": "y"}
    path = tmp_path / "benchmark.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "answer": "E"}) + "\n")
    with pytest.raises(ConfigError, match=r"benchmark.jsonl:3: malformed question: answer 'E'"):
        read_questions(path)
    path.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(ConfigError, match=r"benchmark.jsonl:2: malformed question: invalid JSON"):
        read_questions(path)
    path.write_text(json.dumps({**good, "video": ""}) + "\n")
    with pytest.raises(ConfigError, match=r"benchmark.jsonl:1: .*missing 'video'"):
        read_questions(path)
    path.write_text(json.dumps(good) + "\n")
    (q,) = read_questions(path)
    assert (q["concern"], q["part"], q["answer"], q["type"]) == ("S", "machine", "B", WHAT_HOW)


def test_qbench_malformed_item_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"q.json item 1: malformed question: no correct"):
        read_questions(_write(tmp_path / "q.json", [
            {"video_name": "a.mp4", "question": "Q?", "answers": ["Yes", "No"],
             "correct_ans": "Yes"},
            {"video_name": "a.mp4", "question": "Q?", "answers": ["Yes", "No"]}]))
    with pytest.raises(ConfigError, match="not found"):
        read_questions(tmp_path / "missing.json")


@pytest.mark.parametrize("reply,letter", [
    ("B", "B"), ("(C)", "C"), ("A. Yes, it is.", "A"), ("The answer is B.", "B"),
    ("Option D", "D"), ("A blurry video.", None), ("the answer is a blur", None),
    ("E", None), ("It looks fine.", None)])
def test_first_option_letter(reply, letter):
    assert first_letter(reply, 4) == letter


def test_every_spelling_of_a_question_type_and_an_unknown_one_named(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"x")
    item = {"video_name": "a.mp4", "question": "Q?", "answers": ["Yes", "No"],
            "correct_ans": "Yes"}
    spellings = {"yes_or_no": YES_NO, "Yes-or-No": YES_NO, "YES OR NO": YES_NO,
                 "yes/no": YES_NO, "what how": WHAT_HOW, "What_How": WHAT_HOW,
                 "open_ended": OPEN, "Open-ended": OPEN}
    qs = read_questions(_write(tmp_path / "q.json", [{**item, "question_type": t}
                                                      for t in spellings]))
    assert [q["type"] for q in qs] == list(spellings.values())
    with pytest.raises(ConfigError, match=r"q.json item 0: malformed question: unknown "
                                          r"question_type 'multiple_choise'"):
        read_questions(_write(tmp_path / "q.json", [{**item,
                                                     "question_type": "multiple_choise"}]))


def test_all_failed_rule_covers_questions_that_all_failed():
    from vqa.evaluate import understanding
    from vqa.pipelines.evaluate import all_failed

    ok = {("ask", "q0"): {"result": "B", "error": None}}
    judge_down = [{"status": understanding.FAILED, "reason": "judge: connection refused"}] * 2
    assert all_failed(ok, judge_down) == "all 2 questions failed; commonest: judge: connection " \
                                         "refused"
    assert all_failed(ok, [*judge_down, {"status": understanding.OK}]) is None
    assert all_failed({("ask", "q0"): {"result": None, "error": "x.mp4: truncated"}}, []) == \
        "all 1 items failed; commonest: truncated"

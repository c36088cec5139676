"""Human review: majority merge over reviewers, CSV round trip, the terminal loop."""

import pytest

from vqa.annotate.review import (
    decision,
    export_csv,
    import_csv,
    merge,
    review_terminal,
)
from vqa.errors import ConfigError

ITEMS = [{"item_id": f"v{i}|technical|noise", "video": f"/d/v{i}.mp4", "factor": "noise",
          "summary": "The noise is mild.", "modified": "The noise is strong.", "scores": [2, 0, 2]}
         for i in range(3)]


def test_majority_merge():
    ds = [decision("a", "ann", "summary"), decision("a", "bob", "modified"),
          decision("a", "cy", "modified"),  # 2:1 → modified
          decision("b", "ann", "summary"), decision("b", "bob", "modified"),  # tie → open
          decision("c", "ann", "modified"), decision("c", "ann", "summary"),  # latest counts
          decision("d", "ann", "edit", "The noise is  Strong."),
          decision("d", "bob", "edit", "the noise is strong."), decision("d", "cy", "summary")]
    m = merge(ds)
    assert m["a"] == {"choice": "modified", "text": "", "votes": 2, "reviewers": 3}
    assert "b" not in m
    assert m["c"]["choice"] == "summary" and m["c"]["reviewers"] == 1
    assert m["d"]["choice"] == "edit" and m["d"]["votes"] == 2
    assert "c" not in merge(ds, min_reviewers=2)
    with pytest.raises(ConfigError):
        decision("a", "ann", "maybe")
    with pytest.raises(ConfigError, match="needs a text"):
        decision("a", "ann", "edit", " ")


def test_csv_round_trip(tmp_path):
    path = export_csv(ITEMS, tmp_path / "q.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("item_id,video,factor,summary,modified,choice")
    filled = [lines[0],
              lines[1].replace(",,", ",modified,", 1),
              lines[2].replace(",,", ',edit,"Mild noise, in the sky.",', 1),
              lines[3]]  # left blank: not decided
    path.write_text("\n".join(filled) + "\n")
    ds = import_csv(path, ITEMS, "dana")
    assert [(d["item_id"], d["choice"], d["text"], d["reviewer"]) for d in ds] == [
        ("v0|technical|noise", "modified", "", "dana"),
        ("v1|technical|noise", "edit", "Mild noise, in the sky.", "dana")]
    with pytest.raises(ConfigError, match="not waiting"):
        import_csv(path, ITEMS[2:], "dana")


def test_terminal_loop():
    answers = iter(["x", "2", "e", "Mild noise.", "q"])
    shown = []
    made = review_terminal(ITEMS, "eve", ask=lambda _: next(answers), show=shown.append)
    assert [(d["choice"], d["text"]) for d in made] == [("modified", ""), ("edit", "Mild noise.")]
    assert any("The noise is strong." in s for s in shown)


def test_review_command_in_the_terminal(tmp_path, monkeypatch, capsys):
    import json

    from vqa.annotate.review import read_decisions
    from vqa.cli import main

    (tmp_path / "review_queue.jsonl").write_text("".join(json.dumps(i) + "\n" for i in ITEMS))
    answers = iter(["1", "s", "2"])
    monkeypatch.setattr("builtins.input", lambda _: next(answers))
    assert main(["annotate", "review", str(tmp_path), "--reviewer", "fay"]) == 0
    assert [(d["item_id"], d["choice"]) for d in read_decisions(tmp_path)] == [
        ("v0|technical|noise", "summary"), ("v2|technical|noise", "modified")]
    answers = iter(["2"])  # a second session only shows what fay has not answered
    assert main(["annotate", "review", str(tmp_path), "--reviewer", "fay"]) == 0
    assert read_decisions(tmp_path)[-1]["item_id"] == "v1|technical|noise"
    assert "3 items, 3 decided, 0 open" in capsys.readouterr().out

import json

import pytest

from vqa.errors import ConfigError
from vqa.evaluate.labels import read_eval_labels, split_missing


def test_csv_with_dimensions_and_subset_and_missing_videos(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"x")
    (tmp_path / "labels.csv").write_text(
        "video,mos,level,split,source_id,color,noise,artifact,blur,temporal,overall\n"
        "a.mp4,61.5,good,test,s0,100,100,100,61.5,100,61.5\n"
        "gone.mp4,20,low,train,s1,20,100,100,100,100,20\n")
    rows = read_eval_labels(tmp_path / "labels.csv")
    a, gone = rows
    assert a["video"] == str((tmp_path / "a.mp4").resolve()) and a["name"] == "a.mp4"
    assert (a["mos"], a["blur"], a["subset"]) == (61.5, 61.5, "test")
    assert "overall" not in a  # the MOS is the overall label
    have, missing = split_missing(rows)
    assert have == [a] and missing == [gone]


def test_konvid_lsvq_labels_txt_without_header_or_suffix(tmp_path):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "3339962845.mp4").write_bytes(b"x")
    (tmp_path / "labels.txt").write_text("3339962845,3.64,extra\n5000000000,2.1,extra\n")
    rows = read_eval_labels(tmp_path / "labels.txt", video_root=str(tmp_path / "videos"),
                            subset="konvid")
    assert rows[0]["video"].endswith("videos/3339962845.mp4") and rows[0]["mos"] == 3.64
    assert {r["subset"] for r in rows} == {"konvid"}
    assert len(split_missing(rows)[1]) == 1


def test_instruction_file_one_row_per_video(tmp_path):
    conv = [{"from": "human", "value": "<video>\nHow?"}, {"from": "gpt", "value": "Good."}]
    lines = [{"id": "1", "video": "v.mp4", "conversations": conv, "task": "rating", "mos": 70.0,
              "scores": {"color": 80.0, "noise": None}, "meta": {"split": "val"}},
             {"id": "2", "video": "v.mp4", "conversations": conv, "task": "rating", "mos": 70.0},
             {"id": "3", "video": "w.mp4", "conversations": conv, "task": "understanding"}]
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    (row,) = read_eval_labels(path)
    assert (row["name"], row["mos"], row["color"], row["subset"]) == ("v.mp4", 70.0, 80.0, "val")
    assert "noise" not in row


@pytest.mark.parametrize("text,match", [
    ("clip,quality\na.mp4,3\n", "not a labels file"),
    ("video,mos\na.mp4,not-a-number\n", "not a labels file"),
    ("", "not a labels file|no labelled video"),
])
def test_bad_labels_name_the_file(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=f"bad.csv: ({match})"):
        read_eval_labels(path)


def test_missing_labels_file():
    with pytest.raises(ConfigError, match="labels file not found"):
        read_eval_labels("/nonexistent/labels.csv")


def test_malformed_instruction_file_names_the_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text('{"video": "v.mp4", "conversations": [], "mos": 1}\n{"conversations": 1\n')
    with pytest.raises(ConfigError, match=r"samples.jsonl:2: invalid JSON"):
        read_eval_labels(path)

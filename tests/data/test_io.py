import json

import pyarrow as pa
import pytest

from vqa.data import (SchemaError, read_labels, read_manifest, read_samples, write_manifest,
                      write_samples)

SAMPLES = [
    {"id": "v1-rating", "video": "videos/v1.mp4", "task": "rating", "mos": 63.5,
     "conversations": [{"from": "human", "value": "<video>\nHow would you rate the quality of "
                                                   "this video?"},
                       {"from": "gpt", "value": "The quality of this video is good."}]},
    {"id": "v2-fine", "video": "videos/v2.mp4", "task": "understanding",
     "scores": {"color": 70.0, "noise": 40.5, "artifact": 55.0, "blur": 61.0, "temporal": 80.0,
                "overall": 62.2},
     "meta": {"prompt_hash": "abc123"},
     "conversations": [{"from": "human", "value": "<video>\nIs there noise? Ünïcödé ✓"},
                       {"from": "gpt", "value": "Yes."},
                       {"from": "human", "value": "Which distortion matters most?"},
                       {"from": "gpt", "value": "Noise."}]},
]


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".json"])
def test_samples_round_trip_lossless(tmp_path, suffix):
    first = read_samples(write_samples(SAMPLES, tmp_path / f"a{suffix}"))
    again = read_samples(write_samples(first, tmp_path / f"b{suffix}"))
    assert first.equals(again)
    rows = first.to_pylist()
    assert rows[0]["mos"] == 63.5 and rows[0]["scores"] is None
    assert rows[1]["scores"]["noise"] == 40.5 and json.loads(rows[1]["meta"]) == {
        "prompt_hash": "abc123"}
    assert rows[1]["conversations"][1] == {"from": "gpt", "value": "Yes."}


def test_finevq_ai_form_reads_as_gpt(tmp_path):
    path = tmp_path / "finevq.json"
    path.write_text(json.dumps([{"video": "a.mp4", "mos": 3.2, "conversations": [
        {"from": "human", "value": "<video>\nRate the overall quality."},
        {"from": "ai", "value": "fair"}]}]))
    row = read_samples(path).to_pylist()[0]
    assert [t["from"] for t in row["conversations"]] == ["human", "gpt"]
    assert row["mos"] == 3.2 and row["id"]


@pytest.mark.parametrize("bad, match", [
    ({"id": "x", "conversations": []}, "missing 'video'"),
    ({"id": "x", "video": "a.mp4", "conversations": []}, "non-empty"),
    ({"id": "x", "video": "a.mp4", "conversations": [{"from": "robot", "value": "hi"}]},
     "unknown role"),
    ({"id": "x", "video": "a.mp4", "task": "poetry",
      "conversations": [{"from": "human", "value": "hi"}]}, "task"),
    ({"id": "x", "video": "a.mp4", "scores": {"sharpness": 1},
      "conversations": [{"from": "human", "value": "hi"}]}, "sharpness"),
])
def test_bad_samples_name_the_record(tmp_path, bad, match):
    with pytest.raises(SchemaError, match=match) as err:
        write_samples([bad], tmp_path / "x.jsonl")
    assert "'x'" in str(err.value)


def test_bad_jsonl_line_names_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(SAMPLES[0]) + "\n{not json\n")
    with pytest.raises(SchemaError, match="bad.jsonl:2"):
        read_samples(path)


def test_manifest_round_trip_and_status_filter(tmp_path):
    rows = [
        {"video_id": "a", "path": "/v/a.mp4", "size_bytes": 10, "frames": 100, "fps": 25.0,
         "duration": 4.0, "width": 320, "height": 240, "codec": "h264", "rotation": 0,
         "status": "ok", "error": None},
        {"video_id": "b", "path": "/v/b.mp4", "status": "error", "error": "empty file (0 bytes)"},
    ]
    path = write_manifest(rows, tmp_path / "m.parquet")
    full = read_manifest(path, status=None)
    assert full.to_pylist()[0] == rows[0]
    assert full.to_pylist()[1]["frames"] is None
    assert read_manifest(path).column("video_id").to_pylist() == ["a"]
    with pytest.raises(SchemaError, match="unknown status"):
        write_manifest([{"video_id": "c", "path": "c", "status": "weird"}], tmp_path / "x.parquet")


def test_labels_txt_konvid_style_and_csv_header(tmp_path):
    txt = tmp_path / "labels.txt"
    txt.write_text("3337642103,4.64,0.5\n5026314001,2.10,0.3\n")
    t = read_labels(txt)
    assert t.to_pylist() == [{"video": "3337642103", "mos": 4.64},
                             {"video": "5026314001", "mos": 2.10}]
    csv = tmp_path / "labels.csv"
    csv.write_text("flickr_id,mos\n3337642103,4.64\n")
    assert read_labels(csv).to_pylist() == [{"video": "3337642103", "mos": 4.64}]
    js = tmp_path / "labels.json"
    js.write_text(json.dumps({"a": 50.0}))
    assert read_labels(js).column("mos").type == pa.float64()

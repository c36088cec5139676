"""`vqa evaluate` refuses bad input before Ray starts, naming the file, line or key."""

import json

import pytest
import torch

from vqa.cli import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from vqa.model import build_model

    path = tmp_path_factory.mktemp("cmd_model") / "model"
    torch.manual_seed(0)
    build_model("tiny").save_pretrained(path)
    return path


def _fails(capsys, argv, match):
    import ray

    was_up = ray.is_initialized()
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert match in err, err
    assert ray.is_initialized() == was_up  # nothing started for a bad input


def test_bad_inputs_are_named_before_ray_starts(model_dir, tmp_path, capsys):
    good = {"id": "q", "video": "v.mp4", "question": "Q?", "options": ["x", "y"],
            "answer": "A"}
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps(good) + "\n" + json.dumps({**good, "options": "xy"}) + "\n")
    _fails(capsys, ["--model", str(model_dir), "--benchmark", str(bench)],
           "bench.jsonl:2: malformed question: 'options' must be a list")
    labels = tmp_path / "labels.csv"
    labels.write_text("video,mos,split\na.mp4,50,train\n")
    _fails(capsys, ["--model", str(model_dir), "--labels", str(labels), "--subset", "test"],
           "subsets ['test'] not in the labels (they carry ['train'])")
    _fails(capsys, ["--model", str(tmp_path / "nope"), "--labels", str(labels)],
           "model folder not found")
    _fails(capsys, ["--model", str(model_dir)], "give labels (rating), benchmarks")
    labels.write_text("video,mos\ngone.mp4,50\n")
    _fails(capsys, ["--model", str(model_dir), "--labels", str(labels)],
           "every video the labels and benchmarks name is missing (first: ")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "summary.json").write_text("{}")
    _fails(capsys, ["--model", str(model_dir), "--labels", str(labels), "--out",
                    str(tmp_path / "done")], "holds a finished run (summary.json)")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"model: {model_dir}\nlabels: [{labels}]\njudge: {{rounds: 3, round: 1}}\n")
    _fails(capsys, ["--config", str(cfg)], "unknown key 'round' (did you mean 'rounds'?)")


def test_a_judge_that_does_not_answer_is_named_before_any_work(model_dir, tmp_path, capsys,
                                                               clip_factory):
    import socket

    clip = clip_factory("judged.mp4", frames=12)
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"id": "q", "video": str(clip), "question": "Q?",
                                 "options": ["x", "y"], "answer": "A"}) + "\n")
    with socket.socket() as s:  # a port nobody listens on once this closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    _fails(capsys, ["--model", str(model_dir), "--benchmark", str(bench), "--judge-url", url,
                    "--out", str(tmp_path / "out")], f"judge endpoint {url} does not answer (")
    assert not (tmp_path / "out").exists()  # no work started, nothing written

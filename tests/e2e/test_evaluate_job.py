"""`vqa evaluate` on the local Ray: a tiny model saved by the test, a labels file (two subsets,
a dimension column, a missing and a broken video) and an FG-benchmark file, the judge on a
scripted endpoint; the tables land in MLflow."""

from __future__ import annotations

import json
import shutil

import mlflow
import pytest
import torch

from vqa.annotate.testing import Script, ScriptedServer
from vqa.cli import main
from vqa.data import DIMENSIONS, write_samples
from vqa.subjective.qa import QAConfig, finevd_samples

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, clip_factory):
    from vqa.model import build_model

    root = tmp_path_factory.mktemp("evaluate_in")
    torch.manual_seed(0)
    build_model("tiny").save_pretrained(root / "model")
    clips = [clip_factory(f"ev_{i}.mp4", width=96, height=64, frames=20 + 4 * i, fps=10.0,
                          seed=i) for i in range(6)]
    (root / "broken.mp4").write_bytes(b"not a video\n" * 20)
    lines = ["video,mos,blur,subset"]
    lines += [f"{c},{20 + 12 * i},{90 - 10 * i},{'A' if i % 2 else 'B'}"
              for i, c in enumerate(clips)]
    lines += [f"{root / 'gone.mp4'},50,50,A", "broken.mp4,40,40,B"]  # relative: beside the file
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    bench = []
    for i, c in enumerate(clips[:4]):
        bench.append({"id": f"fg-{i}", "video": str(c), "category": ["S", "T", "ST", "S"][i],
                      "concern": "what", "question": "What is wrong?\nA. blur\nB. noise\n"
                      "Answer with the option's letter.", "options": ["blur", "noise"],
                      "answer": "A", "answer_text": "blur"})
    bench.append({**bench[0], "id": "fg-gone", "video": str(root / "gone.mp4")})
    (root / "benchmark.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bench))
    # Q-Bench-Video items (names resolve beside the file), one over a pair of videos
    for c in clips[1:4]:
        shutil.copy(c, root / c.name)
    (root / "qbench.json").write_text(json.dumps([
        {"video_name": clips[1].name, "question": "Is it sharp?", "answers": ["Yes", "No"],
         "question_type": 0, "concern": 0, "correct_ans": "Yes"},
        {"video_name": f"{clips[2].name}_cat_{clips[3].name}", "question": "Which is sharper?",
         "answers": ["The first", "The second"], "question_type": 1, "concern": 2,
         "correct_ans": "B"}]))
    levels = {d: {"mos": 30.0 + 10 * i, "level": i % 5, "level_name": "fair"}
              for i, d in enumerate(DIMENSIONS)}  # FineVD attribute questions as vqa mos writes
    write_samples(finevd_samples(str(clips[0]), levels, QAConfig()), root / "finevd.jsonl")
    return root


@pytest.fixture(scope="module")
def judge():
    S = lambda n: json.dumps({"score": n})  # noqa: E731
    s = ScriptedServer(script=Script(grades={"fg-0": [S(1)], "fg-1": [S(0), S(1), S(0)],
                                             "fg-2": ["no idea"]})).start()
    yield s
    s.stop()


def test_evaluate_job_tables_land_in_mlflow(inputs, judge, ray_local, mlflow_uri, capsys):
    out = inputs / "out"
    rc = main(["evaluate", "--model", str(inputs / "model"), "--labels",
               str(inputs / "labels.csv"), "--benchmark", str(inputs / "benchmark.jsonl"),
               "--benchmark", str(inputs / "qbench.json"), "--attributes",
               str(inputs / "finevd.jsonl"), "--out", str(out), "--bootstrap", "100",
               "--judge-url", judge.base_url,
               "--judge-model", "judge", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["labelled"], summary["rated"]) == (8, 6)
    assert summary["missing_videos"] == 1 and summary["undecodable"] == 1
    assert "broken.mp4" in summary["undecodable_examples"][0]
    # 5 FG questions (fg-2: judge failed; fg-gone: video missing), 2 Q-Bench-Video ones and
    # 7 FineVD attribute tasks
    assert summary["questions"] == 14
    assert summary["answered"] + summary["failed_questions"] == 13
    assert summary["failed_questions"] >= 1

    table = (out / "rating_table.md").read_text()
    for needle in ("SRCC (raw)", "PLCC (logistic)", "overall (level logits)", "blur (head)",
                   "| A |", "| B |", "| all |", "bootstrap CI"):
        assert needle in table, needle
    acc = (out / "accuracy_table.md").read_text()
    assert "| | S | T | ST | machine | human | Overall |" in acc.replace("|  |", "| |")
    # S: fg-0 right, fg-3 wrong; T: fg-1 wrong; ST: fg-2 failed (no score); 2 options: 0.5
    assert "| model | 0.500 | 0.000 | - | 0.333 | - | 0.333 |" in acc
    assert "| random guess | 0.500 | 0.500 | 0.500 | 0.500 | - | 0.500 |" in acc  # all 5 asked

    run = mlflow.get_run(summary["mlflow_run_id"])
    m = run.data.metrics
    assert -1 <= m["rating.all.overall_level_logits.srcc_raw"] <= 1
    assert m["benchmark.failed"] == 1 and m["benchmark.questions"] == 5
    assert m["finevd-attributes.questions"] == 7 and m["qbench.questions"] == 2
    assert "| | Yes-or-No | What-How | Open-ended | Technical | Aesthetic | Temporal | AIGC | " \
        "Overall |" in acc.replace("|  |", "| |")
    assert "| | color | noise | artifact | blur | temporal | which exist | most impact | Overall |" \
        in acc.replace("|  |", "| |")
    # the scripted judge's majority: fg-0 right (1), fg-1 wrong (0 of 0,1,0); fg-2 failed;
    # fg-3 graded by default (the reply lacks "blur") → 0; fg-gone video missing
    assert m["benchmark.accuracy"] == pytest.approx(1 / 3)
    client = mlflow.MlflowClient()
    arts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    for name in ("rating_table.md", "rating_table.csv", "rating_scatter.png",
                 "rating_predictions.parquet", "answers.parquet", "accuracy_table.md"):
        assert f"evaluation/{name}" in arts, arts
    local = client.download_artifacts(run.info.run_id, "evaluation/rating_table.md")
    assert open(local).read() == table


def test_evaluate_without_out_leaves_no_folder_behind(inputs, ray_local, mlflow_uri, capsys,
                                                      tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where a temp folder would land
    rc = main(["evaluate", "--model", str(inputs / "model"), "--labels",
               str(inputs / "labels.csv"), "--subset", "A", "--bootstrap", "0", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rated"] == 3 and {"srcc_raw", "plcc_raw", "plcc_logistic"} <= set(summary)
    assert "srcc" not in summary and "plcc" not in summary  # named as the tables name them
    assert summary["out"].startswith("not kept")
    assert list(scratch.iterdir()) == []
    artifacts = mlflow.MlflowClient().list_artifacts(summary["mlflow_run_id"], "evaluation")
    assert "evaluation/rating_table.md" in {a.path for a in artifacts}

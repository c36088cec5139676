"""`vqa pipeline`: a shortened loop (corpus → ingest → label → rating data + FG benchmark → study
→ MOS → train → evaluate the trained model → annotate on the scripted double → score) on the
session's local Ray — every step runs, MLflow holds the loop as one tree (the evaluation tables
in the evaluate run), a re-run reuses every finished step, a changed step re-runs with the steps
that read it, and a failed step stops the run naming it."""

import json
from pathlib import Path

import mlflow
import pytest
import yaml

from vqa.cli import main as vqa

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def pipeline(tmp: Path, out: Path, votes=(2, 2, 2), extra=()) -> Path:
    steps = [
        {"name": "corpus", "run": ["corpus", "make", "--num", "5"]},
        {"name": "ingest", "run": ["ingest", "{corpus}"]},
        {"name": "label", "run": ["label", "{ingest}/manifest.parquet"],
         "config": "configs/local-label.yaml", "set": {"max_frames": 12}},
        {"name": "rating", "run": ["synthesize", "--mode", "rating", "--manifest",
                                   "{label}/manifest.parquet",
                                   "--min-score", "0", "--clips-per-source", "3",
                                   "--max-seconds", "1.0"]},
        {"name": "fg", "run": ["synthesize", "--manifest", "{label}/manifest.parquet",
                               "--min-score", "0", "--holdout-fraction", "0.5", "--benchmark",
                               "--questions", "8"]},
        {"name": "study", "run": ["mos-simulate", "--pool", "{label}/labels.csv",
                                  "--subjects", "12"]},
        {"name": "mos", "run": ["mos", "--ratings", "{study}/ratings.csv", "--objective",
                                "{label}/labels.csv"]},
        {"name": "train", "run": ["train"], "config": "configs/local-direct.yaml",
         "set": {"name": "pipeline-e2e", "datasets": {"rating": {
                     "path": "{rating}/train/samples.jsonl"}},
                 "stages": [{"name": "rating", "datasets": ["rating"],
                             "optim": {"lr": 1e-3, "max_steps": 3, "batch_size": 2,
                                       "precision": "fp32"}}],
                 "deepspeed": {"zero_stage": 0}, "scaling": {"workers": 1},
                 "frames": {"root": "{out}/frames"}, "register_as": "pipeline-e2e"}},
        {"name": "evaluate", "run": ["evaluate"], "config": "configs/local-evaluate.yaml",
         "set": {"model": "{train}/model", "labels": ["{rating}/labels.csv"], "subsets": [],
                 "benchmarks": ["{fg}/benchmark.jsonl"], "answer": "likelihood",
                 "bootstrap": 0}},
        {"name": "endpoints", "service": "endpoints-double", "options": {"votes": list(votes)}},
        {"name": "annotate", "run": ["annotate", "--limit", "1", "--branches", "technical"],
         "config": "configs/local-annotate.yaml",
         "set": {"manifest": "{label}/manifest.parquet",
                 "roles": {r: {"base_url": "{endpoints.url}"}
                           for r in ("expert", "summarizer", "judge", "writer")},
                 "technical": {"factors": ["sharpness"], "k": 3, "min_agree": 2},
                 "keyframe_size": 64, "max_keyframes": 2, "actors": 1}},
        {"name": "score", "run": ["score", "{corpus}/clip000_astronaut_320x240_25fps.mp4",
                                  "--model", "{train}/model"]},
        *extra,
    ]
    path = tmp / "pipeline.yaml"
    path.write_text(yaml.safe_dump({"name": "e2e", "out": str(out), "steps": steps}))
    return path


def run(path: Path, capsys, *flags) -> dict:
    capsys.readouterr()
    assert vqa(["pipeline", str(path), "--json", *flags]) == 0
    text = capsys.readouterr().out
    return json.loads(text[text.index('{\n  "steps"'):])


def test_pipeline_runs_reuses_and_reruns_what_changed(tmp_path, ray_local, mlflow_uri, capsys,
                                                      monkeypatch):
    monkeypatch.chdir(ROOT)  # step configs are named as from the checkout
    out = tmp_path / "loop"
    first = run(pipeline(tmp_path, out), capsys)
    commands = ["corpus", "ingest", "label", "rating", "fg", "study", "mos", "train",
                "evaluate", "annotate", "score"]
    assert first["steps"] == {**{c: "ran" for c in commands}, "endpoints": "started"}
    rows = {r["step"]: r["result"] for r in first["results"]}
    assert "kept" in rows["ingest"] and "failed" in rows["ingest"]  # broken files: error rows
    assert "SIMULATED" in rows["study"]
    assert "3 steps" in rows["train"] and "SRCC" in rows["evaluate"]
    ev = json.loads((out / "evaluate" / "summary.json").read_text())  # the trained model
    assert ev["rated"] > 0 and -1.0 <= ev["srcc_raw"] <= 1.0
    assert ev["questions"] > 0 and ev["answered"] == ev["questions"]
    assert 0.0 <= ev["accuracy"] <= 1.0 and "accuracy" in rows["evaluate"]
    scored = json.loads((out / "score" / "summary.json").read_text())["results"]
    assert len(scored) == 1 and 1.0 <= scored[0]["score"] <= 5.0
    assert (out / "annotate" / "annotations.jsonl").is_file()

    # one MLflow tree: the pipeline's run, every step's job run as its child
    client = mlflow.MlflowClient(mlflow_uri)
    exp = client.get_experiment_by_name("vqa-pipeline")
    parents = client.search_runs([exp.experiment_id], "tags.`vqa.job` = 'pipeline'")
    assert len(parents) == 1
    parent = parents[0]
    kids = client.search_runs([exp.experiment_id],
                              f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    kinds = sorted(k.data.tags["vqa.job"] for k in kids)
    assert kinds == sorted(["ingest", "label", "synthesize", "synthesize", "mos", "train",
                            "evaluate", "annotate", "score"])
    ev_run = next(k for k in kids if k.data.tags["vqa.job"] == "evaluate")
    tables = {a.path for a in client.list_artifacts(ev_run.info.run_id, "evaluation")}
    assert {"evaluation/rating_table.md", "evaluation/accuracy_table.md"} <= tables
    train_run = next(k for k in kids if k.data.tags["vqa.job"] == "train")
    stages = client.search_runs([exp.experiment_id],
                                f"tags.`mlflow.parentRunId` = '{train_run.info.run_id}'")
    assert [s.data.tags["vqa.stage"] for s in stages] == ["rating"]
    assert parent.data.tags["step.train"] == "ran"

    # the same command again: every step reused, nothing rewritten, no service started
    model = out / "train" / "model" / "config.yaml"
    stamp = model.stat().st_mtime_ns
    again = run(pipeline(tmp_path, out), capsys)
    assert again["steps"] == {c: "reused" for c in commands}
    assert again["services"] == {} and model.stat().st_mtime_ns == stamp
    assert {r["step"]: r["result"] for r in again["results"]}["evaluate"] == rows["evaluate"]

    # a changed service option: --plan says what will happen (nothing runs) ...
    capsys.readouterr()
    assert vqa(["pipeline", str(pipeline(tmp_path, out, votes=(0, 0, 0))), "--plan",
                "--json"]) == 0
    text = capsys.readouterr().out
    planned = {r["step"]: (r["action"], r["why"])
               for r in json.loads(text[text.index('{\n  "plan"'):])["plan"]}
    assert planned["annotate"] == ("run", "its command, config or inputs changed")
    assert all(planned[c][0] == "reuse" for c in commands if c != "annotate")
    # ... and the run does it: the step that calls the service re-runs, the others are reused
    changed = run(pipeline(tmp_path, out, votes=(0, 0, 0)), capsys)
    assert changed["steps"]["annotate"] == "ran" and changed["steps"]["endpoints"] == "started"
    assert all(changed["steps"][c] == "reused" for c in commands if c != "annotate")

    # a failing step stops the run with its name; the finished ones stay finished
    bad = {"name": "score-missing", "run": ["score", "{out}/no-such.mp4", "--model",
                                            "{train}/model"]}
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        vqa(["pipeline", str(pipeline(tmp_path, out, votes=(0, 0, 0), extra=[bad]))])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "step score-missing failed" in err and "video not found" in err
    assert json.loads((out / ".pipeline" / "train.json").read_text())["finished"]

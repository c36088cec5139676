"""Commands that are not Ray jobs are tracked like the jobs: `vqa model init` and `vqa score`
each leave one MLflow run named after what they did, with their flags as params and what they
printed as metrics + artifact; on a SQLite store the artifacts sit beside the database."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow

from vqa.cli import main


def only_run(client, experiment: str, name: str):
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], f"tags.mlflow.runName = '{name}'",
                              order_by=["attributes.start_time DESC"])
    assert runs, f"no run {name!r} in {experiment}"
    return runs[0]


def test_model_init_and_score_are_runs(mlflow_uri, clip_factory, tmp_path, capsys):
    client = mlflow.MlflowClient(mlflow_uri)
    out = tmp_path / "tracked-model"
    assert main(["model", "init", "--preset", "tiny", "--out", str(out), "--seed", "3",
                 "--json"]) == 0
    init = json.loads(capsys.readouterr().out)
    run = client.get_run(init["mlflow_run_id"])
    assert run.info.run_name == "model init: tiny → tracked-model"
    assert run.data.params == {"preset": "tiny", "out": str(out), "seed": "3"}
    assert run.data.metrics["parameters"] == init["parameters"] > 0
    logged = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="summary.json", tracking_uri=mlflow_uri))
        .read_text())
    assert logged == {k: v for k, v in init.items() if k != "mlflow_run_id"}
    db_dir = Path(mlflow_uri.removeprefix("sqlite:///")).parent
    assert run.info.artifact_uri.startswith((db_dir / "mlruns" / "vqa-model-init").as_uri())

    clip = clip_factory("tracked.mp4", width=64, height=48, frames=20, fps=10.0)
    broken = tmp_path / "broken.mp4"  # an error row, not a refusal
    broken.write_bytes(b"not a video\n" * 10)
    assert main(["score", str(clip), str(broken), "--model", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["results"]
    run = only_run(client, "vqa-score", "score: tracked-model on tracked.mp4 (+1)")
    assert json.loads(run.data.params["videos"].replace("'", '"')) == [str(clip), str(broken)]
    assert run.data.params["model"] == str(out)
    assert (run.data.metrics["rated"], run.data.metrics["errors"]) == (1, 1)
    assert run.data.metrics["mean_score"] == printed[0]["score"]
    logged = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="summary.json", tracking_uri=mlflow_uri))
        .read_text())
    assert logged["results"] == printed

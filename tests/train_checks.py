"""What a finished `vqa train` must have left in MLflow, checked the same way by every test that
trains through the command (tests/e2e/test_train_job.py, tests/train/test_learning.py)."""

from __future__ import annotations

import json

import mlflow

from vqa.cli import main


def registered(cfg, zero: int, clip: str, mlflow_uri: str) -> tuple:
    """The parent run (its ZeRO stage, the memory plan beside it), one child run per stage with
    its metrics, a missing clip dropped and counted, the registered model — which `vqa score`
    loads by URI and runs on `clip` → (the run's summary, its stage runs)."""
    mlflow.set_tracking_uri(mlflow_uri)
    parent = mlflow.search_runs(experiment_names=["vqa-train"], output_format="list",
                                filter_string=f"params.name = '{cfg.name}'")[0]
    assert parent.data.params["deepspeed.zero_stage"] == str(zero)
    summary = json.loads(mlflow.artifacts.load_text(parent.info.artifact_uri + "/summary.json"))
    plan = json.loads(mlflow.artifacts.load_text(parent.info.artifact_uri + "/plan.json"))
    assert [r["stage"] for r in plan] == [s.name for s in cfg.stages]  # the memory plan
    assert all(f"plan.{r['stage']}.gpu_gib.total" in parent.data.metrics for r in plan)
    assert summary["stages"] == ", ".join(s.name for s in cfg.stages)
    if "rating" in cfg.datasets and any("rating" in s.datasets for s in cfg.stages):
        key = next(f"{s.name}.missing_video" for s in cfg.stages if "rating" in s.datasets)
        assert summary[key] == 1  # the missing clip was dropped and counted
    children = mlflow.search_runs(experiment_names=["vqa-train"], output_format="list",
                                  filter_string=f"tags.mlflow.parentRunId = "
                                                f"'{parent.info.run_id}'")
    assert sorted(c.data.tags["vqa.stage"] for c in children) == sorted(s.name for s in cfg.stages)
    for c in children:
        assert {"loss", "lr", "samples_per_s", "tokens_per_s", "grad_norm",
                "memory_peak_gib"} <= set(c.data.metrics)
        assert c.data.metrics["memory_peak_gib"] >= c.data.metrics["memory_start_gib"] > 0
    versions = mlflow.MlflowClient().search_model_versions(f"name = '{cfg.register_as}'")
    latest = max(int(v.version) for v in versions)
    assert summary["model_uri"] == f"models:/{cfg.register_as}/{latest}"
    assert main(["score", str(clip), "--model", summary["model_uri"], "--json"]) == 0
    return summary, children

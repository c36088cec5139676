"""Job paths resolve the same way locally and in a submitted job (vqa.storage)."""

import json

import pytest

from vqa.config import from_dict
from vqa.errors import ConfigError
from vqa.pipelines.ingest import IngestConfig
from vqa.storage import JOB_CONFIG_ENV, ROOT_ENV, is_uri, resolve, run_name
from vqa.tracking import tracking_uri
from vqa.train.config import TrainConfig

SUBMITTED = json.dumps({"runtime_env": {"working_dir": "gcs://_ray_pkg_abc.zip"},
                        "metadata": {"job_submission_id": "raysubmit_x"}})


@pytest.fixture
def clean_env(monkeypatch):
    for name in (ROOT_ENV, JOB_CONFIG_ENV, "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_local_paths_are_left_as_given(clean_env):
    assert resolve("out") == "out" and resolve("/abs/x") == "/abs/x"
    assert resolve("s3://bucket/a") == "s3://bucket/a" and resolve("file:///tmp/a") == "/tmp/a"
    assert is_uri("models:/m/1") and is_uri("gs://b/x") and not is_uri("C:\\x")
    cfg = from_dict(IngestConfig, {"src": "videos", "out": "o"})
    assert (cfg.src, cfg.out) == ("videos", "o")


def test_relative_paths_join_the_storage_root(clean_env, tmp_path):
    clean_env.setenv(ROOT_ENV, str(tmp_path))
    cfg = from_dict(IngestConfig, {"src": "videos", "out": "o"})
    assert (cfg.src, cfg.out) == (str(tmp_path / "videos"), str(tmp_path / "o"))
    clean_env.setenv(ROOT_ENV, "s3://bucket/team")
    assert resolve("runs/a") == "s3://bucket/team/runs/a"
    assert resolve("models:/vqa/3") == "models:/vqa/3"  # registry URIs are not paths
    clean_env.setenv(ROOT_ENV, "relative/root")
    with pytest.raises(ConfigError, match=ROOT_ENV):
        resolve("x")


def test_submitted_job_refuses_relative_paths_and_the_default_mlflow_store(clean_env, tmp_path):
    clean_env.setenv(JOB_CONFIG_ENV, SUBMITTED)
    with pytest.raises(ConfigError, match="uploaded copy of the working directory") as err:
        from_dict(IngestConfig, {"src": "/data/videos", "out": "study_out"})
    assert "'study_out'" in str(err.value) and ROOT_ENV in str(err.value)
    with pytest.raises(ConfigError, match="MLFLOW_TRACKING_URI"):
        tracking_uri()
    # nested train config: dataset paths and the default out are checked too
    with pytest.raises(ConfigError, match="'data/a.jsonl'"):
        from_dict(TrainConfig, {"out": "/o", "datasets": {"a": {"path": "data/a.jsonl"}},
                                "stages": [{"name": "s", "datasets": ["a"]}]})
    clean_env.setenv(ROOT_ENV, str(tmp_path))
    assert tracking_uri() == f"sqlite:///{tmp_path / 'mlruns.db'}"
    assert from_dict(IngestConfig, {"src": "v", "out": "o"}).out == str(tmp_path / "o")
    clean_env.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert tracking_uri() == "http://127.0.0.1:5000"


def test_run_names_say_what_the_job_read_and_wrote(clean_env):
    cfg = from_dict(IngestConfig, {"src": "/data/pool/", "out": "/work/ingest"})
    assert run_name("ingest", cfg) == "ingest: pool → ingest"
    train = from_dict(TrainConfig, {"name": "tiny-direct", "out": "/o/model",
                                    "datasets": {"a": {"path": "/d/a.jsonl"}},
                                    "stages": [{"name": "s", "datasets": ["a"]}]})
    assert run_name("train", train) == "train: tiny-direct → model"

"""What `ray job submit --working-dir .` uploads, packed by Ray's own upload code from a scratch
checkout (the repo's tracked files plus what a working checkout collects): the code travels;
outputs, data, models, MLflow stores and the virtualenv do not — with .gitignore honoured or
ignored (RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1) and whatever the output folders are called."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from vqa.runtime import FORWARDED_ENV, job_runtime_env

ROOT = Path(__file__).resolve().parents[1]
LEFT_BEHIND = [
    ".venv/bin/python", ".venv/lib/site.py", "venv2/lib/x.py", "mlruns/1/meta.yaml", "mlruns.db",
    "mlartifacts/1/a.txt", "study_out/summary.json", "ingest/manifest.parquet", "incontext/"
    "clips/a__blur.mp4", "demo_out/study/ratings.csv", "pool/a.mp4", "models/tiny/model.pt",
    "notes.txt", "platform/vqa/__pycache__/cli.cpython-311.pyc", "configs/big_pool.parquet",
    "jobs/scratch.mp4", "tests/data/x.py",
]


def packed(checkout: Path, tmp: Path, include_gitignore: bool) -> set[str]:
    """The files of the package Ray would upload for `job_runtime_env()`'s working dir."""
    from ray._private.runtime_env.packaging import create_package
    from ray._private.runtime_env.working_dir import upload_working_dir_if_needed

    names: set[str] = set()

    def upload(working_dir, excludes, is_file=False):  # what the Jobs SDK's upload does
        target = tmp / f"pkg-{include_gitignore}.zip"
        create_package(working_dir, target, include_gitignore=include_gitignore,
                       excludes=excludes)
        names.update(n for n in zipfile.ZipFile(target).namelist() if not n.endswith("/"))

    env = job_runtime_env(str(checkout), env={})
    upload_working_dir_if_needed(env, include_gitignore=include_gitignore, upload_fn=upload)
    return names


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("checkout")
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, root / name)
    for name in LEFT_BEHIND:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x" * 1000)
    return root


@pytest.mark.parametrize("include_gitignore", [True, False])
def test_upload_is_the_code_only(checkout, tmp_path, include_gitignore):
    names = packed(checkout, tmp_path, include_gitignore)
    code = {str(p.relative_to(checkout)) for d in ("platform", "jobs", "configs")
            for p in (checkout / d).rglob("*") if p.is_file()} - set(LEFT_BEHIND)
    assert code and code <= names  # every job entrypoint, config and library file travels
    assert "jobs/ingest.py" in names and "platform/vqa/cli.py" in names
    assert "pyproject.toml" in names
    assert not names & set(LEFT_BEHIND)
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "research/", "docs/"))]


def test_runtime_env_forwards_where_things_are_not_credentials():
    env = {"MLFLOW_TRACKING_URI": "http://mlflow:5000", "VQA_STORAGE_ROOT": "s3://team/vqa",
           "AWS_ENDPOINT_URL": "http://minio:9000", "AWS_SECRET_ACCESS_KEY": "secret",
           "AWS_ACCESS_KEY_ID": "key", "HOME": "/root", "AWS_REGION": ""}
    got = job_runtime_env(env=env)
    assert got == {"working_dir": ".", "env_vars": {
        "MLFLOW_TRACKING_URI": "http://mlflow:5000", "VQA_STORAGE_ROOT": "s3://team/vqa",
        "AWS_ENDPOINT_URL": "http://minio:9000"}}
    assert "AWS_SECRET_ACCESS_KEY" not in FORWARDED_ENV

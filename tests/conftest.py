"""Shared fixtures: one local Ray cluster and one SQLite MLflow store per test session, and
real clips made on the fly (the tests never depend on ../shared).

Every test that starts Ray is marked `ray` here (`make test-fast` runs the others: `-m "not ray"`):
the tests under tests/e2e and those whose fixtures include `ray_local` (the Serve tests' `served`
among them). A module that starts Ray some other way (a `vqa` job in a subprocess, its own
`ray.init`) says so itself with `pytestmark = pytest.mark.ray`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from photo_clips import photo_clip

HERE = Path(__file__).resolve().parent
RAY_FIXTURES = {"ray_local"}  # session fixtures that start Ray; `served` (Serve) depends on it


def pytest_configure(config):
    _ray_token_once()


def _ray_token_once() -> None:
    """Ray 2.60 turns token auth on for a new local cluster and, on the first `ray.init` of a
    machine, writes a fresh token to ~/.ray/auth_token. Two pytest-xdist workers starting their
    first clusters at once would each write their own, and a cluster whose processes read the
    other's token refuses its own driver. So the token is made here, once and atomically, before
    any worker starts (the xdist controller configures first); Ray then only reads it."""
    if os.environ.get("RAY_AUTH_MODE", "").lower() == "disabled" or \
            os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return
    path = Path.home() / ".ray" / "auth_token"
    if path.exists():
        return
    from ray._private.authentication.authentication_token_generator import (
        generate_new_authentication_token,
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".auth_token.{os.getpid()}")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(generate_new_authentication_token())  # Ray's own generator
    try:
        os.link(tmp, path)  # never replaces a token another process wrote first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


# The files that take a minute and more under `make test`, longest first (measured: the
# suite's timeline, docs/research/test-suite.md). They run first, so that no worker is left
# alone with one of them at the end while the other has nothing left to do; a name that
# matches nothing is harmless.
LONG_FIRST = ("e2e/test_train_job.py", "e2e/test_submit_job.py", "train/test_learning.py",
              "serve/", "e2e/test_tune_job.py", "e2e/test_cluster_address.py",
              "e2e/test_pipeline_job.py")


def pytest_collection_modifyitems(config, items):
    """Marks the tests that start Ray (`ray`), and orders the files: LONG_FIRST, then the other
    files that start Ray, then the rest — short ones last fill in whichever worker is free."""
    for item in items:
        path = Path(str(item.path)).resolve()
        if (HERE / "e2e") in path.parents or RAY_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.ray)
    starts_ray = {item.path for item in items if item.get_closest_marker("ray")}
    items.sort(key=lambda item: _file_rank(item.path, item.path in starts_ray))  # stable


def _file_rank(path, starts_ray: bool) -> int:
    name = Path(path).resolve().relative_to(HERE).as_posix()
    for rank, long in enumerate(LONG_FIRST):
        if name.startswith(long):
            return rank
    return len(LONG_FIRST) + (0 if starts_ray else 1)


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (what `make test` runs) with two changes: the files go out in the order
    pytest_collection_modifyitems left them (pytest-xdist would sort them by how many tests
    they hold, which puts the one-test end-to-end files last), and the Serve folder is one unit,
    on one worker, so its one Serve (tests/serve/conftest.py) starts once instead of once on
    each worker. Any other --dist is pytest-xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesAndServeFolder(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "tests/serve" if path.startswith("tests/serve/") else path

    config.option.loadscopereorder = False  # --no-loadscope-reorder: the collection's order
    return FilesAndServeFolder(config, log)


@pytest.fixture(scope="session", autouse=True)
def mlflow_uri(tmp_path_factory) -> str:
    """The session's MLflow store, set for every test (autouse): a command a test runs without
    asking for it (`vqa model init` in the Serve fixtures, the CLI tests' subprocesses) must not
    fall back to `sqlite:///mlruns.db` in the working directory — the checkout, which the other
    pytest-xdist worker writes too (seen: "table issues already exists", both creating it)."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlruns.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    return uri


@pytest.fixture(scope="session")
def ray_local(s3_server):
    from vqa.runtime import init_ray, shutdown_ray

    os.environ.pop("RAY_ADDRESS", None)
    os.environ.update(s3_server)  # workers inherit the environment Ray starts with: tasks reach
    #                               the test S3 server the way cluster nodes reach a real one
    init_ray(num_cpus=2, object_store_memory=512 * 1024**2)
    yield
    shutdown_ray()


@pytest.fixture(scope="session")
def register_tiny(tmp_path_factory, mlflow_uri):
    """register(name) → models:/NAME/VERSION of a tiny model (seed 0) logged to the session's
    MLflow store, as `vqa train --register-as NAME` would leave it."""
    import mlflow
    import torch

    from vqa.model import build_model
    from vqa.model.registry import log_model

    def register(name: str) -> str:
        folder = tmp_path_factory.mktemp(name) / "model"
        torch.manual_seed(0)
        build_model("tiny").save_pretrained(folder)
        mlflow.set_tracking_uri(mlflow_uri)
        mlflow.set_experiment(f"vqa-test-{name}")
        with mlflow.start_run():
            return log_model(folder, name)

    return register


@pytest.fixture(scope="session")
def clip_factory(tmp_path_factory):
    """write(name, width, height, frames, fps, **encode) → path of a real H.264 clip."""
    from vqa.video import write_video

    root = tmp_path_factory.mktemp("clips")

    def write(name="clip.mp4", width=160, height=120, frames=50, fps=25.0, seed=0, **encode):
        path = root / name
        if not path.exists():
            write_video(photo_clip(width, height, frames, seed), fps, path, **encode)
        return path

    return write


@pytest.fixture(scope="session")
def rotated_clip(tmp_path_factory):
    """write(name, rotate) → a phone-style clip: coded 64×48 with a red block in its coded
    top-left corner, tagged with a display rotation of `rotate` degrees clockwise (the display
    matrix ffprobe shows as `rotate=…`)."""
    import av

    root = tmp_path_factory.mktemp("rotated")

    def write(name: str, rotate: int, frames: int = 12, fps: float = 6.0) -> Path:
        path = root / name
        if path.exists():
            return path
        pictures = photo_clip(64, 48, frames, seed=3)
        pictures[:, :16, :21] = (255, 0, 0)
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=int(fps))
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv444p"
            stream.options = {"crf": "0", "preset": "ultrafast"}
            stream.set_display_rotation(-rotate)  # PyAV's angle is counter-clockwise
            for picture in pictures:
                for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return path

    return write


@pytest.fixture(scope="session")
def broken_files(tmp_path_factory, clip_factory) -> dict[str, Path]:
    """One file of every broken kind ingest and probe must survive."""
    import av

    root = tmp_path_factory.mktemp("broken")
    good = clip_factory("for_truncation.mp4", frames=60)
    files = {}
    files["empty"] = root / "empty.mp4"
    files["empty"].write_bytes(b"")
    files["truncated"] = root / "truncated.mp4"
    files["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    files["not_a_video"] = root / "not_a_video.mp4"
    files["not_a_video"].write_text("plain text, not a container\n" * 40)
    # The index promises frames but the payload is gone: cut at the start of the mdat atom.
    data = good.read_bytes()
    files["zero_frames"] = root / "zero_frames.mp4"
    files["zero_frames"].write_bytes(data[: data.index(b"mdat") + 4])
    files["absurd_size"] = root / "absurd_size.mkv"
    with av.open(str(files["absurd_size"]), "w") as c:
        s = c.add_stream("rawvideo", rate=25)
        s.width, s.height, s.pix_fmt = 20000, 2, "gray"
        for _ in range(2):
            frame = av.VideoFrame.from_ndarray(np.zeros((2, 20000), np.uint8), format="gray")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    files["audio_only"] = root / "audio_only.mka"
    with av.open(str(files["audio_only"]), "w") as c:
        s = c.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        for p in s.encode(frame):
            c.mux(p)
        for p in s.encode():
            c.mux(p)
    return files


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 (a thread of this process) → the environment a client
    needs: AWS_ENDPOINT_URL plus throw-away credentials. Stopped at the end of the session."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch, request):
    """A fresh bucket on the moto server, its name; this test's process talks to it."""
    import boto3

    for key, value in s3_server.items():
        monkeypatch.setenv(key, value)
    name = ("t-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower()))[:50]
    name = name.rstrip("-")
    boto3.client("s3", endpoint_url=s3_server["AWS_ENDPOINT_URL"]).create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def pretrained_folders(tmp_path_factory) -> dict[str, Path]:
    """Real transformers checkpoint folders at the tiny preset's shapes, as a team keeps them
    under /models: a qwen2 LLM in safetensors shards with its index, a SigLIP vision tower, and
    a tokenizer in a folder of its own beside them (transformers 5 would read a word-level
    tokenizer next to a qwen2 config.json as Qwen2's BPE)."""
    import torch
    from transformers import AutoModel, AutoModelForCausalLM

    from vqa.model import tiny
    from vqa.model.components import hf_config
    from vqa.model.tokenizer import build_tiny_tokenizer

    root = tmp_path_factory.mktemp("models")
    cfg = tiny()
    torch.manual_seed(7)
    tok = build_tiny_tokenizer()
    AutoModel.from_config(hf_config(cfg.vision.hf_config)).save_pretrained(root / "vision")
    llm = AutoModelForCausalLM.from_config(hf_config({**cfg.llm.hf_config,
                                                      "vocab_size": len(tok)}))
    llm.save_pretrained(root / "llm", max_shard_size="200KB")  # several shards + an index
    tok.save_pretrained(root / "tokenizer")
    return {"vision": root / "vision", "llm": root / "llm", "tokenizer": root / "tokenizer"}

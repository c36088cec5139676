"""One local Serve for the Serve tests: started by the first test that needs it, shut down after
the last test of this folder (a failed start included) so the CPUs its replicas hold go back to
the session's Ray cluster before the tests that follow need them. (A "package" scope would not
do: without an __init__.py it lasts the whole session.) `make test` keeps this folder on one
pytest-xdist worker (tests/conftest.py); run another way, a worker may run other folders' files
between two Serve modules: the Serve shut down after the first is started again for the next
(`served` is per module; what it serves is made once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serve_fixtures import TOKEN, media_root, save_adapter, save_tiny, vqa_serve


HERE = Path(__file__).parent
_RUNNING: dict | None = None  # the Serve this process started and has not shut down


def _shutdown() -> None:
    global _RUNNING
    import ray

    _RUNNING = None
    if ray.is_initialized():
        from ray import serve

        serve.shutdown()


def pytest_runtest_teardown(item, nextitem):
    if nextitem is None or Path(nextitem.path).parent != HERE:
        _shutdown()


@pytest.fixture(scope="session")
def serve_inputs(tmp_path_factory, clip_factory, broken_files):
    """What `served` serves (made once): the model, an adapter, a media root and the token."""
    tmp = tmp_path_factory.mktemp("served")
    clip = clip_factory("serve_clip.mp4", width=96, height=64, frames=60, fps=20.0, seed=5)
    long_clip = clip_factory("serve_long.mp4", width=96, height=64, frames=100, fps=20.0)
    outside = tmp / "outside.mp4"
    outside.write_bytes(clip.read_bytes())
    root = media_root(tmp, clip, outside)
    (root / "long.mp4").write_bytes(long_clip.read_bytes())
    model = save_tiny(tmp / "model")
    adapter = save_adapter(model, tmp / "adapter")
    (tmp / "token").write_text(TOKEN + "\n")
    return dict(tmp=tmp, clip=clip, root=root, model=model, adapter=adapter, outside=outside,
                broken=broken_files)


@pytest.fixture(scope="module")
def served(ray_local, serve_inputs):
    """Both apps: a bearer token, small limits, the chatter bounded to 1 ongoing + 2 queued
    requests and one LoRA adapter next to the base model (started unless already running)."""
    global _RUNNING
    if _RUNNING is None:
        i = serve_inputs
        limits = {"max_duration_s": 4.0, "max_upload_mb": 0.5, "max_batch": 4, "max_tokens": 64}
        try:
            urls = vqa_serve(i["tmp"], i["model"], [i["root"]],
                             args={"limits": limits, "auth_token_env": None,
                                   "auth_token_file": str(i["tmp"] / "token"),
                                   "adapters": {"tiny-lora": str(i["adapter"])}},
                             deployments={"Chatter": {"max_ongoing_requests": 1,
                                                      "max_queued_requests": 2,
                                                      "backpressure_config": {
                                                          "status_code": 503,
                                                          "retry_after_s": 3}}})
        except BaseException:
            _shutdown()
            raise
        _RUNNING = dict(urls=urls, url=urls["rater"], v1=urls["chatter"],
                        **{k: v for k, v in i.items() if k != "tmp"})
    return _RUNNING

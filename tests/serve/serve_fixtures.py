"""What the Serve tests share: a tiny model saved the way `vqa model init` saves it, a media
root with a clip (and a symlink that points out of it), a free port, and HTTP helpers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def save_tiny(path: Path, seed: int = 0) -> Path:
    """`vqa model init --preset tiny`: what a user serves before any training."""
    import contextlib
    import io

    from vqa.cli import main as vqa

    with contextlib.redirect_stdout(io.StringIO()):
        assert vqa(["model", "init", "--preset", "tiny", "--out", str(path), "--seed",
                    str(seed), "--json"]) == 0
    return path


def media_root(tmp: Path, clip: Path, outside: Path) -> Path:
    root = tmp / "media"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / clip.name).write_bytes(clip.read_bytes())
    (root / "escape.mp4").symlink_to(outside)  # a symlink out of the root
    return root


def vqa_serve(tmp: Path, model: Path, roots: list[Path], args: dict,
              deployments: dict) -> dict[str, str]:
    """`vqa serve --config … --no-block` in this process, on a config derived from the repo's
    (its args and deployment options changed as a user would change them)."""
    import contextlib
    import io
    import json

    import yaml

    from vqa.cli import main as vqa
    from vqa.pipelines.serve import _merge

    data = yaml.safe_load((ROOT / "serve_apps" / "config.yaml").read_text())
    for app in data["applications"]:
        app["args"] = _merge(app["args"], args)
        for d in app["deployments"]:
            d.update(deployments.get(d["name"], {}))
    (tmp / "serve.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    argv = ["serve", "--config", str(tmp / "serve.yaml"), "--model", str(model), "--port",
            str(free_port()), "--no-block", "--json", "--timeout", "240"]
    for r in roots:
        argv += ["--media-root", str(r)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert vqa(argv) == 0
    return json.loads(out.getvalue())["apps"]


TOKEN = "s3cret-token-for-tests"
_STATE: dict = {}


@pytest.fixture(scope="session")
def served(request, ray_local, tmp_path_factory, clip_factory, broken_files):
    """Both apps on one local Serve for the whole session (the modules that import this share
    it): a bearer token, small limits, the chatter bounded to 1 ongoing + 2 queued requests and
    one LoRA adapter next to the base model."""
    if _STATE:
        return _STATE
    from ray import serve

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
    limits = {"max_duration_s": 4.0, "max_upload_mb": 0.5, "max_batch": 4, "max_tokens": 64}
    urls = vqa_serve(tmp, model, [root],
                     args={"limits": limits, "auth_token_env": None,
                           "auth_token_file": str(tmp / "token"),
                           "adapters": {"tiny-lora": str(adapter)}},
                     deployments={"Chatter": {"max_ongoing_requests": 1,
                                              "max_queued_requests": 2,
                                              "backpressure_config": {"status_code": 503,
                                                                      "retry_after_s": 3}}})
    request.addfinalizer(serve.shutdown)
    _STATE.update(urls=urls, url=urls["rater"], v1=urls["chatter"], clip=clip, root=root,
                  model=model, adapter=adapter, outside=outside, broken=broken_files)
    return _STATE


def save_adapter(model_dir: Path, out: Path) -> Path:
    """A PEFT LoRA adapter over the saved model's language model, with non-zero weights (a
    fresh adapter is the identity), as `vqa train` with LoRA would leave one."""
    import torch

    from vqa.model.lora import wrap_lora
    from vqa.model.vqa_model import VQAModel

    m = VQAModel.from_pretrained(model_dir)
    llm = wrap_lora(m.llm, m.cfg.lora, "language", causal_lm=True)
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, p in llm.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    llm.save_pretrained(out)
    return out

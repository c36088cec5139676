"""What the Serve tests share: a tiny model saved the way `vqa model init` saves it, a media
root with a clip (and a symlink that points out of it), a free port, and HTTP helpers."""

from __future__ import annotations

import socket
from pathlib import Path

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
    from vqa.config import deep_merge

    data = yaml.safe_load((ROOT / "serve_apps" / "config.yaml").read_text())
    for app in data["applications"]:
        app["args"] = deep_merge(app["args"], args)
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

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
    import torch

    from vqa.model import build_model

    torch.manual_seed(seed)
    build_model("tiny").save_pretrained(path)
    return path


def media_root(tmp: Path, clip: Path, outside: Path) -> Path:
    root = tmp / "media"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / clip.name).write_bytes(clip.read_bytes())
    (root / "escape.mp4").symlink_to(outside)  # a symlink out of the root
    return root


def deploy(tmp: Path, apps: list[str], model: Path, roots: list[Path], limits: dict | None = None,
           deployments: dict | None = None, extra: dict | None = None) -> dict[str, str]:
    from vqa.pipelines.serve import serve_config, start

    cfg = serve_config(ROOT / "serve_apps" / "config.yaml", model=str(model), host="127.0.0.1",
                       port=free_port(), apps=apps,
                       args={"media": {"roots": [str(r) for r in roots]},
                             "limits": limits or {}, "auth_token_env": None, **(extra or {})},
                       deployments=deployments)
    return start(cfg, timeout_s=150)

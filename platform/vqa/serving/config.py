"""The args of the `rater` and `chatter` Serve applications (the `args:` block of each app in
`serve_apps/config.yaml`), validated like every other config: unknown keys name the key."""

from __future__ import annotations

from dataclasses import dataclass, field

from vqa.config import from_dict
from vqa.errors import ConfigError


@dataclass
class Limits:
    """What one request may cost. A request over a limit gets a 4xx naming the limit."""

    max_upload_mb: float = 64.0  # upload / downloaded / data: URL bytes
    max_duration_s: float = 120.0
    max_side: int = 3840  # longest side of a frame, pixels
    max_pixels: int = 3840 * 2160  # width × height
    max_frames: int = 7200  # frames a request may make the server decode
    max_images: int = 64  # image_url parts (frames) in one chat request
    max_batch: int = 32  # URIs in one POST /rate/batch
    max_tokens: int | None = None  # the most a chat request may ask to generate (None: the
    #                                model's context length, as vLLM's --max-model-len)
    request_timeout_s: float = 120.0  # past this the request ends with 504

    def validate(self) -> None:
        for name in ("max_upload_mb", "max_duration_s", "max_side", "max_pixels", "max_frames",
                     "max_images", "max_batch", "max_tokens", "request_timeout_s"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise ConfigError(f"limits.{name} must be > 0, got {getattr(self, name)}")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


@dataclass
class MediaConfig:
    """Where videos named by URI may come from: `file://` under `roots` only (after resolving
    symlinks); `http(s)://` off unless `allow_http`, and then only from `http_hosts`."""

    roots: list[str] = field(default_factory=list)
    allow_http: bool = False
    http_hosts: list[str] = field(default_factory=list)
    http_timeout_s: float = 30.0


@dataclass
class BatchConfig:
    """`@serve.batch` on the model deployment: requests from many clients, one forward pass."""

    max_batch_size: int = 8
    batch_wait_timeout_s: float = 0.01


@dataclass
class AppArgs:
    model: str = ""  # a save_pretrained folder or an MLflow model URI (models:/NAME/VERSION)
    device: str | None = None  # default: cuda when present
    media: MediaConfig = field(default_factory=MediaConfig)
    limits: Limits = field(default_factory=Limits)
    batch: BatchConfig = field(default_factory=BatchConfig)
    auth_token_env: str | None = None  # NAME of an env var holding the bearer token
    auth_token_file: str | None = None  # or a file holding it (a mounted secret)
    served_model_names: list[str] = field(default_factory=list)  # chatter aliases (vLLM's)
    repeat_stop: int = 16  # chatter: a generated loop this long (tokens) ends the answer; 0: off
    adapters: dict[str, str] = field(default_factory=dict)  # chatter: model id → PEFT folder

    def validate(self) -> None:
        if not self.model:
            raise ConfigError("serve app args: 'model' is required (a model folder or "
                              "models:/NAME/VERSION)")
        if self.repeat_stop < 0:
            raise ConfigError(f"serve app args: repeat_stop must be >= 0, got {self.repeat_stop}")
        clash = set(self.adapters) & set(self.served_model_names)
        if clash:
            raise ConfigError(f"serve app args: adapter ids {sorted(clash)} are also served "
                              f"model names")


def model_folder(ref: str):
    """The model's local folder; MLflow (a heavy import) only for an MLflow URI — `vqa serve`
    has already turned those into folders, so replicas start without it."""
    from pathlib import Path

    if str(ref).startswith(("models:/", "runs:/", "mlflow-artifacts:/")):
        from vqa.model.registry import resolve_model_path

        return resolve_model_path(ref)
    if not Path(ref).exists():
        raise ConfigError(f"model folder not found: {ref} (make one with `vqa model init "
                          f"--preset tiny --out {ref}`, or give models:/NAME/VERSION)")
    if not (Path(ref) / "config.yaml").is_file():
        raise ConfigError(f"{ref}: not a saved model folder (no config.yaml; `vqa model init` "
                          f"and `vqa train` write one)")
    return Path(ref)


def app_args(data: dict | AppArgs) -> AppArgs:
    return data if isinstance(data, AppArgs) else from_dict(AppArgs, dict(data or {}),
                                                            where="serve app args")

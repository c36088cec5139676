"""Which attention kernel can run here: flash_attention_2 needs the flash-attn package and a
CUDA GPU; sdpa and eager run anywhere."""

from __future__ import annotations

import importlib.util
import warnings

from vqa.errors import ConfigError

KERNELS = ("sdpa", "flash_attention_2", "eager")


def flash_attention_missing(gpus: bool) -> str | None:
    """Why flash_attention_2 cannot run (None when it can): `gpus` says whether the job's
    workers have GPUs (the driver that checks a cluster job may have none)."""
    if importlib.util.find_spec("flash_attn") is None:
        return "the flash-attn package is not installed"
    if not gpus:
        return "it runs on CUDA GPUs only"
    return None


def check_attention(name: str, gpus: bool, where: str = "model.attn_implementation") -> None:
    """A ConfigError before any work when the requested kernel cannot run on the job's workers."""
    if name not in KERNELS:
        raise ConfigError(f"{where}: unknown attention '{name}'; known: {list(KERNELS)}")
    if name == "flash_attention_2":
        why = flash_attention_missing(gpus)
        if why:
            raise ConfigError(f"{where}: flash_attention_2 cannot run here ({why}); use sdpa")


def runnable_attention(name: str) -> str:
    """The kernel to build with in this process: a saved model asking for flash_attention_2
    where it cannot run (a GPU-trained model rated on a CPU) is built with sdpa, which computes
    the same attention."""
    import torch

    if name == "flash_attention_2" and flash_attention_missing(torch.cuda.is_available()):
        warnings.warn("attn_implementation flash_attention_2 cannot run here; using sdpa")
        return "sdpa"
    return name

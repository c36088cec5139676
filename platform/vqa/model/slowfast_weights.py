"""Load a pytorchvideo `SLOWFAST_8x8_R50` checkpoint (or any state dict with its key names) into
`SlowFast`, refusing a mismatch with an error that lists what is missing, unexpected, mis-shaped."""

from __future__ import annotations

import os

import torch

from vqa.errors import ConfigError
from vqa.model.slowfast import SlowFast


class StateDictMismatch(ConfigError):
    """A SlowFast state dict that does not fit the architecture; the message names the keys."""


def _unwrap(obj) -> dict[str, torch.Tensor]:
    # pytorchvideo hub files are bare state dicts; SlowFast-repo ones nest under model_state.
    for key in ("model_state", "state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    return {k.removeprefix("module."): v for k, v in obj.items()}


def check_state_dict(model: SlowFast, state: dict[str, torch.Tensor],
                     ignore_head: bool = False) -> None:
    want = model.state_dict()
    skip = (lambda k: k.startswith("blocks.6.")) if ignore_head else (lambda k: False)
    # BatchNorm fills a missing num_batches_tracked itself (older checkpoints lack it).
    missing = sorted(k for k in want if k not in state and not skip(k)
                     and not k.endswith("num_batches_tracked"))
    unexpected = sorted(k for k in state if k not in want and not skip(k))
    shapes = sorted(f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(want[k].shape)}"
                    for k in want if k in state and state[k].shape != want[k].shape)
    if missing or unexpected or shapes:
        def show(title, items):
            head = ", ".join(items[:8]) + (f", … ({len(items)} in all)" if len(items) > 8 else "")
            return f"\n  {title} ({len(items)}): {head}" if items else ""
        raise StateDictMismatch(
            "SlowFast state dict does not match the architecture (expected pytorchvideo "
            "create_slowfast names):" + show("missing", missing) + show("unexpected", unexpected)
            + show("mis-shaped", shapes))


def load_slowfast_state(model: SlowFast, source: str | os.PathLike | dict,
                        ignore_head: bool = False) -> SlowFast:
    """`source`: a path to a `.pyth`/`.pt` checkpoint or an in-memory state dict."""
    state = source if isinstance(source, dict) else torch.load(source, map_location="cpu",
                                                                weights_only=True)
    state = _unwrap(state)
    check_state_dict(model, state, ignore_head)
    if ignore_head:
        state = {k: v for k, v in state.items() if not k.startswith("blocks.6.")}
    model.load_state_dict(state, strict=not ignore_head)
    return model

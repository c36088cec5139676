"""Motion read-outs of SlowFast: OmniVQA/VQA² take the Fast pathway per frame (256-d, one token per
motion frame, plus a learned temporal position embedding); FineVQ pools Slow and Fast over the
whole clip and concatenates them (2048 + 256 = 2304, one token)."""

from __future__ import annotations

import torch
from torch import nn

from vqa.model.components import Projector
from vqa.model.config import MotionConfig
from vqa.model.slowfast import SlowFast


class MotionExtractor(nn.Module):
    def __init__(self, cfg: MotionConfig):
        super().__init__()
        self.cfg = cfg
        self.slowfast = SlowFast(cfg.slowfast)

    @property
    def width(self) -> int:
        sf = self.cfg.slowfast
        return sf.fast_dim if self.cfg.readout == "fast_frames" else sf.slow_dim + sf.fast_dim

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (T, 3, H, W) normalised → features (T, C) or (1, C)."""
        slow, fast = self.slowfast(frames.transpose(0, 1).unsqueeze(0))
        if self.cfg.readout == "fast_frames":
            return fast.mean(dim=(3, 4))[0].transpose(0, 1)
        return torch.cat([slow.mean(dim=(2, 3, 4)), fast.mean(dim=(2, 3, 4))], dim=1)


class MotionProjector(nn.Module):
    """Position embedding (fast_frames only; new parameters, so they live with the projector and
    train even when SlowFast is frozen) + the 2-layer MLP into the LLM width."""

    def __init__(self, cfg: MotionConfig, cin: int, cout: int, hidden: int | None):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(cfg.max_positions, cin)) \
            if cfg.readout == "fast_frames" else None
        self.proj = Projector(cin, cout, hidden)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        if self.pos is not None:
            if feats.shape[0] > self.pos.shape[0]:
                raise ValueError(f"{feats.shape[0]} motion frames but motion.max_positions is "
                                 f"{self.pos.shape[0]}")
            feats = feats + self.pos[: feats.shape[0]].to(feats.dtype)
        return self.proj(feats)

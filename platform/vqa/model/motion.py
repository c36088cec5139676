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
        """frames (T, 3, H, W) normalised → features (T, C) or (1, C); a batch of clips of one
        shape (B, T, 3, H, W) → (B, T, C) or (B, 1, C)."""
        clips = frames if frames.dim() == 5 else frames.unsqueeze(0)
        slow, fast = self.slowfast(clips.transpose(1, 2))
        if self.cfg.readout == "fast_frames":
            out = fast.mean(dim=(3, 4)).transpose(1, 2)
        else:
            out = torch.cat([slow.mean(dim=(2, 3, 4)), fast.mean(dim=(2, 3, 4))], dim=1)[:, None]
        return out if frames.dim() == 5 else out[0]


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
            n = feats.shape[-2]  # (T, C) or (B, T, C)
            if n > self.pos.shape[0]:
                raise ValueError(f"{n} motion frames but motion.max_positions is "
                                 f"{self.pos.shape[0]}")
            feats = feats + self.pos[:n].to(feats.dtype)
        return self.proj(feats)

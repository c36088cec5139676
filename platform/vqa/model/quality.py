"""Quality-feature tokens: fixed low-level statistics of the frames the model already sees, read
by a learned projector and added to its video tokens.

Why: a random-init tower trained on a few dozen photographs memorises scenes instead of learning
noise, blur or blocking (docs/BENCHMARKS.md, "Proof of learning"); pretrained towers that know
low-level statistics do not ship here. These are the no-reference statistics of BRISQUE / NIQE
and `vqa.objective.signals` — sharpness, re-blur share, noise floor, blockiness at every 8-px
phase, exposure, clipping, colour — computed per keyframe cell (one per vision token: fragment
mosaics are a grid of native patches, so blur, noise and blocking survive), plus a clip summary
(their spread over all cells) and, from the motion frames, global exposure and frame-difference
statistics (freezes, held frames). No parameters: the same frames give the same features, and a
model learns only the read-out (`QualityProjector`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vqa.model.components import Projector

LUMA = (0.299, 0.587, 0.114)
BLOCK = 8
CELL = ("y_mean", "y_std", "grad", "reblur", "noise_floor", "highpass", "laplace", "block",
        "clip_hi", "clip_lo", "rg", "yb", "chroma", "colourful")
SUMMARY = ("mean", "std", "p10", "p90")
MOTION = ("y1", "y5", "y50", "y95", "y99", "clip_hi", "clip_lo", "motion", "freeze", "d_cv",
          "d_max_med")
# centre and spread of each statistic on the demo's photographs (256×192 clips, clean and
# degraded; `tiny` fragments, motion frames at 32²): inputs to the projector near N(0, 1), as
# `vision.mean` / `vision.std` do for pixels. Fixed constants, not fitted per model.
CELL_NORM = {"y_mean": (0.44, 0.22), "y_std": (2.4, 1.2), "grad": (2.0, 1.2),
             "reblur": (0.55, 0.24), "noise_floor": (1.0, 0.9), "highpass": (1.5, 1.0),
             "laplace": (2.1, 1.2), "block": (0.23, 0.73), "clip_hi": (0.03, 0.15),
             "clip_lo": (0.01, 0.07), "rg": (0.06, 0.16), "yb": (0.05, 0.13),
             "chroma": (0.05, 0.07), "colourful": (0.03, 0.06)}
MOTION_NORM = {"y1": (0.22, 0.17), "y5": (0.29, 0.18), "y50": (0.43, 0.2), "y95": (0.6, 0.23),
               "y99": (0.68, 0.21), "clip_hi": (0.024, 0.12), "clip_lo": (0.007, 0.024),
               "motion": (1.3, 0.72), "freeze": (0.09, 0.24), "d_cv": (0.55, 0.78),
               "d_max_med": (1.4, 1.3)}
CELL_DIM = len(CELL)
CLIP_DIM = len(CELL) * len(SUMMARY) + len(MOTION)


def _gauss(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, 1, H, W), reflect-padded."""
    r = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-r, r + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    pad = min(r, x.shape[-1] - 1, x.shape[-2] - 1)
    if pad < r:
        k = k[r - pad: r + pad + 1] / k[r - pad: r + pad + 1].sum()
    x = F.conv2d(F.pad(x, (pad, pad, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, pad, pad), mode="reflect"), k.view(1, 1, -1, 1))


def _grad(y: torch.Tensor) -> torch.Tensor:
    """Mean |Δx| + |Δy| per image of (N, 1, H, W)."""
    return (y.diff(dim=-1).abs().mean(dim=(1, 2, 3)) + y.diff(dim=-2).abs().mean(dim=(1, 2, 3)))


def _blockiness(y: torch.Tensor) -> torch.Tensor:
    """Strongest 8-px phase of |Δ| over the mean phase, minus 1, for x and y together: a codec
    grid puts all its edges on one phase whatever the cell's offset; content spreads evenly."""
    out = []
    for d in (y.diff(dim=-1).abs().mean(dim=(1, 2)), y.diff(dim=-2).abs().mean(dim=(1, 3))):
        n = d.shape[-1] // BLOCK * BLOCK
        if n < BLOCK:
            out.append(torch.zeros(d.shape[0], dtype=d.dtype, device=d.device))
            continue
        phases = d[:, :n].reshape(d.shape[0], -1, BLOCK).mean(dim=1)
        # + 1 grey level: a flat cell has no grid to show, not an infinite ratio
        out.append(phases.max(dim=1).values / (phases.mean(dim=1) + 1.0) - 1.0)
    return (out[0] + out[1]) / 2


def cell_features(frames: torch.Tensor, grid: int) -> torch.Tensor:
    """uint8-valued (K, H, W, 3) → (K, grid², CELL_DIM), cells in the raster order of the vision
    tower's pooled tokens."""
    x = frames.float()
    k, h, w, _ = x.shape
    ch, cw = h // grid, w // grid
    if ch < 4 or cw < 4:
        raise ValueError(f"quality features: {h}×{w} keyframes cut into a {grid}×{grid} token "
                         f"grid leave {ch}×{cw}-pixel cells; need at least 4×4")
    cells = x[:, :ch * grid, :cw * grid].reshape(k, grid, ch, grid, cw, 3) \
        .permute(0, 1, 3, 5, 2, 4).reshape(k * grid * grid, 3, ch, cw)
    y = (cells * torch.tensor(LUMA, device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    g = _grad(y)
    hp = y - _gauss(y, 1.0)
    sub = min(BLOCK, ch, cw)
    hs, ws = ch // sub * sub, cw // sub * sub
    blocks = hp[..., :hs, :ws].reshape(-1, hs // sub, sub, ws // sub, sub)
    floor = blocks.std(dim=(2, 4)).flatten(1).min(dim=1).values
    lap = F.conv2d(F.pad(y, (1, 1, 1, 1), mode="reflect"),
                   torch.tensor([[0., 1, 0], [1, -4, 1], [0, 1, 0]], device=x.device).view(
                       1, 1, 3, 3))
    r, gr, b = cells[:, 0], cells[:, 1], cells[:, 2]
    rg, yb = r - gr, 0.5 * (r + gr) - b
    feats = torch.stack([
        y.mean(dim=(1, 2, 3)) / 255, torch.log1p(y.std(dim=(1, 2, 3))), torch.log1p(g),
        1 - _grad(_gauss(y, 1.5)) / (g + 1e-3), torch.log1p(floor),
        torch.log1p(hp.std(dim=(1, 2, 3))),
        torch.log1p(lap.abs().mean(dim=(1, 2, 3))), _blockiness(y),
        (y > 250).float().mean(dim=(1, 2, 3)), (y < 5).float().mean(dim=(1, 2, 3)),
        rg.mean(dim=(1, 2)) / 255, yb.mean(dim=(1, 2)) / 255,
        (cells - cells.mean(dim=1, keepdim=True)).abs().mean(dim=(1, 2, 3)) / 255,
        torch.hypot(rg.std(dim=(1, 2)), yb.std(dim=(1, 2))) / 255], dim=1)
    return feats.reshape(k, grid * grid, CELL_DIM)


def motion_features(frames: torch.Tensor | None) -> torch.Tensor:
    """uint8-valued (T, H, W, 3) whole-frame motion frames → (len(MOTION),): global luma
    percentiles and clipping, and frame-difference statistics (zeros without motion frames)."""
    if frames is None or len(frames) == 0:
        return torch.zeros(len(MOTION))
    x = frames.float()
    y = (x * torch.tensor(LUMA, device=x.device)).sum(-1)
    flat = y.flatten()
    flat = flat[::max(1, flat.numel() // 2 ** 20)]  # torch.quantile takes < 2^24 values
    q = torch.quantile(flat, torch.tensor([0.01, 0.05, 0.5, 0.95, 0.99], device=x.device)) / 255
    if len(y) >= 3:
        d = y.diff(dim=0).abs().mean(dim=(1, 2))
        m = d.mean()
        still = bool(m < 0.5)
        temporal = torch.stack([torch.log1p(m), (d < 0.1 * m).float().mean() * (not still),
                                d.std() / (m + 1e-3), torch.log1p(d.max() / (d.median() + 0.1))])
    else:
        temporal = torch.zeros(4, device=x.device)
    return torch.cat([q, torch.stack([(y > 250).float().mean(), (y < 5).float().mean()]),
                      temporal])


def _norm(table: dict, names: tuple, device) -> tuple[torch.Tensor, torch.Tensor]:
    c, s = zip(*(table[n] for n in names))
    return torch.tensor(c, device=device), torch.tensor(s, device=device)


def clip_summary(cells: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
    """(K, n, CELL_DIM) normalised cell features + raw motion features → (CLIP_DIM,)
    normalised: the cells' mean, spread and 10th / 90th percentiles, then the motion ones."""
    c = cells.reshape(-1, cells.shape[-1])
    q = torch.quantile(c, torch.tensor([0.1, 0.9], device=c.device), dim=0)
    centre, spread = _norm(MOTION_NORM, MOTION, c.device)
    return torch.cat([c.mean(0), c.std(0) if len(c) > 1 else torch.zeros_like(c[0]), q[0], q[1],
                      (motion.to(c.device) - centre) / spread])


def quality_features(keyframes, motion_frames, grid: int) -> torch.Tensor:
    """→ (K, grid², CELL_DIM + CLIP_DIM), normalised: each vision token's cell statistics beside
    the clip's."""
    kf = torch.as_tensor(keyframes)
    centre, spread = _norm(CELL_NORM, CELL, kf.device)
    cells = (cell_features(kf, grid) - centre) / spread
    mo = motion_features(None if motion_frames is None else torch.as_tensor(motion_frames))
    clip = clip_summary(cells, mo)
    return torch.cat([cells, clip.expand(*cells.shape[:2], -1)], dim=-1)


class QualityProjector(nn.Module):
    """The learned read-out of the features into the LLM width, added to the vision tokens
    (through `gate` on the tower's side when `quality.vision_gate`)."""

    def __init__(self, cout: int, hidden: int | None = None, vision_gate: bool = False):
        super().__init__()
        self.proj = Projector(CELL_DIM + CLIP_DIM, cout, hidden)
        # shape (1,), not (): DeepSpeed cannot broadcast 0-dim parameters
        self.gate = nn.Parameter(torch.zeros(1)) if vision_gate else None

    def forward(self, feats: torch.Tensor, vision: torch.Tensor) -> torch.Tensor:
        """feats (K, n, CELL_DIM + CLIP_DIM), the tower's tokens (K, n, D) → (K, n, D)."""
        if self.gate is not None:
            vision = torch.tanh(self.gate).to(vision.dtype) * vision
        return vision + self.proj(feats.to(vision.dtype))

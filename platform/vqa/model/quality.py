"""Quality-feature tokens: fixed low-level statistics of the frames the model already sees, read
by a learned projector and added to its video tokens.

Why: a random-init tower trained on a few dozen photographs memorises scenes instead of learning
noise, blur or blocking (docs/research/quality-features.md); pretrained towers that know
low-level statistics do not ship here. These are the no-reference statistics of BRISQUE / NIQE
and `vqa.video.signals` — sharpness, re-blur share, noise floor, blockiness at every 8-px
phase, exposure, clipping, colour — computed per keyframe cell (one per vision token, on the
keyframes as decoded, before fragment mosaics drop most of the pixels), plus a clip summary
(their spread over all cells) and, from the motion frames, global exposure and frame-difference
statistics (freezes, held frames). No parameters: the same frames give the same features, and a
model learns only the read-out (`QualityProjector`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
from torch import nn

from vqa.model.components import Projector
from vqa.video.signals import BLOCK, LUMA  # Rec. 601 luma; the codec's 8-px grid

VERSION = 1  # of the statistics below: part of the frame-shard key, bump on any change
MAX_CELL = 64  # pixels a side of a cell read (its centre): bounds the cost at any resolution
D2, ONE = np.array([1.0, -2.0, 1.0]), np.array([0.0, 1.0, 0.0])  # Laplacian taps
CELL = ("y_mean", "y_std", "grad", "reblur", "noise_floor", "highpass", "laplace", "block",
        "clip_hi", "clip_lo", "rg", "yb", "chroma", "colourful")
SUMMARY = ("mean", "std", "p10", "p90")
MOTION = ("y1", "y5", "y50", "y95", "y99", "clip_hi", "clip_lo", "motion", "freeze", "d_cv",
          "d_max_med")
# centre and spread of each statistic on the demo's photographs (256×192 clips, clean and
# degraded; cells of the native keyframes at a 4×4 grid, motion frames at 32²): inputs to the
# projector near N(0, 1), as `vision.mean` / `vision.std` do for pixels. Fixed constants, not
# fitted per model.
CELL_NORM = {"y_mean": (0.46, 0.22), "y_std": (3.0, 0.9), "grad": (2.1, 1.0),
             "reblur": (0.48, 0.24), "noise_floor": (0.87, 0.81), "highpass": (1.6, 0.9),
             "laplace": (2.2, 1.1), "block": (0.02, 0.5), "clip_hi": (0.04, 0.16),
             "clip_lo": (0.015, 0.086), "rg": (0.05, 0.15), "yb": (0.05, 0.135),
             "chroma": (0.05, 0.07), "colourful": (0.04, 0.067)}
MOTION_NORM = {"y1": (0.22, 0.17), "y5": (0.29, 0.18), "y50": (0.43, 0.2), "y95": (0.6, 0.23),
               "y99": (0.68, 0.21), "clip_hi": (0.024, 0.12), "clip_lo": (0.007, 0.024),
               "motion": (1.3, 0.72), "freeze": (0.09, 0.24), "d_cv": (0.55, 0.78),
               "d_max_med": (1.4, 1.3)}
CELL_DIM = len(CELL)
CLIP_DIM = len(CELL) * len(SUMMARY) + len(MOTION)


def _filter(y: torch.Tensor, kx: np.ndarray, ky: np.ndarray) -> torch.Tensor:
    """Separable filter of each (H, W) plane of (N, 1, H, W), mirrored at the plane's edges
    (torch's reflect pad). OpenCV, not `conv2d`: on one channel torch is ~40× slower, and
    native 1080p keyframes make that the whole decode's cost."""
    a = y.detach().to("cpu", torch.float32).numpy()
    out = np.stack([cv2.sepFilter2D(p, cv2.CV_32F, kx, ky, borderType=cv2.BORDER_REFLECT_101)
                    for p in a[:, 0]])
    return torch.from_numpy(out[:, None]).to(y.device)


def _gauss(y: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, int(math.ceil(3 * sigma)))
    k = cv2.getGaussianKernel(2 * r + 1, sigma)
    return _filter(y, k, k)


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
    tower's pooled tokens; each cell read at native resolution, from its centre `MAX_CELL`²
    pixels at most (a 1080p keyframe costs what a 256×192 one does)."""
    k, h, w, _ = frames.shape
    ch, cw = h // grid, w // grid
    if ch < 4 or cw < 4:
        raise ValueError(f"quality features: {h}×{w} keyframes cut into a {grid}×{grid} token "
                         f"grid leave {ch}×{cw}-pixel cells; need at least 4×4")
    sh, sw = min(ch, MAX_CELL), min(cw, MAX_CELL)  # the part of each cell read
    oy, ox = (ch - sh) // 2, (cw - sw) // 2
    cells = frames[:, :ch * grid, :cw * grid].reshape(k, grid, ch, grid, cw, 3)[
        :, :, oy:oy + sh, :, ox:ox + sw].permute(0, 1, 3, 5, 2, 4) \
        .reshape(k * grid * grid, 3, sh, sw).float()
    y = (cells * torch.tensor(LUMA, device=cells.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    g = _grad(y)
    hp = y - _gauss(y, 1.0)
    sub = min(BLOCK, sh, sw)
    hs, ws = sh // sub * sub, sw // sub * sub
    blocks = hp[..., :hs, :ws].reshape(-1, hs // sub, sub, ws // sub, sub)
    # the flattest tenth of the 8² blocks (not the flattest one: cells of native keyframes
    # hold tens of blocks, fragment cells four, and a minimum falls with the count)
    floor = torch.quantile(blocks.std(dim=(2, 4)).flatten(1), 0.1, dim=1)
    # the 4-neighbour Laplacian, [[0, 1, 0], [1, -4, 1], [0, 1, 0]], as two separable terms
    lap = _filter(y, D2, ONE) + _filter(y, ONE, D2)
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

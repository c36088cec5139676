"""`grounding.salience`: where and when the clip's most unusual cells are, told to every token.

Why: in-context questions ask where a local defect is. Tied places (`grounding.words`) let the
2-layer `tiny` LLM name a place once it knows which token to read (a marked defect is placed), and
it copies a place word it is given (the hint control), but it does not find a real defect's cells
among a clip's 64 cell tokens by attention (docs/research/placing-defects.md). A fixed
read-out of the same quality features does: score each cell by how far its statistics lie from
the clip's other cells. This module is that read-out made learnable — a per-cell salience logit
that starts at the fixed rule (sum of |z| against the clip's cells) plus an MLP that starts at 0
— and it adds the salience-weighted mean of the cells' place and the keyframes' second embeddings
to every vision token, so the place of the defect is one word-like vector any attention reads.
"""

from __future__ import annotations

import torch
from torch import nn

from vqa.model.quality import CELL_DIM

EPS = 0.1  # the features are normalised near N(0, 1): a statistic flat over the clip's cells
#            (no clipping anywhere) must not turn a tiny difference into a large z


def cell_z(quality: torch.Tensor) -> torch.Tensor:
    """(K, n, CELL_DIM + …) normalised features → (K, n, CELL_DIM): each cell statistic as a
    z-score against all the clip's cells (every keyframe), so a region or a moment unlike the
    rest of the clip stands out whatever the content."""
    c = quality[..., :CELL_DIM].float()
    flat = c.reshape(-1, CELL_DIM)
    return (c - flat.mean(0)) / (flat.std(0, correction=0) + EPS)


class SalientPlace(nn.Module):
    def __init__(self, hidden: int = 32, prior: float = 0.5):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * CELL_DIM, hidden), nn.GELU(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)
        # shape (1,), not (): DeepSpeed cannot broadcast 0-dim parameters
        self.prior = nn.Parameter(torch.full((1,), prior))  # weight of the fixed rule
        self.gain = nn.Parameter(torch.ones(1))

    def weights(self, quality: torch.Tensor) -> torch.Tensor:
        """(K, n, F) → (K, n) salience weights over all the clip's cells, summing to 1."""
        z = cell_z(quality)
        logit = self.prior * z.abs().sum(-1) + \
            self.mlp(torch.cat([z, z.abs()], -1).to(self.prior.dtype)).squeeze(-1)
        return torch.softmax(logit.flatten().float(), 0).view(logit.shape)

    def forward(self, tokens: torch.Tensor, quality: torch.Tensor, cell: torch.Tensor,
                second: torch.Tensor) -> torch.Tensor:
        """tokens (K, n, D); cell (n, D) each cell's place, second (K, D) each keyframe's second
        embedding → tokens + gain · (salience-weighted place + second), the same for every token."""
        w = self.weights(quality).to(cell.dtype)
        where = w.sum(0) @ cell + w.sum(1) @ second
        return tokens + (self.gain.to(where.dtype) * where).to(tokens.dtype)

"""SlowFast-R50 in plain torch, with pytorchvideo's `create_slowfast` module names, so the public
`SLOWFAST_8x8_R50` checkpoint loads by name (torchvision / pytorchvideo are not usable here).

Two pathways: Slow sees every `alpha`-th frame with wide channels, Fast sees every frame with
`1/beta_inv` of the channels; after the stem and after stages 1-3 a strided temporal conv fuses
Fast into Slow. `forward` returns both last-stage feature maps; the read-outs live in
`MotionExtractor` (vqa.model.motion)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class SlowFastConfig:
    depths: tuple[int, ...] = (3, 4, 6, 3)  # R50
    width: int = 64  # slow stem channels; stage i works at width·2^i (inner) and 4× that (out)
    beta_inv: int = 8  # fast channels = slow channels / beta_inv
    alpha: int = 4  # slow pathway takes every alpha-th frame; fusion conv stride
    fusion_ratio: int = 2
    fusion_kernel: int = 7
    num_classes: int = 400  # Kinetics head (`blocks.6.proj`), kept so the checkpoint loads whole

    @property
    def slow_dim(self) -> int:
        return self.width * 4 * 2 ** (len(self.depths) - 1)

    @property
    def fast_dim(self) -> int:
        return self.slow_dim // self.beta_inv


class BatchNorm3dFP32(nn.BatchNorm3d):
    """BatchNorm computed in fp32 whatever the input's and the affine parameters' dtype, the
    output cast back: DeepSpeed casts parameters to bf16 / fp16 but not the running statistics
    (buffers), and CPU batch_norm refuses mixed dtypes; low-precision statistics would also drift
    (apex's keep_batchnorm_fp32)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.running_mean is not None and self.running_mean.dtype != torch.float32:
            # a whole-module cast (`model.to(bf16)`) reached the statistics: back to fp32
            self.running_mean.data = self.running_mean.data.float()
            self.running_var.data = self.running_var.data.float()
        if x.dtype == torch.float32 and self.weight.dtype == torch.float32:
            return super().forward(x)
        training = self.training or self.running_mean is None
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
        return F.batch_norm(x.float(), self.running_mean, self.running_var,
                            self.weight.float(), self.bias.float(), training, momentum,
                            self.eps).to(x.dtype)


def _bn(c: int) -> nn.BatchNorm3d:
    return BatchNorm3dFP32(c, eps=1e-5, momentum=0.1)


def _conv(cin: int, cout: int, k: tuple, stride: tuple = (1, 1, 1)) -> nn.Conv3d:
    return nn.Conv3d(cin, cout, k, stride=stride, padding=[x // 2 for x in k], bias=False)


class Stem(nn.Module):
    def __init__(self, cout: int, kt: int):
        super().__init__()
        self.conv = _conv(3, cout, (kt, 7, 7), (1, 2, 2))
        self.norm = _bn(cout)
        self.activation = nn.ReLU()
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))

    def forward(self, x):
        return self.pool(self.activation(self.norm(self.conv(x))))


class Bottleneck(nn.Module):
    def __init__(self, cin: int, inner: int, cout: int, kt: int, stride: int):
        super().__init__()
        self.conv_a, self.norm_a, self.act_a = _conv(cin, inner, (kt, 1, 1)), _bn(inner), nn.ReLU()
        self.conv_b = _conv(inner, inner, (1, 3, 3), (1, stride, stride))
        self.norm_b, self.act_b = _bn(inner), nn.ReLU()
        self.conv_c, self.norm_c = _conv(inner, cout, (1, 1, 1)), _bn(cout)

    def forward(self, x):
        x = self.act_a(self.norm_a(self.conv_a(x)))
        x = self.act_b(self.norm_b(self.conv_b(x)))
        return self.norm_c(self.conv_c(x))


class ResBlock(nn.Module):
    def __init__(self, cin: int, inner: int, cout: int, kt: int, stride: int):
        super().__init__()
        if cin != cout or stride != 1:
            self.branch1_conv = _conv(cin, cout, (1, 1, 1), (1, stride, stride))
            self.branch1_norm = _bn(cout)
        else:
            self.branch1_conv = self.branch1_norm = None
        self.branch2 = Bottleneck(cin, inner, cout, kt, stride)
        self.activation = nn.ReLU()

    def forward(self, x):
        skip = x if self.branch1_conv is None else self.branch1_norm(self.branch1_conv(x))
        return self.activation(skip + self.branch2(x))


class ResStage(nn.Module):
    def __init__(self, depth: int, cin: int, inner: int, cout: int, kt: int, stride: int):
        super().__init__()
        self.res_blocks = nn.ModuleList(
            ResBlock(cin if i == 0 else cout, inner, cout, kt, stride if i == 0 else 1)
            for i in range(depth))

    def forward(self, x):
        for block in self.res_blocks:
            x = block(x)
        return x


class FuseFastToSlow(nn.Module):
    def __init__(self, fast_dim: int, ratio: int, kernel: int, alpha: int):
        super().__init__()
        self.conv_fast_to_slow = _conv(fast_dim, fast_dim * ratio, (kernel, 1, 1), (alpha, 1, 1))
        self.norm = _bn(fast_dim * ratio)
        self.activation = nn.ReLU()

    def forward(self, x):
        slow, fast = x
        fused = self.activation(self.norm(self.conv_fast_to_slow(fast)))
        return [torch.cat([slow, fused], 1), fast]


class MultiPathWayWithFuse(nn.Module):
    def __init__(self, blocks: list[nn.Module], fusion: nn.Module | None):
        super().__init__()
        self.multipathway_blocks = nn.ModuleList(blocks)
        self.multipathway_fusion = fusion

    def forward(self, x):
        x = [block(xi) for block, xi in zip(self.multipathway_blocks, x)]
        return x if self.multipathway_fusion is None else self.multipathway_fusion(x)


class Head(nn.Module):
    """`blocks.6` of the checkpoint; unused by the read-outs, present so the keys match."""

    def __init__(self, cin: int, classes: int):
        super().__init__()
        self.proj = nn.Linear(cin, classes)


class SlowFast(nn.Module):
    def __init__(self, cfg: SlowFastConfig):
        super().__init__()
        self.cfg = cfg
        b, w = cfg.beta_inv, cfg.width

        def fuse(dim: int) -> FuseFastToSlow:
            return FuseFastToSlow(dim // b, cfg.fusion_ratio, cfg.fusion_kernel, cfg.alpha)

        blocks: list[nn.Module] = [MultiPathWayWithFuse([Stem(w, 1), Stem(w // b, 5)], fuse(w))]
        dim_in, dim_out = w, 4 * w
        for i, depth in enumerate(cfg.depths):
            stride = 1 if i == 0 else 2
            slow = ResStage(depth, dim_in + dim_in * cfg.fusion_ratio // b, dim_out // 4, dim_out,
                            1 if i < 2 else 3, stride)
            fast = ResStage(depth, dim_in // b, dim_out // 4 // b, dim_out // b, 3, stride)
            last = i == len(cfg.depths) - 1
            blocks.append(MultiPathWayWithFuse([slow, fast], None if last else fuse(dim_out)))
            dim_in, dim_out = dim_out, dim_out * 2
        blocks.append(nn.Identity())  # blocks.5: PoolConcatPathway, no parameters
        blocks.append(Head(cfg.slow_dim + cfg.fast_dim, cfg.num_classes))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """frames (B, 3, T, H, W), normalised → slow (B, C_s, T/alpha, h, w) and
        fast (B, C_f, T, h, w) last-stage maps."""
        x = [frames[:, :, :: self.cfg.alpha], frames]
        for block in self.blocks[:5]:
            x = block(x)
        return x[0], x[1]

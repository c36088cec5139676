"""SlowFast-R50: pytorchvideo key names and shapes, clear mismatch errors, read-outs."""

from __future__ import annotations

import pytest
import torch

from vqa.model.config import MotionConfig
from vqa.model.motion import MotionExtractor
from vqa.model.slowfast import SlowFast, SlowFastConfig
from vqa.model.slowfast_weights import StateDictMismatch, load_slowfast_state


def pytorchvideo_r50_shapes() -> dict[str, tuple]:
    """Key → shape of pytorchvideo's SLOWFAST_8x8_R50, written out from create_slowfast's
    defaults (stem 64/8, beta 1/8, fusion 2× with a 7×1×1 kernel, depths 3-4-6-3)."""
    out: dict[str, tuple] = {}

    def conv(name, cout, cin, k):
        out[f"{name}.weight"] = (cout, cin, *k)

    def bn(name, c):
        for s in ("weight", "bias", "running_mean", "running_var"):
            out[f"{name}.{s}"] = (c,)
        out[f"{name}.num_batches_tracked"] = ()

    conv("blocks.0.multipathway_blocks.0.conv", 64, 3, (1, 7, 7))
    bn("blocks.0.multipathway_blocks.0.norm", 64)
    conv("blocks.0.multipathway_blocks.1.conv", 8, 3, (5, 7, 7))
    bn("blocks.0.multipathway_blocks.1.norm", 8)
    conv("blocks.0.multipathway_fusion.conv_fast_to_slow", 16, 8, (7, 1, 1))
    bn("blocks.0.multipathway_fusion.norm", 16)
    dims = {0: ([80, 320, 640, 1280], [64, 128, 256, 512], [256, 512, 1024, 2048], [1, 1, 3, 3]),
            1: ([8, 32, 64, 128], [8, 16, 32, 64], [32, 64, 128, 256], [3, 3, 3, 3])}
    for s, depth in enumerate((3, 4, 6, 3)):
        for p, (cins, inners, couts, kts) in dims.items():
            for i in range(depth):
                pre = f"blocks.{s + 1}.multipathway_blocks.{p}.res_blocks.{i}"
                cin = cins[s] if i == 0 else couts[s]
                if i == 0:
                    conv(f"{pre}.branch1_conv", couts[s], cin, (1, 1, 1))
                    bn(f"{pre}.branch1_norm", couts[s])
                conv(f"{pre}.branch2.conv_a", inners[s], cin, (kts[s], 1, 1))
                bn(f"{pre}.branch2.norm_a", inners[s])
                conv(f"{pre}.branch2.conv_b", inners[s], inners[s], (1, 3, 3))
                bn(f"{pre}.branch2.norm_b", inners[s])
                conv(f"{pre}.branch2.conv_c", couts[s], inners[s], (1, 1, 1))
                bn(f"{pre}.branch2.norm_c", couts[s])
        if s < 3:
            f = dims[1][2][s]
            conv(f"blocks.{s + 1}.multipathway_fusion.conv_fast_to_slow", 2 * f, f, (7, 1, 1))
            bn(f"blocks.{s + 1}.multipathway_fusion.norm", 2 * f)
    out["blocks.6.proj.weight"] = (400, 2304)
    out["blocks.6.proj.bias"] = (400,)
    return out


@pytest.fixture(scope="module")
def r50():
    return SlowFast(SlowFastConfig())


@pytest.fixture(scope="module")
def checkpoint():
    g = torch.Generator().manual_seed(0)
    return {k: (torch.randn(s, generator=g) if s else torch.tensor(7))
            for k, s in pytorchvideo_r50_shapes().items()}


def test_r50_has_the_published_size(r50):
    # pytorchvideo's model zoo: SlowFast R50 8x8, 34.57 M parameters.
    assert round(sum(p.numel() for p in r50.parameters()) / 1e6, 2) == 34.57


def test_loads_a_pytorchvideo_state_dict(r50, checkpoint, tmp_path):
    path = tmp_path / "SLOWFAST_8x8_R50.pyth"
    torch.save({"model_state": checkpoint}, path)  # the SlowFast-repo nesting unwraps too
    load_slowfast_state(r50, path)
    got = r50.state_dict()
    assert set(got) == set(checkpoint)
    for k in ("blocks.0.multipathway_fusion.conv_fast_to_slow.weight",
              "blocks.4.multipathway_blocks.1.res_blocks.2.branch2.conv_c.weight",
              "blocks.6.proj.weight"):
        assert torch.equal(got[k], checkpoint[k])


def test_rejects_a_mismatched_state_dict_naming_the_keys(r50, checkpoint):
    bad = dict(checkpoint)
    del bad["blocks.2.multipathway_blocks.0.res_blocks.1.branch2.conv_b.weight"]
    bad["blocks.9.extra.weight"] = torch.zeros(1)
    bad["blocks.1.multipathway_fusion.conv_fast_to_slow.weight"] = torch.zeros(64, 32, 5, 1, 1)
    with pytest.raises(StateDictMismatch) as err:
        load_slowfast_state(r50, bad)
    msg = str(err.value)
    assert "missing (1): blocks.2.multipathway_blocks.0.res_blocks.1.branch2.conv_b.weight" in msg
    assert "unexpected (1): blocks.9.extra.weight" in msg
    assert ("blocks.1.multipathway_fusion.conv_fast_to_slow.weight: checkpoint (64, 32, 5, 1, 1)"
            " vs model (64, 32, 7, 1, 1)") in msg


def test_readouts_fast_per_frame_and_pooled():
    sf = SlowFastConfig(depths=(1, 1, 1, 1), width=8, beta_inv=4, num_classes=4)
    frames = torch.randn(12, 3, 32, 32)
    per_frame = MotionExtractor(MotionConfig(slowfast=sf)).eval()
    assert per_frame(frames).shape == (12, sf.fast_dim)  # one token per motion frame
    pooled = MotionExtractor(MotionConfig(slowfast=sf, readout="pooled")).eval()
    assert pooled(frames).shape == (1, sf.slow_dim + sf.fast_dim)
    assert SlowFastConfig().slow_dim + SlowFastConfig().fast_dim == 2304  # FineVQ's 2304

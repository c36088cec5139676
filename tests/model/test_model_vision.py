"""Vision towers by config: SigLIP (no CLS) and InternViT-style (CLS dropped), grid pooling; a
FineVQ-shaped tiny model (8 uniform frames, pooled SlowFast) rates a clip."""

from __future__ import annotations

import torch

from model_fixtures import clip  # noqa: F401
from vqa.model import build_model, tiny
from vqa.model.components import build_vision
from vqa.model.config import VisionConfig

INTERNVIT = {"model_type": "internvl_vision", "hidden_size": 32, "intermediate_size": 64,
             "num_hidden_layers": 1, "num_attention_heads": 2, "image_size": [32, 32],
             "patch_size": [8, 8]}


def test_internvit_style_tower_drops_cls_and_pools():
    tower = build_vision(VisionConfig(hf_config=INTERNVIT)).eval()
    assert tower(torch.randn(3, 3, 32, 32)).shape == (3, 16, 32)  # 4×4 patches, CLS dropped
    pooled = build_vision(VisionConfig(hf_config=INTERNVIT, tokens_per_frame=4)).eval()
    x = torch.randn(1, 3, 32, 32)
    full = tower.model(pixel_values=x, output_hidden_states=True).hidden_states[-1][:, 1:]
    pooled.model.load_state_dict(tower.model.state_dict())
    grid = full.reshape(1, 4, 4, 32)  # row-major patch grid; each output token = mean of 2×2
    want = grid.reshape(1, 2, 2, 2, 2, 32).mean(dim=(2, 4)).reshape(1, 4, 32)
    torch.testing.assert_close(pooled(x), want)


def test_finevq_shaped_tiny_rates_a_clip(clip):
    cfg = tiny()
    cfg.vision.hf_config = dict(INTERNVIT)
    cfg.vision.tokens_per_frame = None
    cfg.frames.fragments, cfg.frames.keyframe_size = None, 32  # whole frames at InternViT's 32²
    cfg.motion.readout = "pooled"
    cfg.quality.enabled = False  # as in finevq-8b: its features need a pooled token grid
    cfg.grounding.enabled = False  # and so does grounding (one embedding per grid cell)
    cfg.frames.uniform = 8
    cfg.scoring.dimensions = ["blur"]
    cfg.scoring.dimension_levels = {"blur": ["undistorted", "slight", "mild", "strong", "severe"]}
    cfg.lora.targets = ["vision", "language"]
    cfg.lora.modules = {"vision": ["q_proj", "k_proj", "v_proj", "projection_layer", "fc1", "fc2"],
                        "language": ["q_proj", "v_proj"]}
    torch.manual_seed(0)
    m = build_model(cfg)
    timings: dict = {}
    out = m.rate(clip, timings)
    assert 1 <= out["score"] <= 5 and 1 <= out["dimensions"]["blur"] <= 5
    from vqa.model.inference import encode_video

    enc = encode_video(m, clip)
    assert enc["vision"].shape[:2] == (8, 16) and enc["motion"].shape[0] == 1

"""Real loading code on checkpoints the test writes itself: a vision tower, an LLM (+ tokenizer)
and a SlowFast `.pyth` in local folders, loaded by path, saved, reloaded."""

from __future__ import annotations

import pytest
import torch

from model_fixtures import clip  # noqa: F401
from vqa.model import VQAModel, build_model, tiny
from vqa.model.components import hf_config


@pytest.fixture(scope="module")
def local_ckpts(tmp_path_factory):
    from transformers import AutoModel, AutoModelForCausalLM

    from vqa.model.slowfast import SlowFast
    from vqa.model.tokenizer import build_tiny_tokenizer

    root = tmp_path_factory.mktemp("ckpts")
    cfg = tiny()
    torch.manual_seed(5)
    tok = build_tiny_tokenizer()
    vision = AutoModel.from_config(hf_config(cfg.vision.hf_config))
    llm = AutoModelForCausalLM.from_config(hf_config({**cfg.llm.hf_config,
                                                      "vocab_size": len(tok)}))
    sf = SlowFast(cfg.motion.slowfast)
    vision.save_pretrained(root / "vision")
    llm.save_pretrained(root / "llm")
    # Its own folder: next to a qwen2 config.json, transformers 5 would load the files as a
    # Qwen2 BPE tokenizer (the level-word check catches that: every word comes out empty).
    tok.save_pretrained(root / "tokenizer")
    torch.save(sf.state_dict(), root / "slowfast.pyth")
    return root, vision, llm, sf


def test_builds_from_local_paths_with_their_weights(local_ckpts, clip, tmp_path):
    root, vision, llm, sf = local_ckpts
    cfg = tiny()
    cfg.vision.hf_config, cfg.vision.pretrained = None, str(root / "vision")
    cfg.llm.hf_config, cfg.llm.pretrained = None, str(root / "llm")
    cfg.motion.pretrained = str(root / "slowfast.pyth")
    cfg.tokenizer = str(root / "tokenizer")
    m = build_model(cfg)
    for mine, theirs in ((m.vision.model, vision), (m.llm, llm), (m.motion.slowfast, sf)):
        a, b = mine.state_dict(), theirs.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    before = m.rate(clip)
    m.save_pretrained(tmp_path / "saved")
    again = VQAModel.from_pretrained(tmp_path / "saved")  # offline: no reference to root
    assert again.cfg.llm.pretrained is None and again.cfg.llm.hf_config["model_type"] == "qwen2"
    assert again.rate(clip) == before

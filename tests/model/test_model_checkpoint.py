"""save_pretrained → from_pretrained gives identical outputs (LoRA and score head included);
merge_and_unload keeps the outputs."""

from __future__ import annotations

import pytest
import torch

from model_fixtures import clip  # noqa: F401
from vqa.model import VQAModel, build_model, tiny
from vqa.model.inference import encode_video
from vqa.model.prompting import build_layout, rating_turns


@pytest.fixture(scope="module")
def lora_model():
    cfg = tiny()
    cfg.lora.targets = ["vision", "language"]
    torch.manual_seed(1)
    m = build_model(cfg)
    with torch.no_grad():  # peft starts B at zero: make the adapters change the outputs
        for name, p in m.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    return m


def rating_logits(m, clip) -> torch.Tensor:
    enc = encode_video(m, clip)
    messages, prefix = rating_turns(m.cfg.prompt)
    lay = build_layout(m.tokenizer, m.cfg.prompt, messages, duration=enc["duration"],
                       n_keyframes=enc["vision"].shape[0], tokens_per_frame=enc["vision"].shape[1],
                       n_motion=enc["motion"].shape[0], generation_prefix=prefix)
    with torch.no_grad():
        return m.llm(inputs_embeds=m.embed(lay, enc["vision"], enc["motion"])[None]).logits[0, -1]


def test_save_load_gives_identical_outputs(lora_model, clip, tmp_path):
    m = lora_model.eval()
    before = m.rate(clip)
    m.save_pretrained(tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} == {
        "config.yaml", "model.safetensors", "tokenizer", "adapters"}
    assert (tmp_path / "m" / "adapters" / "language" / "adapter_config.json").exists()
    loaded = VQAModel.from_pretrained(tmp_path / "m")
    assert loaded.rate(clip) == before
    assert torch.equal(rating_logits(loaded, clip), rating_logits(m, clip))
    sd, sd2 = m.state_dict(), loaded.state_dict()
    assert sd.keys() == sd2.keys() and all(torch.equal(sd[k], sd2[k]) for k in sd)
    chat = [{"role": "user", "content": "Describe the quality of this video."}]
    assert loaded.chat(clip, chat, max_new_tokens=6) == m.chat(clip, chat, max_new_tokens=6)


def test_merge_and_unload_keeps_outputs_and_saves_plain(lora_model, clip, tmp_path):
    import copy

    m = copy.deepcopy(lora_model).eval()
    lora_logits = rating_logits(m, clip)
    merged = m.merge_and_unload()
    assert not any("lora_" in n for n, _ in merged.named_parameters())
    torch.testing.assert_close(rating_logits(merged, clip), lora_logits, rtol=1e-4, atol=1e-4)
    merged.save_pretrained(tmp_path / "merged")
    assert not (tmp_path / "merged" / "adapters").exists()
    again = VQAModel.from_pretrained(tmp_path / "merged")
    assert torch.equal(rating_logits(again, clip), rating_logits(merged, clip))


def test_loading_a_folder_that_is_not_a_model_names_it(tmp_path):
    from vqa.errors import ConfigError

    with pytest.raises(ConfigError, match="not a saved VQA model"):
        VQAModel.from_pretrained(tmp_path)

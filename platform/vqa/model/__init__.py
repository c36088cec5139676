"""The VQA LMM (OmniVQA / FineVQ): vision tower + SlowFast motion extractor + projectors + causal
LLM, rating by level logits, FineVQ score head, LoRA by module group, presets, save / load.

    from vqa.model import build_model, VQAModel
    model = build_model("tiny")                 # or omnivqa_7b(llm="/ckpt/qwen2-7b"), …
    model.rate("clip.mp4")                      # {"score", "level", "probs", "dimensions"}
    model.chat("clip.mp4", [{"role": "user", "content": "Is the video blurry?"}])
    model.save_pretrained("out/"); VQAModel.from_pretrained("out/")
"""

from vqa.model.config import VQAConfig
from vqa.model.frames import frames_key, sample_frames
from vqa.model.presets import architecture, build_model, finevq_8b, omnivqa_7b, preset_config, tiny
from vqa.model.vqa_model import VQAModel

__all__ = ["VQAConfig", "VQAModel", "architecture", "build_model", "finevq_8b", "frames_key",
           "omnivqa_7b", "preset_config", "sample_frames", "tiny"]

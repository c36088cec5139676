"""The composite VQA LMM: vision tower + SlowFast motion extractor + projectors + causal LLM
(+ FineVQ score head). Module groups, freezing and LoRA are declared here once."""

from __future__ import annotations

import contextlib
import copy
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vqa.errors import ConfigError
from vqa.model.attention import runnable_attention
from vqa.model.checkpoint import dtype_of, full_shape, load, save
from vqa.model.components import (Projector, ScoreHead, TokenPlaces, VisionTower, build_llm,
                                   build_vision, load_tokenizer, place_names)
from vqa.model.config import VQAConfig
from vqa.model.inference import chat, rate, rate_batch
from vqa.model.lora import FLAG, set_trainable, wrap_lora
from vqa.model.motion import MotionExtractor, MotionProjector
from vqa.model.prompting import MOTION, VISION, Layout, rating_turns
from vqa.model.quality import QualityProjector
from vqa.model.salience import SalientPlace
from vqa.model.scoring import level_token_ids, rated_levels
from vqa.model.slowfast_weights import load_slowfast_state
from vqa.model.tokenizer import build_tiny_tokenizer


class VQAModel(nn.Module):
    def __init__(self, cfg: VQAConfig, vision: VisionTower, motion: MotionExtractor | None,
                 llm: nn.Module, tokenizer):
        super().__init__()
        self.cfg, self.tokenizer = cfg, tokenizer
        width = llm.get_input_embeddings().embedding_dim
        self.vision, self.motion, self.llm = vision, motion, llm
        self.vision_proj = Projector(vision.width, width, cfg.projector_hidden)
        self.motion_proj = MotionProjector(cfg.motion, motion.width, width, cfg.projector_hidden) \
            if motion is not None else None
        self.quality_proj = QualityProjector(width, cfg.quality.hidden, cfg.quality.vision_gate) \
            if cfg.quality.enabled else None
        g = cfg.grounding
        self.places = TokenPlaces(cfg.vision.tokens_per_frame, g.max_seconds, width,
                                  place_names(g.words, tokenizer) if g.words else None,
                                  SalientPlace() if g.salience else None) \
            if g.enabled else None
        self.score_head = ScoreHead(width, cfg.head.hidden, len(cfg.head.dimensions)) \
            if cfg.head.enabled else None
        self.level_ids = {d: level_token_ids(tokenizer, w, cfg.scoring.level_prefix,
                                             rating_turns(cfg.prompt, d)[1])
                          for d, w in self.level_words().items()}
        for group in cfg.lora.targets:
            self.add_lora(group)
        self.apply_trainable()

    # ---- groups -------------------------------------------------------------------------
    def groups(self) -> dict[str, list[nn.Module]]:
        keep = lambda *ms: [m for m in ms if m is not None]  # noqa: E731
        return {"vision": keep(self.vision), "motion": keep(self.motion),
                "projector": keep(self.vision_proj, self.motion_proj, self.quality_proj,
                                  self.places),
                "language": keep(self.llm), "head": keep(self.score_head)}

    def add_lora(self, group: str) -> None:
        if group == "language":
            self.llm = wrap_lora(self.llm, self.cfg.lora, group, causal_lm=True)
        elif group == "vision":
            self.vision.model = wrap_lora(self.vision.model, self.cfg.lora, group, False)
        else:
            raise ValueError(f"LoRA on '{group}' is not supported (vision, language)")

    def enable_activation_checkpointing(self, groups) -> None:
        """Recompute each transformer layer's activations in the backward pass instead of
        keeping them (`groups`: vision, language), through transformers' own mechanism,
        non-reentrant: it needs no input that requires grad, so it works with LoRA, frozen
        groups and DeepSpeed ZeRO-3 alike."""
        modules = {"vision": self.vision.model, "language": self.llm}
        for group in groups:
            module = modules[group]
            base = module.get_base_model() if hasattr(module, "get_base_model") else module
            if not getattr(base, "supports_gradient_checkpointing", False):
                raise ValueError(f"activation_checkpointing: the {group} model "
                                 f"({type(base).__name__}) does not support it")
            kwargs = {"use_reentrant": False}
            if hasattr(base, "activation_checkpointing_enable"):  # transformers >= 5.x
                base.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
            else:
                base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)

    def apply_trainable(self) -> None:
        flags = {g: getattr(self.cfg, f) for g, f in FLAG.items()}
        set_trainable(self.groups(), flags, list(self.cfg.lora.targets))

    def param_groups(self, lr: float, group_lr: dict[str, float] | None = None,
                     weight_decay: float = 0.0) -> list[dict]:
        """Optimizer parameter groups, one per module group with trainable parameters; e.g.
        OmniVQA's lr 1e-5 with the vision tower at 2e-6: `param_groups(1e-5, {"vision": 2e-6})`.
        With weight decay, a group's 1-d parameters (biases, norm gains, gates) go to a twin
        group "<name>/no_decay" without it, as transformers' Trainer does: decay pulls a norm's
        gain or the tower's gate towards 0, not towards a simpler model. A parameter's rank is
        its full shape's: a ZeRO-3 partitioned one holds an empty 1-d tensor (its shape is in
        `ds_shape`) until gathered, and a split by what happens to be gathered at the time gave
        a resumed run other groups than its checkpoint's."""
        out = []
        for name, modules in self.groups().items():
            params = [p for m in modules for p in m.parameters() if p.requires_grad]
            split = [(name, params, 0.0)]
            if weight_decay:
                matrices = [p for p in params if len(full_shape(p)) > 1]
                rest = [p for p in params if len(full_shape(p)) <= 1]
                split = [(name, matrices, weight_decay), (f"{name}/no_decay", rest, 0.0)]
            glr = (group_lr or {}).get(name, lr)
            out += [{"name": n, "params": ps, "weight_decay": wd, "lr": glr}
                    for n, ps, wd in split if ps]
        return out

    def train(self, mode: bool = True) -> "VQAModel":
        """Frozen groups stay in eval mode while training: a frozen SlowFast must not update its
        BatchNorm statistics, a frozen tower must not drop out."""
        super().train(mode)
        if mode:
            for modules in self.groups().values():
                for m in modules:
                    if not any(p.requires_grad for p in m.parameters()):
                        m.eval()
        return self

    def level_words(self) -> dict[str, list[str]]:
        return rated_levels(self.cfg.scoring)

    # ---- encoding -----------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.llm.get_input_embeddings().weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.llm.get_input_embeddings().weight.dtype

    def _pixels(self, frames, mean, std) -> torch.Tensor:
        x = _tensor(frames).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        m = torch.tensor(mean, device=x.device).view(1, 3, 1, 1)
        s = torch.tensor(std, device=x.device).view(1, 3, 1, 1)
        return (x - m) / s

    def encode_keyframes(self, frames, quality=None, seconds=None,
                         clips: list[int] | None = None) -> torch.Tensor:
        """uint8 (K, H, W, 3) → LLM-width tokens (K, n, D); with `quality` on, each token also
        carries its cell's and the clip's quality features, as `sample_frames` gives them (from
        the decoded keyframes, not the mosaic here: there is one way to compute them); with
        `grounding` on, its cell's and its keyframe's second's embeddings (`seconds`: (K,)
        whole seconds from the start, `keyframe_seconds`). `clips`: the keyframe count of each
        clip when K holds several clips' keyframes (one clip if None): `grounding.salience`
        compares a cell with its own clip's cells only."""
        px = self._pixels(frames, self.cfg.vision.mean, self.cfg.vision.std)
        tokens = self.vision_proj(self.vision(px.to(self.dtype)))
        if self.quality_proj is not None:
            if quality is None:
                raise ValueError("this model reads quality features: pass the 'quality' part of "
                                 "vqa.model.frames.sample_frames / model_inputs")
            quality = _tensor(quality).to(self.device)  # once, also for the places
            tokens = self.quality_proj(quality, tokens)
        if self.places is not None:
            if seconds is None:
                raise ValueError("this model grounds tokens in time: pass each keyframe's "
                                 "second (vqa.model.inference.keyframe_seconds)")
            tokens = self.places(tokens, seconds, self.llm.get_input_embeddings(), quality,
                                 clips)
        return tokens

    def encode_motion(self, frames) -> torch.Tensor:
        """uint8 (T, H, W, 3) → LLM-width tokens (T, D) or (1, D); clips of one shape stacked
        (B, T, H, W, 3) → (B, T, D) or (B, 1, D), one SlowFast pass."""
        frames = torch.as_tensor(frames)
        px = self._pixels(frames.reshape(-1, *frames.shape[-3:]), self.cfg.motion.mean,
                          self.cfg.motion.std).reshape(*frames.shape[:-3], 3, *frames.shape[-3:-1])
        sf_dtype = next(self.motion.parameters()).dtype
        return self.motion_proj(self.motion(px.to(sf_dtype)).to(self.dtype))

    def embed(self, layout: Layout, vision: torch.Tensor, motion: torch.Tensor | None
              ) -> torch.Tensor:
        """Text embeddings with the video tokens scattered into their slots → (L, D)."""
        t = layout.tensors()
        ids, kinds = t["input_ids"].to(self.device), t["kinds"].to(self.device)
        x = self.llm.get_input_embeddings()(ids)
        x = x.clone()
        x[kinds == VISION] = vision.reshape(-1, x.shape[-1]).to(x.dtype)
        if motion is not None:
            x[kinds == MOTION] = motion.reshape(-1, x.shape[-1]).to(x.dtype)
        return x

    # ---- training -----------------------------------------------------------------------
    def forward(self, embeds: list[torch.Tensor], labels: list[torch.Tensor],
                scores: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Right-padded batch of embedded sequences → language loss (+ weighted L1 of the score
        head when `scores` (B, n_dims) is given). The head reads the hidden state of the token
        before the first answer token (the open assistant turn): it has seen the video and the
        question but not the answer, as in `rate` (which reads the same position)."""
        n = max(e.shape[0] for e in embeds)
        x = torch.stack([F.pad(e, (0, 0, 0, n - e.shape[0])) for e in embeds])
        y = torch.stack([F.pad(lab.to(self.device), (0, n - lab.shape[0]), value=-100)
                         for lab in labels])
        mask = torch.stack([torch.arange(n, device=self.device) < e.shape[0] for e in embeds])
        hidden = self.score_head is not None
        if self._keeps_logits():
            # logits only where a next token is labelled (the answers: a few dozen positions of
            # thousands), the loss in fp32 — the full-length logits of a 150 K vocabulary would
            # outweigh the whole model's activations (vqa.train.plan)
            keep = (y[:, 1:] != -100).any(dim=0).nonzero()[:, 0]
            out = self.llm(inputs_embeds=x, attention_mask=mask.long(), use_cache=False,
                           output_hidden_states=hidden, logits_to_keep=keep)
            lm_loss = F.cross_entropy(out.logits.float().flatten(0, 1),
                                      y[:, keep + 1].flatten(), ignore_index=-100)
        else:  # an LLM without logits_to_keep (remote code): transformers' own loss
            out = self.llm(inputs_embeds=x, attention_mask=mask.long(), labels=y,
                           use_cache=False, output_hidden_states=hidden)
            lm_loss = out.loss
        result = {"lm_loss": lm_loss, "loss": lm_loss}
        if self.score_head is not None and scores is not None:
            at = torch.tensor([_before_answer(lab, e.shape[0]) for e, lab in zip(embeds, labels)],
                              device=self.device)
            h = out.hidden_states[-1][torch.arange(len(embeds)), at]
            # the head runs in its own dtype, the loss in fp32 (bf16 L1 rounds the gradient)
            pred = self.score_head(h.to(next(self.score_head.parameters()).dtype)).float()
            target = scores.to(pred)
            known = ~torch.isnan(target)  # a sample may lack some dimensions' scores
            result["score_loss"] = F.l1_loss(pred[known], target[known]) if known.any() \
                else pred.sum() * 0
            result["loss"] = lm_loss + self.cfg.head.loss_weight * result["score_loss"]
        return result

    def _keeps_logits(self) -> bool:
        import inspect

        base = self.llm.get_base_model() if hasattr(self.llm, "get_base_model") else self.llm
        return "logits_to_keep" in inspect.signature(base.forward).parameters

    # ---- inference, save / load (vqa.model.inference, vqa.model.checkpoint) ---------------
    def rate(self, video, timings: dict | None = None) -> dict:
        """Overall score in [1, 5], level and level probabilities (+ dimension scores)."""
        return rate(self, video, timings)

    def rate_batch(self, videos: list, timings: dict | None = None) -> list[dict]:
        """`rate` for many videos in one language-model forward pass (same numbers)."""
        return rate_batch(self, videos, timings)

    def chat(self, video, messages: list[dict], **generate) -> str:
        return chat(self, video, messages, **generate)

    def save_pretrained(self, path, state_dict: dict | None = None) -> None:
        save(self, path, state_dict)

    @classmethod
    def from_pretrained(cls, path, device: str | None = None, load_weights=None) -> "VQAModel":
        return load(path, build, device, load_weights)

    def merge_and_unload(self) -> "VQAModel":
        """Fold the LoRA adapters into the base weights; the model then saves without peft."""
        if "language" in self.cfg.lora.targets:
            self.llm = self.llm.merge_and_unload()
        if "vision" in self.cfg.lora.targets:
            self.vision.model = self.vision.model.merge_and_unload()
        self.cfg.lora.targets = []
        self.apply_trainable()
        return self


def _tensor(a) -> torch.Tensor:
    """An array as a tensor; a read-only one (frames from a shard, an Arrow buffer) copied first,
    which torch would otherwise share with a warning that writes through it are undefined."""
    if isinstance(a, np.ndarray) and not a.flags.writeable:
        a = a.copy()
    return torch.as_tensor(a)


def _before_answer(labels: torch.Tensor, length: int) -> int:
    """Position of the token before the first labelled (answer) token; the last token if none."""
    answer = (labels != -100).nonzero()
    return int(answer[0, 0]) - 1 if len(answer) and int(answer[0, 0]) > 0 else length - 1


def build(cfg: VQAConfig, weights: bool = True, tokenizer=None,
          device: str | torch.device | None = None) -> VQAModel:
    """Config → `VQAModel` (`vqa.model.presets.build_model` also takes a preset name).
    `weights=False` skips every checkpoint (random init from the architectures; what loading a
    saved folder does before reading its weights)."""
    cfg = copy.deepcopy(cfg)
    if tokenizer is None:
        source = cfg.tokenizer or cfg.llm.pretrained
        tokenizer = load_tokenizer(source, cfg.llm.trust_remote_code) if source \
            else build_tiny_tokenizer()
    if cfg.llm.hf_config is not None:
        cfg.llm.hf_config.setdefault("vocab_size", len(tokenizer))
        if cfg.llm.hf_config["vocab_size"] < len(tokenizer):
            raise ConfigError(f"llm.hf_config.vocab_size {cfg.llm.hf_config['vocab_size']} < "
                              f"tokenizer size {len(tokenizer)}")
    dtype = dtype_of(cfg.dtype)
    with torch.device(device) if device is not None else contextlib.nullcontext():
        attention = runnable_attention(cfg.attn_implementation)
        vision = build_vision(cfg.vision, dtype, weights, attention)
        motion = MotionExtractor(cfg.motion) if cfg.motion.enabled else None
        llm = build_llm(cfg.llm, dtype, weights, attention)
        if motion is not None and weights and cfg.motion.pretrained:
            load_slowfast_state(motion.slowfast, cfg.motion.pretrained)
        elif motion is not None and weights and (cfg.vision.pretrained or cfg.llm.pretrained):
            warnings.warn("motion.pretrained is not set: SlowFast is random init beside "
                          "pretrained components (point it at SLOWFAST_8x8_R50.pyth)")
        model = VQAModel(cfg, vision, motion, llm, tokenizer)
    if dtype != torch.float32:  # SlowFast's BatchNorm stays fp32; the rest runs in `dtype`
        for m in (model.vision_proj, model.motion_proj, model.quality_proj, model.places,
                  model.score_head):
            if m is not None:
                m.to(dtype)
    return model

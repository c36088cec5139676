"""The model config: one dataclass tree, loaded from a preset YAML and saved with the weights.

Component configs are either `hf_config` (a transformers config as a dict, with `model_type`;
random init, what `tiny` and saved folders use) or `pretrained` (a local path or hub id)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from vqa.data import DIMENSIONS
from vqa.errors import ConfigError
from vqa.model.slowfast import SlowFastConfig

OMNIVQA_LEVELS = ["excellent", "good", "fair", "poor", "low"]  # OmniVQA A.2 / MOS-20K
DISTORTION_LEVELS = ["undistorted", "slight", "mild", "strong", "severe"]  # FineVQ noise/…


def _component(name: str, hf_config: dict | None, pretrained: str | None) -> None:
    if (hf_config is None) == (pretrained is None):
        raise ConfigError(f"{name}: set exactly one of hf_config (random init) and pretrained "
                          f"(local path or hub id)")
    if hf_config is not None and "model_type" not in hf_config:
        raise ConfigError(f"{name}.hf_config: needs a model_type (e.g. siglip_vision_model, qwen2)")


@dataclass
class VisionConfig:
    hf_config: dict[str, Any] | None = None
    pretrained: str | None = None
    trust_remote_code: bool = False
    select_layer: int = -1  # hidden state the patch tokens come from
    tokens_per_frame: int | None = None  # average-pool the patch grid to this square count
    mean: list[float] = field(default_factory=lambda: [0.5, 0.5, 0.5])  # SigLIP
    std: list[float] = field(default_factory=lambda: [0.5, 0.5, 0.5])


@dataclass
class MotionConfig:
    enabled: bool = True
    slowfast: SlowFastConfig = field(default_factory=SlowFastConfig)
    pretrained: str | None = None  # pytorchvideo SLOWFAST_8x8_R50.pyth
    readout: Literal["fast_frames", "pooled"] = "fast_frames"  # OmniVQA/VQA² | FineVQ
    max_positions: int = 2000  # learned temporal position embedding (fast_frames)
    mean: list[float] = field(default_factory=lambda: [0.45, 0.45, 0.45])
    std: list[float] = field(default_factory=lambda: [0.225, 0.225, 0.225])


@dataclass
class LLMConfig:
    hf_config: dict[str, Any] | None = None
    pretrained: str | None = None
    trust_remote_code: bool = False


@dataclass
class FramesConfig:
    keyframe_size: int = 384
    uniform: int | None = None  # FineVQ: 8 uniform frames; None → 1 fps (OmniVQA)
    max_keyframes: int | None = None
    motion_size: int = 224
    motion_multiple_of: int | None = 4
    motion_min_frames: int | None = None
    # FAST-VQA fragments: keyframes are decoded at native resolution and spliced into a
    # fragments×fragments grid of fragment_size² native patches (a grid·size square; keyframe_size
    # is then unused). The vision tower's image_size must be fragments·fragment_size.
    fragments: int | None = None
    fragment_size: int = 32


@dataclass
class PromptConfig:
    """ChatML markers (Qwen2 and InternLM2-chat share them) and the OmniVQA A.1/A.2 wording."""

    system: str = ("You will receive a keyframe sequence sampled at an average of one frame per "
                   "second from a video of length {duration} seconds, with the keyframe sequence "
                   "ordered in alignment with the video's temporal order. Please answer the "
                   "following question based on the information provided.")
    system_motion: str = (" In addition, you will receive a motion feature sequence that "
                          "corresponds to the number of frames in the video, {num_frames}.")
    turn_start: str = "<|im_start|>"
    turn_end: str = "<|im_end|>"
    question: str = "How would you rate the {dimension}quality of this video?"
    answer_prefix: str = "The {dimension}quality of this video is"


@dataclass
class ScoringConfig:
    levels: list[str] = field(default_factory=lambda: list(OMNIVQA_LEVELS))  # best first
    weights: list[float] = field(default_factory=lambda: [5.0, 4.0, 3.0, 2.0, 1.0])
    level_prefix: str = " "  # a level word follows "…is" after a space: " excellent"
    dimension_levels: dict[str, list[str]] = field(default_factory=dict)  # FineVQ per-dimension
    dimensions: list[str] = field(default_factory=list)  # rate these by prompt, besides overall


@dataclass
class HeadConfig:
    enabled: bool = False
    hidden: list[int] = field(default_factory=lambda: [1024, 256, 64, 16])  # FineVQ code
    dimensions: list[str] = field(default_factory=lambda: list(DIMENSIONS))
    loss_weight: float = 1.0  # L1 beside the language loss; not published
    # The head regresses score / scale (scores 0–100 with scale 100 → targets 0–1, an L1 the size
    # of the language loss); `rate` reports head outputs × scale, back on the scores' scale.
    scale: float = 1.0


@dataclass
class QualityConfig:
    """Quality-feature tokens (`vqa.model.quality`): fixed low-level statistics of each keyframe
    cell and of the clip, read by a learned projector and added to the vision tokens. For
    towers that know nothing of noise, blur or blocking (random init, or trained on content
    only)."""

    enabled: bool = False
    hidden: int | None = None  # projector hidden width; None → the LLM width
    # the tower's tokens enter through a learned gate tanh(g), g = 0 at init (Flamingo's gated
    # layers): a random-init tower starts silent and joins only as far as training finds it
    # useful, instead of letting the model memorise scenes from its first step
    vision_gate: bool = False


@dataclass
class PlaceWords:
    """Places named in the answers' words: a cell's embedding is the LLM's own input embedding
    of its grid row's words plus its column's, a second's that of its ordinal, times a learned
    scale. Why: an answer says "bottom-left" or "the 2nd second"; with tied places the token
    that shows a defect already carries the words that name where it is, and the LLM only has
    to learn which token to read. Free embeddings must also meet the words' by training, and a
    2-layer LLM from scratch did not (docs/research/placing-defects.md)."""

    rows: list[list[str]]  # one list of words per token-grid row, top to bottom
    cols: list[list[str]]  # one per column, left to right
    seconds: list[str]  # the 1st, 2nd, … second; later keyframes take the last

    def validate(self) -> None:
        for key in ("rows", "cols"):
            if not getattr(self, key) or not all(getattr(self, key)):
                raise ConfigError(f"grounding.words.{key}: one non-empty list of words per "
                                  f"token-grid {key[:-1]}")
        if not self.seconds:
            raise ConfigError("grounding.words.seconds: at least one word (the 1st second's)")


@dataclass
class GroundingConfig:
    """Where and when each vision token is: embeddings of its cell in the keyframe's token grid
    and of the second its keyframe shows (learned, or named by `words`), added to the token.
    In-context questions ask where and when a distortion is; a large LLM can read a token's
    place from its 1-D RoPE offset (Qwen2-VL gives it 3-D M-RoPE), a 2-layer one trained from
    scratch cannot."""

    enabled: bool = False
    max_seconds: int = 64  # free embeddings: keyframes at or past it share the last one
    # name places in the answers' own words instead of free embeddings (`PlaceWords`)
    words: PlaceWords | None = None
    # tell every token where and when the clip's most unusual cells are (needs quality
    # features; `vqa.model.salience`)
    salience: bool = False


@dataclass
class LoRAConfig:
    targets: list[Literal["vision", "language"]] = field(default_factory=list)
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    modules: dict[str, list[str]] = field(default_factory=lambda: {
        "language": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        "vision": ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]})


@dataclass
class VQAConfig:
    name: str = "custom"
    note: str = ""  # shown by `vqa score`; `vqa model init` marks untrained models here
    vision: VisionConfig = field(default_factory=VisionConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    tokenizer: str | None = None  # path or hub id; None → the LLM's (pretrained) or saved one
    frames: FramesConfig = field(default_factory=FramesConfig)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    grounding: GroundingConfig = field(default_factory=GroundingConfig)
    lora: LoRAConfig = field(default_factory=LoRAConfig)
    projector_hidden: int | None = None  # None → the LLM width (Table 5: 1152→3584→3584)
    vision_trainable: bool = False
    motion_trainable: bool = False
    projector_trainable: bool = True
    llm_trainable: bool = False
    head_trainable: bool = True
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    # attention kernel of the vision tower and the LLM, passed to every from_pretrained /
    # from_config: sdpa (torch's fused kernels), flash_attention_2 (the flash-attn package on a
    # GPU), eager (the reference; the only one that returns attention weights)
    attn_implementation: Literal["sdpa", "flash_attention_2", "eager"] = "sdpa"

    def validate(self) -> None:
        _component("vision", self.vision.hf_config, self.vision.pretrained)
        _component("llm", self.llm.hf_config, self.llm.pretrained)
        s = self.scoring
        for dim, words in {"overall": s.levels, **s.dimension_levels}.items():
            if len(words) != len(s.weights):
                raise ConfigError(f"scoring: {len(words)} level words for '{dim}' but "
                                  f"{len(s.weights)} weights")
        for dim in [*s.dimensions, *s.dimension_levels, *self.head.dimensions]:
            if dim not in DIMENSIONS:
                raise ConfigError(f"unknown dimension '{dim}'; known: {list(DIMENSIONS)}")
        n = self.vision.tokens_per_frame
        if n is not None and math.isqrt(n) ** 2 != n:
            raise ConfigError(f"vision.tokens_per_frame: {n} is not a square (the patch grid is "
                              f"pooled to a square)")
        if self.quality.enabled and n is None:
            raise ConfigError("quality.enabled needs vision.tokens_per_frame: the features "
                              "describe one cell per token")
        if self.grounding.enabled and (n is None or self.grounding.max_seconds < 1):
            raise ConfigError("grounding.enabled needs vision.tokens_per_frame (one embedding "
                              "per token cell) and grounding.max_seconds >= 1")
        if self.grounding.enabled and self.grounding.salience and not self.quality.enabled:
            raise ConfigError("grounding.salience needs quality.enabled: a cell's salience is "
                              "read from its quality features")
        w = self.grounding.words
        if self.grounding.enabled and w is not None and \
                not len(w.rows) == len(w.cols) == math.isqrt(n):
            raise ConfigError(f"grounding.words: {len(w.rows)} rows and {len(w.cols)} cols of "
                              f"words for a {math.isqrt(n)}×{math.isqrt(n)} token grid")
        if len(self.motion.slowfast.depths) != 4:
            raise ConfigError("motion.slowfast.depths: SlowFast has 4 stages")
        for t in self.lora.targets:
            if t not in self.lora.modules:
                raise ConfigError(f"lora.modules: no target modules for '{t}'")

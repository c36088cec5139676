"""Component builders: vision tower, LLM, tokenizer — from a transformers config dict (random
init) or from a local path / hub id. The only place that calls `from_pretrained` on components."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vqa.errors import ConfigError
from vqa.model.config import LLMConfig, VisionConfig
from vqa.model.scoring import word_token_ids


def hf_config(d: dict):
    from transformers import AutoConfig

    d = dict(d)
    return AutoConfig.for_model(d.pop("model_type"), **d)


def component_config(cfg: VisionConfig | LLMConfig):
    """The transformers config: from `hf_config`, else read from `pretrained` (no weights)."""
    from transformers import AutoConfig

    if cfg.hf_config is not None:
        return hf_config(cfg.hf_config)
    conf = AutoConfig.from_pretrained(cfg.pretrained, trust_remote_code=cfg.trust_remote_code)
    return conf.vision_config if conf.model_type == "siglip" else conf  # SigLIP: vision half


class VisionTower(nn.Module):
    """Keyframes (N, 3, H, W) normalised → patch tokens (N, tokens, D), CLS dropped, optionally
    average-pooled on the patch grid to `tokens_per_frame` (a square number). A convolutional
    tower's (N, C, h, w) feature map is read as its h·w grid of tokens."""

    def __init__(self, cfg: VisionConfig, model: nn.Module):
        super().__init__()
        self.cfg = cfg
        self.model = model
        conf = model.config
        sizes = getattr(conf, "hidden_sizes", None)  # convolutional towers (ResNet, ConvNeXt)
        self.width = sizes[-1] if sizes else \
            getattr(conf, "hidden_size", None) or conf.vision_config.hidden_size

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        out = self.model(pixel_values=pixels, output_hidden_states=True)
        x = out.hidden_states[self.cfg.select_layer]
        if x.ndim == 4:  # a conv feature map (N, C, h, w) → its grid as tokens (N, h·w, C)
            x = x.flatten(2).transpose(1, 2)
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:  # a leading CLS token (InternViT)
            x = x[:, 1:]
            side = math.isqrt(x.shape[1])
        n = self.cfg.tokens_per_frame
        if n and n != x.shape[1]:
            g = math.isqrt(n)
            grid = x.transpose(1, 2).reshape(x.shape[0], x.shape[2], side, side)
            x = F.adaptive_avg_pool2d(grid, g).flatten(2).transpose(1, 2)
        return x


def build_vision(cfg: VisionConfig, dtype=torch.float32, weights: bool = True,
                 attention: str = "sdpa") -> VisionTower:
    """`weights=False` builds the architecture only (random init), e.g. before loading a saved
    folder's weights."""
    from transformers import AutoModel, SiglipVisionModel

    conf = component_config(cfg)
    if cfg.pretrained and weights:
        cls = SiglipVisionModel if conf.model_type == "siglip_vision_model" else AutoModel
        model = cls.from_pretrained(cfg.pretrained, dtype=dtype, attn_implementation=attention,
                                    trust_remote_code=cfg.trust_remote_code)
    else:
        model = AutoModel.from_config(conf, dtype=dtype, attn_implementation=attention,
                                      trust_remote_code=cfg.trust_remote_code)
    return VisionTower(cfg, model)


def build_llm(cfg: LLMConfig, dtype=torch.float32, weights: bool = True,
              attention: str = "sdpa") -> nn.Module:
    from transformers import AutoModelForCausalLM

    if cfg.pretrained and weights:
        return AutoModelForCausalLM.from_pretrained(cfg.pretrained, dtype=dtype,
                                                    attn_implementation=attention,
                                                    trust_remote_code=cfg.trust_remote_code)
    return AutoModelForCausalLM.from_config(component_config(cfg), dtype=dtype,
                                            attn_implementation=attention,
                                            trust_remote_code=cfg.trust_remote_code)


def load_tokenizer(path: str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)


class Projector(nn.Module):
    """Table 5 / FineVQ: Linear → GELU → Linear, from an encoder width into the LLM width."""

    def __init__(self, cin: int, cout: int, hidden: int | None = None):
        super().__init__()
        hidden = hidden or cout
        self.net = nn.Sequential(nn.Linear(cin, hidden), nn.GELU(), nn.Linear(hidden, cout))

    def forward(self, x):
        return self.net(x)


class ScoreHead(nn.Module):
    """FineVQ: an MLP on the last hidden state regressing one score per dimension."""

    def __init__(self, cin: int, hidden: list[int], n_out: int):
        super().__init__()
        dims, layers = [cin, *hidden], []
        for a, b in zip(dims, dims[1:]):
            layers += [nn.Linear(a, b), nn.GELU()]
        layers.append(nn.Linear(dims[-1], n_out))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class TokenPlaces(nn.Module):
    """`grounding`: an embedding per token cell (raster order) and per second of the clip, added
    to each keyframe's tokens, so a question about a place or a time can find it. Free (learned)
    embeddings, or with `names` (`place_names`) the LLM's own embeddings of the words that name
    each place, times a learned scale (`grounding.words`)."""

    def __init__(self, cells: int, max_seconds: int, width: int, names: dict | None = None,
                 salience: nn.Module | None = None):
        super().__init__()
        self.tied = names is not None
        self.salience = salience  # `SalientPlace` (grounding.salience) or None
        if self.tied:  # derived from the config and the tokenizer: not saved
            for key in ("ids", "cell", "second"):
                self.register_buffer(f"{key}_names", names[key], persistent=False)
            self.scale = nn.Parameter(torch.full((1,), 3.0))  # word rows start ~0.16 long
        else:
            self.cell = nn.Parameter(torch.randn(cells, width) * 0.02)
            self.second = nn.Parameter(torch.randn(max_seconds, width) * 0.02)

    def forward(self, tokens: torch.Tensor, seconds, embed: nn.Module | None = None,
                quality: torch.Tensor | None = None, clips: list[int] | None = None
                ) -> torch.Tensor:
        """tokens (K, n, D), seconds (K,) whole seconds from the clip's start → (K, n, D);
        `embed`: the LLM's input embedding (tied places), called as a module so that ZeRO-3
        gathers its weight; `quality`: the keyframes' quality features and `clips` the keyframe
        count of each clip in K (with `salience`, which reads each clip alone)."""
        if self.tied:
            words = embed(self.ids_names).to(tokens.dtype)
            scale = self.scale.to(words)
            cell = scale * (self.cell_names.to(words) @ words)
            second = scale * (self.second_names.to(words) @ words)
        else:
            cell, second = self.cell, self.second
        s = torch.as_tensor(seconds, device=tokens.device).long().clamp(0, len(second) - 1)
        out = tokens + (cell[None] + second[s][:, None]).to(tokens.dtype)
        if self.salience is None:
            return out
        if quality is None:
            raise ValueError("grounding.salience reads the quality features: pass 'quality'")
        sizes = clips or [len(out)]
        parts = zip(out.split(sizes), torch.as_tensor(quality, device=tokens.device).split(sizes),
                    s.split(sizes))
        return torch.cat([self.salience(t, q, cell, second[k]) for t, q, k in parts])


def place_names(words, tokenizer) -> dict[str, torch.Tensor]:
    """`grounding.words` → {"ids": the distinct token ids of its words, "cell": (cells, ids) and
    "second": (seconds, ids) averaging matrices}: a cell is the mean of its row's words plus the
    mean of its column's, a word the mean of its tokens as it reads inside an answer
    (`word_token_ids`). A word the tokenizer does not know is a ConfigError (its embedding would
    be the unknown token's)."""
    pieces = {}
    for w in (w for group in [*words.rows, *words.cols, words.seconds] for w in group):
        ids = word_token_ids(tokenizer, w)
        if not ids or tokenizer.unk_token_id in ids:
            raise ConfigError(f"grounding.words: the tokenizer does not know '{w}'")
        pieces[w] = ids
    every = sorted({i for ids in pieces.values() for i in ids})
    col = {i: k for k, i in enumerate(every)}

    def mean(group: list[str]) -> torch.Tensor:  # of the words, each the mean of its tokens
        row = torch.zeros(len(every))
        for w in group:
            for i in pieces[w]:
                row[col[i]] += 1.0 / (len(pieces[w]) * len(group))
        return row

    cell = torch.stack([mean(r) + mean(c) for r in words.rows for c in words.cols])
    return {"ids": torch.tensor(every), "cell": cell,
            "second": torch.stack([mean([w]) for w in words.seconds])}

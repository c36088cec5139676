"""The memory plan of a training job, before any GPU is reserved: the model built on the meta
device (no weights, no Ray), parameters per module group, tokens per sample from the frame
settings, and per-GPU bytes of weights, gradients, optimizer states and activations under the
configured ZeRO stage, offload, precision, batch and activation checkpointing.

States follow DeepSpeed's own estimators (`estimate_zero2/3_model_states_mem_needs`), extended
to frozen parameters (weights only) and fp32. Mixed precision, per trainable parameter: 16-bit
weights 2 B; gradients 6 B (16-bit 2 + fp32 4); optimizer 12 B (fp32 master weights, Adam's m
and v). ZeRO-1 partitions the optimizer and the fp32 gradients over the N workers, ZeRO-2 also
the 16-bit gradients, ZeRO-3 also the weights, plus the gathered ones: DeepSpeed's estimator
counts the largest layer (4 B per parameter, weights and gradients), but once its prefetcher has
traced a step ZeRO-3 keeps up to `stage3_max_live_parameters` (+ the prefetch bucket) gathered
(measured: benchmarks/rehearsal.py), so the plan takes the larger of the two. For full
fine-tuning this is DeepSpeed's ZeRO-2 figure exactly (2P + 18P/N) and its ZeRO-3 figure
(18P/N + 4L) plus the 16-bit gradient partition it leaves out (2P/N) wherever the live
parameters weigh less than its largest layer. fp32: weights 4, gradients 4, optimizer 8 (m, v).

Activations (bytes saved for the backward pass) per sample of s tokens, a bytes per element, for
a transformer layer of width h, MLP width i: 8h + 4i per token for a gated MLP (LLM: both norms'
inputs and outputs, q, k, v, the attention output; gate, up, act, product), 8h + 2i for a plain
one (vision tower), plus each LoRA-adapted linear's dropped-out input and mask; `eager`
attention also keeps heads·s² probabilities. Checkpointing keeps each
layer's input (h per token) plus one layer recomputed at a time. The LM head keeps fp32 logits
and their gradient for the labelled positions only (`VQAModel.forward`). SlowFast and the small
modules are counted only through their parameters: frozen, they keep no activations."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

GiB = 1024**3
STATES = ("weights", "gradients", "optimizer")


@dataclass
class StagePlan:
    stage: str
    params: dict[str, dict[str, int]]  # group → {"total", "trainable"}
    tokens: dict[str, int]  # vision, motion, text, total (one sample)
    per_gpu: dict[str, float]  # bytes on one GPU: weights, gradients, optimizer, activations
    host: dict[str, float]  # bytes offloaded to each worker's host memory
    activations: dict[str, float]  # per GPU: with and without checkpointing
    checkpointing: list[str]
    total: float = 0.0
    fits: bool = True
    advice: list[str] = field(default_factory=list)


def meta_model(model_cfg, tokenizer=None):
    """The model on the meta device: shapes and parameter counts, no memory, no weights."""
    from vqa.model.presets import build_model

    return build_model(model_cfg, weights=False, tokenizer=tokenizer, device="meta")


def group_params(model) -> dict[str, dict[str, int]]:
    out, seen = {}, set()
    for name, modules in model.groups().items():
        total = trainable = 0
        for m in modules:
            for p in m.parameters():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                total += p.numel()
                trainable += p.numel() if p.requires_grad else 0
        out[name] = {"total": total, "trainable": trainable}
    return out


def largest_layer(model) -> int:
    """DeepSpeed's `model_to_params`: the most parameters one module holds directly."""
    return max(sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules())


def sample_tokens(model, seconds: float, fps: float = 25.0) -> dict[str, int]:
    """Tokens of one rating sample of a `seconds`-long clip at `fps`, as the model lays it out."""
    import math

    from vqa.model.frames import _specs
    from vqa.model.prompting import build_layout, rating_turns
    from vqa.video import VideoInfo

    cfg = model.cfg
    info = VideoInfo(frames=int(seconds * fps), fps=fps, duration=seconds, width=1280,
                     height=720, codec="planned")
    kf, mo = _specs(cfg)
    k = len(kf.indices(info))
    per_frame = cfg.vision.tokens_per_frame or _patch_tokens(model)
    motion_frames = len(mo.indices(info)) if mo is not None else 0
    n_motion = None if mo is None else \
        (motion_frames if cfg.motion.readout == "fast_frames" else 1)
    turns, prefix = rating_turns(cfg.prompt)
    layout = build_layout(model.tokenizer, cfg.prompt,
                          [*turns, {"role": "assistant", "content": f"{prefix} good."}],
                          duration=math.floor(seconds), n_keyframes=k, tokens_per_frame=per_frame,
                          n_motion=n_motion, motion_frames=motion_frames or None)
    total = len(layout.tensors()["input_ids"])
    vision, motion = k * per_frame, n_motion or 0
    return {"keyframes": k, "vision": vision, "motion": motion,
            "text": total - vision - motion, "total": total,
            "answer": int((layout.tensors()["labels"] != -100).sum())}


def _patch_tokens(model) -> int:
    c = _vision_config(model)
    side = lambda v: v[0] if isinstance(v, (list, tuple)) else v  # noqa: E731 (InternViT: pairs)
    return (side(c.image_size) // side(c.patch_size)) ** 2


def _vision_config(model):
    base = model.vision.model
    base = base.get_base_model() if hasattr(base, "get_base_model") else base
    conf = base.config
    return getattr(conf, "vision_config", conf)


def _llm_config(model):
    base = model.llm.get_base_model() if hasattr(model.llm, "get_base_model") else model.llm
    return base.config


def activation_bytes(model, tokens: dict[str, int], batch: int, elem: int,
                     checkpointing: list[str]) -> float:
    """Per GPU, one micro-batch: the LLM's and (when it trains) the vision tower's saved
    activations, and the labelled positions' logits."""
    eager = model.cfg.attn_implementation == "eager"
    c = _llm_config(model)
    s = tokens["total"]
    n = c.num_hidden_layers
    llm = _layers(n, s, c.hidden_size, 8 * c.hidden_size + 4 * c.intermediate_size +
                  lora_inputs(model.llm, elem) // n, c.num_attention_heads if eager else 0,
                  elem, "language" in checkpointing)
    logits = tokens["answer"] * c.vocab_size * (elem + 8)
    vision = 0.0
    if any(p.requires_grad for p in model.vision.parameters()):  # else it keeps nothing
        v = _vision_config(model)
        frame_tokens = _patch_tokens(model) if hasattr(v, "patch_size") else 0
        vn = v.num_hidden_layers
        vision = tokens["keyframes"] * _layers(
            vn, frame_tokens, v.hidden_size, 8 * v.hidden_size + 2 * v.intermediate_size +
            lora_inputs(model.vision.model, elem) // vn,
            v.num_attention_heads if eager else 0, elem, "vision" in checkpointing)
    return batch * (llm + logits + vision)


def lora_inputs(module, elem: int) -> int:
    """Elements per token that LoRA adds to a model's saved activations: each adapted linear
    with dropout keeps its own dropped-out input (in_features) and the mask (1 byte, counted
    as 1/elem element)."""
    total = 0.0
    for m in module.modules():
        drop = getattr(m, "lora_dropout", None)
        if drop is None or not hasattr(m, "in_features"):
            continue
        for d in drop.values():
            if getattr(d, "p", 0) > 0:
                total += m.in_features * (1 + 1 / elem)
    return int(total)


def _layers(n: int, s: int, h: int, per_token: int, eager_heads: int, elem: int,
            checkpointed: bool) -> float:
    """`per_token`: elements one layer keeps per token."""
    layer = s * per_token + eager_heads * s * s
    return elem * (n * s * h + layer if checkpointed else n * layer)


LIVE_PARAMETERS = 10**9 + 5 * 10**7  # DeepSpeed's stage3_max_live_parameters + prefetch bucket


def state_bytes(params: dict[str, dict[str, int]], largest: int, zero: int, workers: int,
                precision: str, offload_optimizer: bool = False, offload_params: bool = False,
                live: int = LIVE_PARAMETERS) -> tuple[dict[str, float], dict[str, float]]:
    """(per GPU, per host) bytes of weights, gradients and optimizer states; `live`: the
    parameters ZeRO-3 may keep gathered at once."""
    total = sum(g["total"] for g in params.values())
    trainable = sum(g["trainable"] for g in params.values())
    n = max(1, workers)
    if precision == "fp32":
        w, g16, g32, opt = 4, 4, 0, 8
    else:
        w, g16, g32, opt = 2, 2, 4, 12
    gpu = {"weights": w * total / (n if zero >= 3 else 1),
           "gradients": g16 * trainable / (n if zero >= 2 else 1) +
           g32 * trainable / (n if zero >= 1 else 1),
           "optimizer": opt * trainable / (n if zero >= 1 else 1)}
    if zero >= 3:
        gathered = max(4 * largest, w * min(total, live))
        gpu["weights"] += gathered
    host = dict.fromkeys(STATES, 0.0)
    if offload_optimizer:
        host["optimizer"], gpu["optimizer"] = gpu["optimizer"], 0.0
    if offload_params and zero >= 3:
        host["weights"] = w * total / n
        gpu["weights"] = gathered
    return gpu, host


def plan(cfg, model_cfg, tokenizer=None, gpu_mem: float = 80 * GiB, seconds: float = 10.0
         ) -> list[StagePlan]:
    """One `StagePlan` per stage of a `TrainConfig` (its model config resolved)."""
    from vqa.model.lora import FLAG

    model = meta_model(model_cfg, tokenizer)
    largest = largest_layer(model)
    tokens = sample_tokens(model, seconds)
    out = []
    for stage in cfg.stages:
        m = copy.copy(model)  # stage flags on the model's config, as the recipe applies them
        m.cfg = copy.deepcopy(model.cfg)
        for group, on in stage.trainable.items():
            setattr(m.cfg, FLAG[group], on)
        m.apply_trainable()
        params = group_params(m)
        o, ds = stage.optim, cfg.deepspeed
        elem = 4 if o.precision == "fp32" else 2
        gpu, host = state_bytes(params, largest, ds.zero_stage, cfg.scaling.workers, o.precision,
                                ds.offload_optimizer, ds.offload_params, live_parameters(ds))
        ck = list(cfg.activation_checkpointing)
        acts = {"with": activation_bytes(m, tokens, o.batch_size, elem, ["vision", "language"]),
                "without": activation_bytes(m, tokens, o.batch_size, elem, [])}
        gpu["activations"] = activation_bytes(m, tokens, o.batch_size, elem, ck)
        p = StagePlan(stage.name, params, tokens, gpu, host, acts, ck)
        p.total = sum(gpu.values())
        p.fits = p.total <= gpu_mem
        if not p.fits:
            p.advice = advice(p, params, largest, cfg, o, gpu_mem, acts)
        out.append(p)
    return out


def live_parameters(ds) -> int:
    """ZeRO-3's gathered working set in parameters, from the job's DeepSpeed settings."""
    zero = ds.extra.get("zero_optimization", {})
    return int(zero.get("stage3_max_live_parameters", 10**9)) + \
        int(zero.get("stage3_prefetch_bucket_size", 5 * 10**7))


def advice(p: StagePlan, params, largest, cfg, o, gpu_mem, acts) -> list[str]:
    """The changes that would make the stage fit, first the cheapest in speed."""
    ds, n = cfg.deepspeed, cfg.scaling.workers
    states = sum(p.per_gpu[k] for k in STATES)
    tips = []
    if set(p.checkpointing) != {"vision", "language"} and states + acts["with"] <= gpu_mem:
        tips.append("activation_checkpointing: [vision, language] "
                    f"(activations {gib(acts['with'])} instead of {gib(p.per_gpu['activations'])})")
    for zero in range(ds.zero_stage + 1, 4):
        gpu, _ = state_bytes(params, largest, zero, n, o.precision, ds.offload_optimizer,
                             ds.offload_params, live_parameters(ds))
        if sum(gpu.values()) + p.per_gpu["activations"] <= gpu_mem:
            tips.append(f"deepspeed.zero_stage: {zero} (states {gib(sum(gpu.values()))})")
            break
    if not ds.offload_optimizer and ds.zero_stage >= 1:
        tips.append(f"deepspeed.offload_optimizer: true (moves {gib(p.per_gpu['optimizer'])} "
                    f"to host memory)")
    per_sample = p.per_gpu["activations"] / max(1, o.batch_size)
    room = gpu_mem - states
    if o.batch_size > 1 and room > per_sample:
        fit = int(room // per_sample)
        tips.append(f"optim.batch_size: {fit} with grad_accum {o.grad_accum * o.batch_size // fit}"
                    f" keeps the global batch")
    tips.append(f"fewer tokens per sample ({p.tokens['total']}: {p.tokens['vision']} vision in "
                f"{p.tokens['keyframes']} keyframes): frames.max_keyframes or "
                f"vision.tokens_per_frame")
    return tips


def gib(b: float) -> str:
    return f"{b / GiB:.1f} GiB" if b >= GiB / 10 else f"{b / 1024**2:.1f} MiB"


def as_rows(plans: list[StagePlan]) -> list[dict]:
    """Flat rows (one per stage) for tables, JSON and MLflow."""
    rows = []
    for p in plans:
        row = {"stage": p.stage}
        for g, c in p.params.items():
            row[f"params.{g}"] = c["total"]
            row[f"trainable.{g}"] = c["trainable"]
        row.update({f"tokens.{k}": v for k, v in p.tokens.items()})
        row.update({f"gpu_gib.{k}": round(v / GiB, 2) for k, v in p.per_gpu.items()})
        row.update({f"host_gib.{k}": round(v / GiB, 2) for k, v in p.host.items() if v})
        row["activations_gib.checkpointed"] = round(p.activations["with"] / GiB, 2)
        row["activations_gib.not_checkpointed"] = round(p.activations["without"] / GiB, 2)
        row["gpu_gib.total"] = round(p.total / GiB, 2)
        row["fits"] = p.fits
        rows.append(row)
    return rows


"""`rate` and `chat` for one video: sample it once, encode keyframes and motion once, then one
forward pass per rated dimension (level logits) or one `generate` call (chat)."""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F

from vqa.model.frames import model_inputs, sample_frames
from vqa.model.prompting import build_layout, rating_turns
from vqa.model.scoring import score_levels
from vqa.video import Sampled


@contextmanager
def _timed(timings: dict | None, key: str):
    sync = timings is not None and torch.cuda.is_available()  # GPU work is asynchronous
    t0 = time.perf_counter()
    yield
    if sync:
        torch.cuda.synchronize()
    if timings is not None:
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0


def sample_video(model, video) -> dict[str, Sampled]:
    """A path → keyframes + motion frames (+ quality features) as the config asks; a dict of
    `Sampled` passes through (completed first if it holds native-size keyframes or lacks the
    quality features: training on pre-decoded frames and rating a file see the same input)."""
    if isinstance(video, dict):
        return model_inputs(model.cfg, video)
    return sample_frames(model.cfg, video)


def encode_video(model, video, timings: dict | None = None, grad: bool = False) -> dict:
    """Sample (unless given frames) and encode keyframes and motion; no autograd unless `grad`."""
    with torch.set_grad_enabled(grad):
        return encode_batch(model, [video], timings)[0]


def encode_batch(model, videos: list, timings: dict | None = None) -> list[dict]:
    """`encode_video` for many clips: keyframes of one size pass the vision tower together (it
    reads each frame alone) and motion clips of one shape pass SlowFast as one batch (it reads
    each clip alone), so every clip gets its own tokens (up to float round-off) from fewer,
    larger passes."""
    with _timed(timings, "decode"):
        ss = [sample_video(model, v) for v in videos]
    vision: list = [None] * len(ss)
    with _timed(timings, "vision"):
        for group in _same_shape(ss, "keyframes", frames_only=True):
            quality = _joined(ss, group, "quality") if "quality" in ss[group[0]] else None
            seconds = np.concatenate([keyframe_seconds(ss[i]["keyframes"]) for i in group])
            sizes = [len(ss[i]["keyframes"].frames) for i in group]
            tokens = model.encode_keyframes(_joined(ss, group, "keyframes"), quality, seconds,
                                            sizes)
            for i, t in zip(group, tokens.split(sizes)):
                vision[i] = t
    motion: list = [None] * len(ss)
    if model.motion is not None:
        with _timed(timings, "motion"):
            for group in _same_shape(ss, "motion"):
                clips = [ss[i]["motion"].frames for i in group]
                out = model.encode_motion(np.stack(clips) if len(clips) > 1 else clips[0][None])
                for i, m in zip(group, out):
                    motion[i] = m
    return [{"vision": v, "motion": m, "duration": round(s["keyframes"].info.duration, 2),
             "n_motion_frames": None if m is None else len(s["motion"].frames)}
            for s, v, m in zip(ss, vision, motion)]


def keyframe_seconds(k: Sampled) -> np.ndarray:
    """(K,) the whole second each keyframe shows, from the clip's start (0 = "the 1st second"),
    counted as the distortion engine counts the seconds its questions name."""
    from vqa.distort.spec import whole_seconds

    return np.array([whole_seconds(int(i), k.info.fps) for i in k.indices], dtype=np.int64)


def _same_shape(ss: list[dict], part: str, frames_only: bool = False) -> list[list[int]]:
    """Indices of clips whose `part` has one shape (`frames_only`: one frame size, any count)."""
    groups: dict = {}
    for i, s in enumerate(ss):
        shape = tuple(s[part].frames.shape)
        groups.setdefault(shape[1:] if frames_only else shape, []).append(i)
    return list(groups.values())


def _joined(ss: list[dict], group: list[int], part: str):
    arrays = [ss[i][part].frames for i in group]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def layout_for(model, enc: dict, messages: list[dict], prefix: str | None):
    v = enc["vision"]
    return build_layout(model.tokenizer, model.cfg.prompt, messages, duration=enc["duration"],
                        n_keyframes=v.shape[0], tokens_per_frame=v.shape[1],
                        n_motion=None if enc["motion"] is None else enc["motion"].shape[0],
                        motion_frames=enc["n_motion_frames"], generation_prefix=prefix)


def rate(model, video, timings: dict | None = None) -> dict:
    """→ {"score", "level", "probs": {word: p}, "dimensions": {dim: score}} for one video."""
    return rate_batch(model, [video], timings)[0]


@torch.no_grad()
def rate_batch(model, videos: list, timings: dict | None = None) -> list[dict]:
    """`rate` for many videos with ONE language-model forward pass: every (video, rated dimension)
    sequence right-padded into one batch (what a server batching many clients needs). Causal
    attention never lets a real position see the padding after it, so each video's numbers are
    `rate`'s alone, whatever else is in the batch (up to float round-off)."""
    model.eval()
    encs = encode_batch(model, videos, timings)
    head = model.score_head
    seqs = []  # (video index, dimension, level words, embedded sequence, head position)
    for i, enc in enumerate(encs):
        for dim, words in model.level_words().items():
            messages, prefix = rating_turns(model.cfg.prompt, dim)
            layout = layout_for(model, enc, messages, prefix)
            # the head reads where training reads it: the token before the answer (the open
            # assistant turn, without the answer prefix)
            at = len(layout_for(model, enc, messages, "").input_ids) - 1 \
                if dim == "overall" and head is not None else None
            seqs.append((i, dim, words, model.embed(layout, enc["vision"], enc["motion"]), at))
    outs: list[dict] = [{"dimensions": {}} for _ in videos]
    if not seqs:
        return outs
    with _timed(timings, "llm"):
        n = max(s[3].shape[0] for s in seqs)
        x = torch.stack([F.pad(s[3], (0, 0, 0, n - s[3].shape[0])) for s in seqs])
        mask = torch.stack([torch.arange(n, device=x.device) < s[3].shape[0] for s in seqs])
        res = model.llm(inputs_embeds=x, attention_mask=mask.long(),
                        output_hidden_states=head is not None)
        for k, (i, dim, words, emb, at) in enumerate(seqs):
            probs, score = score_levels(res.logits[k, emb.shape[0] - 1], model.level_ids[dim],
                                        model.cfg.scoring.weights)
            out = outs[i]
            if dim != "overall":
                out["dimensions"][dim] = float(score)
                continue
            out.update(score=float(score), level=words[int(probs.argmax())],
                       probs={w: float(p) for w, p in zip(words, probs)})
            if at is not None:
                h = res.hidden_states[-1][k, at]
                pred = head(h.to(next(head.parameters()).dtype)) * model.cfg.head.scale
                out["dimensions"].update(zip(model.cfg.head.dimensions, pred.tolist()))
    return outs


@torch.no_grad()
def chat(model, video, messages: list[dict], max_new_tokens: int = 128, do_sample: bool = False,
         temperature: float = 1.0, top_p: float = 1.0, timings: dict | None = None,
         streamer=None, usage: dict | None = None, **extra) -> str:
    """Answer the last user message about the video; greedy unless `do_sample`. A transformers
    `streamer` (e.g. TextIteratorStreamer) receives the tokens as they come; `usage` gets the
    prompt and completion token counts; `extra` goes to `generate` (stop strings, logits
    processors, stopping criteria: the chatter's OpenAI parameters)."""
    model.eval()
    enc = encode_video(model, video, timings)
    emb = model.embed(layout_for(model, enc, messages, ""), enc["vision"], enc["motion"])
    tok = model.tokenizer
    kw = dict(do_sample=do_sample, temperature=temperature, top_p=top_p) if do_sample else \
        dict(do_sample=False)
    with _timed(timings, "llm"):
        ids = model.llm.generate(inputs_embeds=emb[None],
                                 attention_mask=torch.ones(1, emb.shape[0], dtype=torch.long,
                                                           device=emb.device),
                                 max_new_tokens=max_new_tokens, eos_token_id=tok.eos_token_id,
                                 pad_token_id=tok.pad_token_id, streamer=streamer, **kw,
                                 **extra)
    if usage is not None:
        usage.update(prompt_tokens=int(emb.shape[0]), completion_tokens=int(ids.shape[1]))
    return tok.decode(ids[0], skip_special_tokens=True).strip()

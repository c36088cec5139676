"""The interleaved sequence: system prompt (OmniVQA A.1 with the video's length and frame count),
chat turns in ChatML, and the video — one block of vision tokens per keyframe in temporal order,
then the motion tokens — at the `<video>` mark of the first user turn (LLaVA convention; the start
of that turn when there is no mark). Labels are -100 everywhere but the assistant's answers."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from vqa.model.config import PromptConfig

TEXT, VISION, MOTION = 0, 1, 2
IGNORE = -100
VIDEO_MARK = "<video>"


@dataclass
class Layout:
    input_ids: list[int] = field(default_factory=list)  # 0 at vision / motion slots
    kinds: list[int] = field(default_factory=list)  # TEXT | VISION | MOTION per position
    labels: list[int] = field(default_factory=list)

    def add(self, ids: list[int], kind: int = TEXT, train: bool = False) -> None:
        self.input_ids += ids
        self.kinds += [kind] * len(ids)
        self.labels += list(ids) if train else [IGNORE] * len(ids)

    def slots(self, n: int, kind: int) -> None:
        self.add([0] * n, kind)

    def tensors(self) -> dict[str, torch.Tensor]:
        return {k: torch.tensor(getattr(self, k)) for k in ("input_ids", "kinds", "labels")}


def system_text(p: PromptConfig, duration: float, num_frames: int | None) -> str:
    text = p.system.format(duration=f"{duration:g}")
    if num_frames is not None:
        text += p.system_motion.format(num_frames=num_frames)
    return text


def rating_turns(p: PromptConfig, dimension: str = "overall") -> tuple[list[dict], str]:
    """The A.2 rating prompt for one dimension: the question and the answer prefix."""
    d = "" if dimension == "overall" else f"{dimension} "
    return [{"role": "user", "content": p.question.format(dimension=d)}], \
        p.answer_prefix.format(dimension=d)


def build_layout(tokenizer, p: PromptConfig, messages: list[dict], *, duration: float,
                 n_keyframes: int, tokens_per_frame: int, n_motion: int | None,
                 motion_frames: int | None = None,
                 generation_prefix: str | None = None) -> Layout:
    """`messages`: [{"role": "user"|"assistant", "content": str}, …]. `n_motion` motion tokens
    stand for `motion_frames` frames (the system prompt's count; default `n_motion`, the
    per-frame read-out). With `generation_prefix` (possibly ""), an open assistant turn that
    starts with it is appended, for rating or chat."""
    enc = lambda s: tokenizer(s, add_special_tokens=False)["input_ids"] if s else []  # noqa: E731
    out = Layout()
    sys = system_text(p, duration, (motion_frames or n_motion) if n_motion else None)
    out.add(enc(f"{p.turn_start}system\n{sys}{p.turn_end}\n"))
    video_done = False
    for m in messages:
        role, content = m["role"], m["content"]
        if role == "assistant":
            out.add(enc(f"{p.turn_start}assistant\n"))
            out.add(enc(f"{content}{p.turn_end}"), train=True)
            out.add(enc("\n"))
            continue
        if role != "user":
            raise ValueError(f"message role must be user or assistant, got {role!r}")
        out.add(enc(f"{p.turn_start}user\n"))
        if not video_done:
            before, _, after = content.partition(VIDEO_MARK) if VIDEO_MARK in content \
                else ("", "", content)
            out.add(enc(before))
            for _ in range(n_keyframes):
                out.slots(tokens_per_frame, VISION)
            if n_motion:
                out.slots(n_motion, MOTION)
            content, video_done = after.lstrip("\n"), True
        out.add(enc(f"{content}{p.turn_end}\n"))
    if generation_prefix is not None:
        out.add(enc(f"{p.turn_start}assistant\n{generation_prefix}"))
    return out

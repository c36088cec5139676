"""The OpenAI chat-completions protocol, as far as a video LMM needs it: a request body → the
model's messages plus where the video comes from (one `video_url` part, or a sequence of
`image_url` frames as GPT-4o-style clients send them), and the response / SSE chunk bodies.
Everything a client can get wrong is a `ClientError` naming the field; a parameter the server
cannot honour is refused (400, naming it), never silently ignored."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from vqa.serving.config import Limits
from vqa.serving.errors import ClientError
from vqa.serving.media import data_url_bytes

DEFAULT_MAX_TOKENS = 128  # when the request names none (bounded: a CPU replica is slow)
MAX_STOP = 4  # OpenAI's limit on `stop` strings
# Parameters an OpenAI client may send that this server cannot honour: refused when set to
# anything but their neutral value, so a client never gets an answer it did not ask for.
UNSUPPORTED = {"logprobs": (None, False), "top_logprobs": (None, 0), "logit_bias": (None, {}),
               "tools": (None, []), "tool_choice": (None, "none", "auto"),
               "response_format": (None, {"type": "text"}), "audio": (None,),
               "modalities": (None, ["text"]), "prediction": (None,)}


@dataclass
class ChatRequest:
    model: str
    messages: list[dict]  # [{"role": "user" | "assistant", "content": str}]
    video_url: str | None = None
    images: list[np.ndarray] = field(default_factory=list)  # RGB uint8 frames, in order
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 0.0  # 0 / absent: greedy
    top_p: float = 1.0
    stream: bool = False
    stop: list[str] = field(default_factory=list)
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int | None = None


def _image(url: str, limits: Limits, where: str) -> np.ndarray:
    import cv2

    if not isinstance(url, str) or not url.startswith("data:"):
        raise ClientError(400, f"{where}: image_url must be a data: URL (base64 JPEG / PNG)")
    _mime, raw = data_url_bytes(url, limits, where)
    img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ClientError(422, f"{where}: not a decodable image")
    if max(img.shape[:2]) > limits.max_side:
        raise ClientError(422, f"{where}: {img.shape[1]}x{img.shape[0]} is over the "
                               f"{limits.max_side} px limit")
    return img[:, :, ::-1].copy()


def _text_of(content, where: str, req: ChatRequest, limits: Limits) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise ClientError(422, f"{where}.content must be a string or a list of parts")
    texts = []
    for j, part in enumerate(content):
        w = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind in ("video_url", "image_url"):
            url = (part.get(kind) or {}).get("url") if isinstance(part.get(kind), dict) else None
            if not isinstance(url, str):
                raise ClientError(422, f"{w}: missing field '{kind}.url'")
            if kind == "video_url":
                if req.video_url is not None:
                    raise ClientError(400, f"{w}: one video per request")
                req.video_url = url
            else:
                if len(req.images) >= limits.max_images:
                    raise ClientError(413, f"{w}: more than {limits.max_images} image frames")
                req.images.append(_image(url, limits, w))
        else:
            raise ClientError(422, f"{w}: unsupported content part type {kind!r} (text, "
                                   f"video_url, image_url)")
    return "\n".join(texts)


def parse_chat(body: dict, limits: Limits, context: int | None = None) -> ChatRequest:
    """The request body (a JSON object) → ChatRequest; client system turns are folded into the
    next user turn (the model keeps its own system prompt). `max_tokens` may go up to
    `limits.max_tokens`, else up to the model's `context` length (vLLM's rule)."""
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise ClientError(422, "missing field 'messages' (a non-empty list)")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ClientError(422, "missing field 'model'")
    if body.get("n", 1) != 1:
        raise ClientError(400, "only n=1 is supported")
    for key, neutral in UNSUPPORTED.items():
        if key in body and body[key] not in neutral:
            raise ClientError(400, f"'{key}' is not supported by this server")
    req = ChatRequest(model=body["model"], messages=[], stream=bool(body.get("stream", False)))
    pending_system: list[str] = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user",
                                                               "assistant"):
            raise ClientError(422, f"messages[{i}].role must be system, user or assistant")
        text = _text_of(m.get("content", ""), f"messages[{i}]", req, limits)
        if m["role"] in ("system", "developer"):
            pending_system.append(text)
            continue
        if m["role"] == "user" and pending_system:
            text, pending_system = "\n".join([*pending_system, text]), []
        req.messages.append({"role": m["role"], "content": text})
    if not req.messages or req.messages[-1]["role"] != "user":
        raise ClientError(422, "the last message must be the user's")
    if req.video_url is None and not req.images:
        raise ClientError(422, "no video: add a video_url content part or image_url frames")
    if req.video_url is not None and req.images:
        raise ClientError(400, "give a video_url or image_url frames, not both")
    req.max_tokens = _number(body, ("max_completion_tokens", "max_tokens"), int,
                             DEFAULT_MAX_TOKENS, 1, limits.max_tokens or context or 4096)
    req.temperature = _number(body, ("temperature",), float, 0.0, 0.0, 2.0)
    req.top_p = _number(body, ("top_p",), float, 1.0, 1e-6, 1.0)
    req.frequency_penalty = _number(body, ("frequency_penalty",), float, 0.0, -2.0, 2.0)
    req.presence_penalty = _number(body, ("presence_penalty",), float, 0.0, -2.0, 2.0)
    if body.get("seed") is not None:
        req.seed = _number(body, ("seed",), int, 0, -2**63, 2**63 - 1)
    req.stop = _stop(body.get("stop"))
    return req


def _stop(value) -> list[str]:
    """OpenAI's `stop`: null, a string or a list of up to 4 non-empty strings."""
    stops = [value] if isinstance(value, str) else value
    if stops is None:
        return []
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise ClientError(422, f"'stop' must be a string or a list of non-empty strings, "
                               f"got {value!r}")
    if len(stops) > MAX_STOP:
        raise ClientError(400, f"'stop' takes at most {MAX_STOP} strings, got {len(stops)}")
    return stops


def _number(body: dict, keys: tuple[str, ...], tp, default, lo, hi):
    for key in keys:
        v = body.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (tp is int and v != int(v)):
            raise ClientError(422, f"'{key}' must be a number, got {v!r}")
        if not lo <= v <= hi:
            raise ClientError(400, f"'{key}' must be in [{lo:g}, {hi:g}], got {v}")
        return tp(v)
    return min(default, hi)


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion(cid: str, model: str, text: str, usage: dict, finish: str) -> dict:
    return {"id": cid, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": {**usage, "total_tokens": sum(usage.values())}}


def finish_reason(req: ChatRequest, usage: dict, stopped: bool) -> str:
    """"length" when the answer ran to max_tokens (no stop string cut it), else "stop"."""
    ran_out = usage.get("completion_tokens", 0) >= req.max_tokens
    return "length" if ran_out and not stopped else "stop"


def chunk(cid: str, model: str, delta: dict, finish: str | None = None) -> dict:
    return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def model_list(ids: list[str]) -> dict:
    return {"object": "list", "data": [{"id": i, "object": "model", "created": 0,
                                        "owned_by": "vqa"} for i in ids]}

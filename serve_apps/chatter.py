"""The chatter: OpenAI-compatible `POST /v1/chat/completions` (non-streaming and SSE streaming)
and `GET /v1/models`. A video is one `video_url` part (file:// under the media roots, data:, or
allow-listed http(s)) or a sequence of `image_url` data: frames read as a 1 fps video. Greedy
unless `temperature` > 0; `stop`, `frequency_penalty`, `presence_penalty` and `seed` honoured;
a generated loop ends the answer (`repeat_stop`). The request's `model` picks the base model
(any served name) or a LoRA adapter over it, loaded on demand through `@serve.multiplexed`;
unknown ids → 404."""

import asyncio
import json
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from ray import serve
from ray.serve.config import BackpressureConfig

from vqa.serving import media
from vqa.serving.config import app_args, model_folder
from vqa.serving.errors import ClientError
from vqa.serving.http import check_token, install_error_handlers, json_object, load_token, \
    read_body
from vqa.serving.generation import StopFilter, cut_at_stop, generate_kwargs
from vqa.serving.openai_chat import chunk, completion, completion_id, finish_reason, \
    model_list, parse_chat

api = FastAPI(title="vqa chatter", docs_url=None, redoc_url=None)
install_error_handlers(api)


class _Adapter:
    """One loaded LoRA adapter; Serve's multiplex LRU calls `__del__` when it evicts it."""

    def __init__(self, llm, name: str):
        self.llm, self.name, self.loaded = llm, name, True

    def __del__(self):
        if self.loaded:
            self.loaded = False
            self.llm.delete_adapter(self.name)


@serve.deployment(ray_actor_options={"num_cpus": 0.5}, max_ongoing_requests=8,
                  max_queued_requests=16,
                  backpressure_config=BackpressureConfig(status_code=503, retry_after_s=2))
@serve.ingress(api)
class Chatter:
    def __init__(self, args: dict):
        import torch

        from vqa.model.vqa_model import VQAModel

        self.args = a = app_args(args)
        folder = model_folder(a.model)
        device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = VQAModel.from_pretrained(folder, device=device)
        self.names = list(a.served_model_names) or [Path(folder).name]
        self.context = getattr(self.model.llm.config, "max_position_embeddings", None)
        self.token = load_token(a.auth_token_env, a.auth_token_file)
        self.lock = asyncio.Lock()  # one generation at a time: adapters switch on one model
        self.own = "default" if hasattr(self.model.llm, "peft_config") else None

    @serve.multiplexed(max_num_models_per_replica=4)
    async def adapter(self, model_id: str) -> _Adapter:
        from peft import PeftModel

        path = self.args.adapters[model_id]
        async with self.lock:
            llm = self.model.llm
            if hasattr(llm, "peft_config"):
                await asyncio.to_thread(llm.load_adapter, path, adapter_name=model_id)
            else:
                self.model.llm = await asyncio.to_thread(PeftModel.from_pretrained, llm, path,
                                                         adapter_name=model_id)
            self.model.llm.eval()
        return _Adapter(self.model.llm, model_id)

    async def _select(self, model_id: str):
        if model_id in self.names:
            return None
        if model_id in self.args.adapters:
            return await self.adapter(model_id)
        raise ClientError(404, f"The model `{model_id}` does not exist (served: "
                               f"{self.names + sorted(self.args.adapters)})")

    def _generate(self, adapter, req, video, streamer=None, usage=None) -> str:
        """Runs in a worker thread while `self.lock` is held (so `seed` seeds this request)."""
        import contextlib

        import torch

        llm = self.model.llm
        if adapter is not None:
            llm.set_adapter(adapter.name)
            ctx = contextlib.nullcontext()
        elif hasattr(llm, "peft_config") and self.own is None:
            ctx = llm.disable_adapter()  # the base model: no adapter
        else:
            if self.own:
                llm.set_adapter(self.own)
            ctx = contextlib.nullcontext()
        sample = req.temperature > 0
        if req.seed is not None:
            torch.manual_seed(req.seed)
        extra = generate_kwargs(self.model.tokenizer, req.stop, req.frequency_penalty,
                                req.presence_penalty, self.args.repeat_stop)
        with ctx:
            return self.model.chat(video, req.messages, max_new_tokens=req.max_tokens,
                                   do_sample=sample, temperature=req.temperature or 1.0,
                                   top_p=req.top_p, streamer=streamer, usage=usage, **extra)

    @api.get("/models")
    async def models(self, request: Request) -> dict:
        check_token(request, self.token)
        return model_list(self.names + sorted(self.args.adapters))

    @api.post("/chat/completions")
    async def completions(self, request: Request):
        check_token(request, self.token)
        limits = self.args.limits
        body = json_object(await read_body(request, limits.max_upload_bytes * 4 // 3 + 2**20))
        req = parse_chat(body, limits, self.context)
        adapter = await self._select(req.model)
        video = await asyncio.to_thread(self._video, req)
        cid = completion_id()
        if req.stream:
            return StreamingResponse(self._stream(cid, adapter, req, video),
                                     media_type="text/event-stream")
        usage: dict = {}
        try:
            text = await asyncio.wait_for(self._locked(adapter, req, video, usage),
                                          limits.request_timeout_s)
        except asyncio.TimeoutError:
            raise ClientError(504, f"generation took longer than the "
                                   f"{limits.request_timeout_s:g} s limit") from None
        text, stopped = cut_at_stop(text, req.stop)
        return completion(cid, req.model, text, usage, finish_reason(req, usage, stopped))

    def _video(self, req):
        from vqa.model.frames import sample_images

        if req.images:
            return sample_images(self.model.cfg, req.images)
        return media.clip_from_url(self.model.cfg, req.video_url, self.args.media,
                                   self.args.limits)

    async def _locked(self, adapter, req, video, usage):
        async with self.lock:
            return await asyncio.to_thread(self._generate, adapter, req, video, None, usage)

    async def _stream(self, cid, adapter, req, video):
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.model.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True,
                                        timeout=self.args.limits.request_timeout_s)
        usage: dict = {}
        stops = StopFilter(req.stop)
        sse = lambda d: f"data: {json.dumps(d)}\n\n"  # noqa: E731
        yield sse(chunk(cid, req.model, {"role": "assistant", "content": ""}))
        async with self.lock:
            worker = threading.Thread(target=self._generate,
                                      args=(adapter, req, video, streamer, usage), daemon=True)
            worker.start()
            pieces = iter(streamer)
            while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
                if piece := stops.feed(piece):
                    yield sse(chunk(cid, req.model, {"content": piece}))
            await asyncio.to_thread(worker.join)
        if rest := stops.flush():
            yield sse(chunk(cid, req.model, {"content": rest}))
        yield sse(chunk(cid, req.model, {}, finish_reason(req, usage, stops.done)))
        yield "data: [DONE]\n\n"


def build(args: dict):
    """Serve app builder (`import_path: serve_apps.chatter:build`)."""
    app_args(args)
    return Chatter.bind(args)

"""The rater: `POST /rate` (a multipart or raw-body upload, or `{"uri": "file://…"}` under the
media roots) and `POST /rate/batch` (`{"uris": [...]}`) → `vqa score --json`'s row: overall score (1–5 and
0–100), its level and, apart, the likeliest level, level probabilities, dimension scores
(within their scales), plus timings.

    RaterAPI (FastAPI ingress) ──▶ Decoder (CPU: probe, limits, frame sampling)
                               ──▶ Rater (the model; @serve.batch → one forward pass)

The decoder's answer goes to the model as a DeploymentResponse: the frames travel decoder →
model without passing through the ingress."""

import asyncio
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from ray import serve
from ray.serve.config import BackpressureConfig

from vqa.serving import media
from vqa.serving.config import app_args, model_folder
from vqa.serving.errors import ClientError
from vqa.serving.http import check_token, install_error_handlers, json_object, load_token, \
    read_body

api = FastAPI(title="vqa rater", docs_url=None, redoc_url=None)
install_error_handlers(api)
PAGE = Path(__file__).with_name("index.html")
JSON_LIMIT = 1024 * 1024


@serve.deployment(ray_actor_options={"num_cpus": 0.25})
class Decoder:
    """CPU work: bytes or a path → the frames the model config samples (or a client error)."""

    def __init__(self, args: dict):
        from vqa.model.checkpoint import load_config

        self.args = app_args(args)
        self.cfg = load_config(model_folder(self.args.model))  # the config: no weights here

    async def decode(self, source: dict) -> dict:
        """Off the event loop: a replica decodes up to `max_ongoing_requests` clips at once
        (PyAV releases the GIL while it decodes)."""
        return await asyncio.to_thread(self._decode, source)

    def _decode(self, source: dict) -> dict:
        t0, name = time.perf_counter(), source.get("name", "upload")
        a = self.args
        try:
            if "url" in source:
                frames = media.clip_from_url(self.cfg, source["url"], a.media, a.limits)
            elif "data" in source:
                frames = media.clip_from_bytes(self.cfg, source["data"], a.limits, name)
            else:
                frames = media.load_clip(self.cfg, source["path"], a.limits, name)
            return {"frames": frames, "decode_s": time.perf_counter() - t0}
        except ClientError as exc:
            return {"error": (exc.status, exc.message)}


@serve.deployment(ray_actor_options={"num_cpus": 0.5})
class Rater:
    """The model, once per replica; `@serve.batch` gathers concurrent requests into one
    `rate_batch` call (one language-model forward pass). `rate_now` skips the batch wait for a
    request that had no company when the ingress sent it (nothing could join its batch)."""

    def __init__(self, args: dict):
        import torch

        from vqa.model.vqa_model import VQAModel

        a = app_args(args)
        device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = VQAModel.from_pretrained(model_folder(a.model), device=device)
        self.rate.set_max_batch_size(a.batch.max_batch_size)
        self.rate.set_batch_wait_timeout_s(a.batch.batch_wait_timeout_s)
        self.forward = asyncio.Lock()  # one forward pass at a time: batched or not

    def describe(self) -> dict:
        from vqa.config import to_dict

        cfg = self.model.cfg
        return {"model": cfg.name, "note": cfg.note, "config": to_dict(cfg)}

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.01)
    async def rate(self, items: list[dict]) -> list[dict]:
        return await self._rate(items)

    async def rate_now(self, item: dict) -> dict:
        return (await self._rate([item]))[0]

    async def _rate(self, items: list[dict]) -> list[dict]:
        from vqa.model.rating import describe  # the readings `vqa score` shows (0-100, levels)

        ok = [i for i, it in enumerate(items) if "frames" in it]
        async with self.forward:
            t0, timings = time.perf_counter(), {}
            outs = await asyncio.to_thread(self.model.rate_batch, [items[i]["frames"] for i in ok],
                                           timings) if ok else []
            model_s = time.perf_counter() - t0
        results: list[dict] = [{"error": it["error"]} if "error" in it else {} for it in items]
        for i, out in zip(ok, outs):
            t = {k: round(v, 4) for k, v in timings.items() if k != "decode"}
            results[i] = {**describe(self.model.cfg, out),
                          "timings": {"decode_s": round(items[i]["decode_s"], 4),
                                      "model_s": round(model_s, 4), **t},
                          "batch_size": len(ok)}
        return results


@serve.deployment(ray_actor_options={"num_cpus": 0.1}, max_ongoing_requests=16,
                  max_queued_requests=32,
                  backpressure_config=BackpressureConfig(status_code=503, retry_after_s=1))
@serve.ingress(api)
class RaterAPI:
    def __init__(self, decoder, rater, args: dict):
        self.decoder, self.rater = decoder, rater
        self.in_flight = 0  # requests between `_rate`'s start and end on this replica
        self.args = app_args(args)
        self.token = load_token(self.args.auth_token_env, self.args.auth_token_file)

    def _source(self, uri: str) -> dict:
        scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
        if scheme in ("http", "https") and self.args.media.allow_http:
            return {"url": uri, "name": Path(uri.split("?")[0]).name or "download"}
        path = media.resolve_uri(uri, self.args.media)
        return {"path": str(path), "name": path.name}

    async def _rate(self, source: dict) -> dict:
        t0 = time.perf_counter()
        limit = self.args.limits.request_timeout_s
        rate = self.rater.rate_now if self.in_flight == 0 else self.rater.rate
        self.in_flight += 1
        try:
            out = await asyncio.wait_for(rate.remote(self.decoder.decode.remote(source)), limit)
        except asyncio.TimeoutError:
            raise ClientError(504, f"rating took longer than the {limit:g} s limit") from None
        finally:
            self.in_flight -= 1
        if "error" in out:
            raise ClientError(*out["error"])
        out["timings"]["total_s"] = round(time.perf_counter() - t0, 4)
        return {"video": source["name"], **out}

    @api.post("/rate")
    async def rate(self, request: Request) -> dict:
        check_token(request, self.token)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.args.limits.max_upload_bytes
        if ctype == "application/json":
            data = json_object(await read_body(request, JSON_LIMIT))
            if not isinstance(data.get("uri"), str):
                raise ClientError(422, "missing field 'uri' (a file:// URI), or upload the "
                                       "video as multipart field 'file'")
            return await self._rate(self._source(data["uri"]))
        if ctype == "multipart/form-data":
            length = request.headers.get("content-length")
            if length is None:
                raise ClientError(411, "multipart uploads need a Content-Length")
            if not length.isdigit() or int(length) > limit + 64 * 1024:
                raise ClientError(413, f"upload over the {self.args.limits.max_upload_mb:g} "
                                       f"MB limit")
            form = await request.form(max_files=1, max_fields=8)
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ClientError(422, "missing multipart file field 'file'")
            data = await upload.read()
            return await self._rate({"data": data, "name": upload.filename or "upload"})
        if ctype.startswith("video/") or ctype == "application/octet-stream":
            data = await read_body(request, limit)
            return await self._rate({"data": data, "name": request.query_params.get(
                "name", "upload")})
        raise ClientError(415, f"unsupported Content-Type '{ctype or '(none)'}': send "
                               f"multipart/form-data (field 'file'), video/*, or JSON "
                               f"{{\"uri\": \"file://…\"}}")

    @api.post("/rate/batch")
    async def rate_batch(self, request: Request) -> dict:
        check_token(request, self.token)
        data = json_object(await read_body(request, JSON_LIMIT))
        uris = data.get("uris")
        if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
            raise ClientError(422, "missing field 'uris' (a non-empty list of file:// URIs)")
        if len(uris) > self.args.limits.max_batch:
            raise ClientError(413, f"{len(uris)} URIs; at most {self.args.limits.max_batch}")

        async def one(uri: str) -> dict:
            try:
                return {"uri": uri, **await self._rate(self._source(uri))}
            except ClientError as exc:
                return {"uri": uri, **exc.body()}

        return {"results": await asyncio.gather(*(one(u) for u in uris))}

    @api.get("/info")
    async def info(self) -> dict:
        return {**await self.rater.describe.remote(), "limits": vars(self.args.limits)}

    @api.get("/", response_class=HTMLResponse)
    async def page(self) -> str:
        return PAGE.read_text() if PAGE.exists() else "<p>vqa rater: POST /rate</p>"


def build(args: dict):
    """Serve app builder (`import_path: serve_apps.rater:build`, `args:` in the YAML)."""
    app_args(args)  # validate in the build task: a bad config fails the deploy, not a replica
    return RaterAPI.bind(Decoder.bind(args), Rater.bind(args), args)

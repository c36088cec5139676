"""FastAPI pieces both Serve apps share: JSON error bodies for every client mistake (bad JSON,
missing fields, our `ClientError`), bounded body reading, and the optional bearer token."""

from __future__ import annotations

import hmac
import json
import logging
import os
from pathlib import Path

from vqa.serving.errors import ClientError, error_body

log = logging.getLogger("vqa.serving")


def install_error_handlers(app) -> None:
    """ClientError → its status; FastAPI validation (missing / mistyped fields) → 422; an HTTP
    error → its status; anything else → 500 with the type only (the traceback goes to the log)."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    @app.exception_handler(ClientError)
    async def _client(_request, exc: ClientError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request, exc: RequestValidationError):
        errs = exc.errors()
        what = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                         for e in errs[:5])
        return JSONResponse(error_body(422, what or "invalid request"), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_request, exc: HTTPException):
        return JSONResponse(error_body(exc.status_code, str(exc.detail)),
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _bug(_request, exc: Exception):
        log.exception("internal error")
        return JSONResponse(error_body(500, f"internal error ({type(exc).__name__})"),
                            status_code=500)


async def read_body(request, limit: int) -> bytes:
    """The request body, refused past `limit` bytes (by Content-Length before reading, and by
    counting while reading a chunked body)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ClientError(400, "bad Content-Length header")
        if int(declared) > limit:
            raise ClientError(413, f"request body of {int(declared)} bytes is over the "
                                   f"{limit} byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ClientError(413, f"request body is over the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def json_object(body: bytes) -> dict:
    try:
        data = json.loads(body or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ClientError(400, f"request body is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ClientError(400, "request body must be a JSON object")
    return data


def load_token(env: str | None, file: str | None) -> str | None:
    """The bearer token the server asks for, if any (read once; never logged)."""
    if file:
        token = Path(file).read_text().strip()
        if not token:
            raise ValueError(f"auth_token_file {file} is empty")
        return token
    return os.environ.get(env) or None if env else None


def check_token(request, token: str | None) -> None:
    if token is None:
        return
    got = request.headers.get("authorization", "")
    scheme, _, value = got.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(),
                                                             token.encode()):
        raise ClientError(401, "missing or wrong bearer token (Authorization: Bearer …)")

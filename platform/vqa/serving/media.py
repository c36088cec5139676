"""Videos from requests, safely: URIs resolved under the configured media roots (no `..`, no
symlink out), http(s) only when allowed and only from listed hosts, byte caps on everything read,
and header limits (duration, resolution, frames) checked before a frame is decoded."""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vqa.errors import VideoError
from vqa.serving.config import Limits, MediaConfig
from vqa.serving.errors import ClientError

_CHECKS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="vqa-packet-check")


def resolve_uri(uri: str, media: MediaConfig) -> Path:
    """A `file://` URI → the real path of a file under a media root; anything else refused.
    (http(s) URIs go through `fetch_http`; this names what it refuses.)"""
    if not isinstance(uri, str) or not uri:
        raise ClientError(422, "'uri' must be a non-empty string")
    parts = urllib.parse.urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        raise ClientError(403, "http(s) URIs are off on this server (media.allow_http)") \
            if not media.allow_http else ClientError(400, "internal: fetch http(s) URIs first")
    if scheme != "file":
        raise ClientError(400, f"unsupported URI scheme '{scheme or '(none)'}': give a file:// "
                               f"URI under the server's media roots, or upload the video")
    if parts.netloc not in ("", "localhost"):
        raise ClientError(400, f"file:// URI with a host ({parts.netloc!r}) is not supported")
    raw = urllib.parse.unquote(parts.path)
    if ".." in Path(raw).parts or "\x00" in raw:
        raise ClientError(403, f"{uri}: '..' is not allowed in media paths")
    if not media.roots:
        raise ClientError(403, "this server has no media roots: upload the video instead")
    real = Path(os.path.realpath(raw))
    roots = [Path(os.path.realpath(r)) for r in media.roots]
    if not any(real == r or real.is_relative_to(r) for r in roots):
        raise ClientError(403, f"{uri}: outside the server's media roots")
    if not real.is_file():
        raise ClientError(404, f"{uri}: no such file under the media roots")
    return real


def fetch_http(uri: str, media: MediaConfig, limits: Limits) -> bytes:
    """Download an allow-listed http(s) URL, at most `limits.max_upload_mb`."""
    host = (urllib.parse.urlsplit(uri).hostname or "").lower()
    if not media.allow_http:
        raise ClientError(403, "http(s) URIs are off on this server (media.allow_http)")
    if host not in {h.lower() for h in media.http_hosts}:
        raise ClientError(403, f"host '{host}' is not in the server's http allow-list")
    cap = limits.max_upload_bytes
    try:
        with urllib.request.urlopen(uri, timeout=media.http_timeout_s) as r:  # noqa: S310
            data = r.read(cap + 1)
    except OSError as exc:
        raise ClientError(422, f"{uri}: download failed ({exc})") from exc
    if len(data) > cap:
        raise ClientError(413, f"{uri}: larger than the {limits.max_upload_mb:g} MB limit")
    return data


def data_url_bytes(url: str, limits: Limits, kind: str) -> tuple[str, bytes]:
    """`data:<mime>;base64,<payload>` → (mime, bytes), capped (base64 is 4/3 the bytes)."""
    head, sep, payload = url.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        raise ClientError(400, f"{kind}: a data: URL must be 'data:<mime>;base64,<payload>'")
    if len(payload) > limits.max_upload_bytes * 4 // 3 + 4:
        raise ClientError(413, f"{kind}: larger than the {limits.max_upload_mb:g} MB limit")
    try:
        return head[5:-7], base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ClientError(400, f"{kind}: invalid base64 payload ({exc})") from exc


def write_temp(data: bytes, suffix: str = ".mp4") -> Path:
    """Bytes → a private temp file (the caller deletes it)."""
    fd, name = tempfile.mkstemp(prefix="vqa-serve-", suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Path(name)


def check_limits(info, limits: Limits, name: str) -> None:
    """Refuse what would cost more than the limits allow, before decoding a frame."""
    if info.duration > limits.max_duration_s:
        raise ClientError(422, f"{name}: {info.duration:.1f} s is longer than the "
                               f"{limits.max_duration_s:g} s limit")
    if max(info.width, info.height) > limits.max_side or \
            info.width * info.height > limits.max_pixels:
        raise ClientError(422, f"{name}: {info.width}x{info.height} is over the resolution "
                               f"limit ({limits.max_side} px side, {limits.max_pixels} pixels)")
    if info.frames > limits.max_frames:
        raise ClientError(422, f"{name}: {info.frames} frames is over the {limits.max_frames} "
                               f"frame limit")


def load_clip(cfg, path: str | os.PathLike, limits: Limits, name: str | None = None) -> dict:
    """Probe the headers and check the limits (they bound the decode: the frames it reads are
    chosen from the header), then sample the frames `cfg` asks for (`sample_frames`, exactly
    what `vqa score` decodes) while a second thread demuxes every packet (truncation, a frame
    count the header hid): the check costs a request no latency where a core is free. A file
    that is not a video, or is corrupt, is the client's mistake: 422 with the reason."""
    import av

    from vqa.model.frames import sample_frames
    from vqa.video import probe

    name = name or Path(path).name
    try:
        info = probe(path, verify="none")
        check_limits(info, limits, name)
        packets = _CHECKS.submit(probe, path, verify="packets")
        try:
            frames = sample_frames(cfg, path, info=info)
        except BaseException:
            packets.result()  # its reason ("truncated: …") says more than the decoder's
            raise
        check_limits(packets.result(), limits, name)
        return frames
    except VideoError as exc:
        raise ClientError(422, f"{name}: not a readable video ({_own(exc.reason, path, name)})"
                          ) from exc
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise ClientError(422, f"{name}: corrupt video ({type(exc).__name__}: "
                               f"{_own(str(exc), path, name)})") from exc


def _own(reason: str, path, name: str) -> str:
    """The reason in the client's words: the server's path for the file (an upload's temp file,
    a resolved file:// URI) becomes the name the client gave it."""
    for text in (str(path), os.path.realpath(path), Path(path).name):
        reason = reason.replace(f"'{text}'", f"'{name}'").replace(text, name)
    return reason


def clip_from_bytes(cfg, data: bytes, limits: Limits, name: str = "upload") -> dict:
    """Uploaded / downloaded bytes → sampled frames, through a temp file deleted after."""
    if len(data) > limits.max_upload_bytes:
        raise ClientError(413, f"{name}: larger than the {limits.max_upload_mb:g} MB limit")
    from vqa.data.sources import VIDEO_EXTENSIONS

    # A video container's suffix only: FFmpeg picks some demuxers by suffix alone (`.txt` →
    # its text-as-video `tty` demuxer, which "decodes" any text file).
    suffix = Path(name).suffix.lower()
    tmp = write_temp(data, suffix if suffix in VIDEO_EXTENSIONS | {".gif"} else ".bin")
    try:
        return load_clip(cfg, tmp, limits, name)
    finally:
        tmp.unlink(missing_ok=True)


def clip_from_url(cfg, url: str, media: MediaConfig, limits: Limits) -> dict:
    """A chat `video_url`: `data:video/…;base64,…`, an allowed http(s) URL or a file:// URI
    under the media roots → sampled frames."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return clip_from_bytes(cfg, data_url_bytes(url, limits, "video_url")[1], limits, "video")
    if scheme in ("http", "https"):
        return clip_from_bytes(cfg, fetch_http(url, media, limits), limits, "download")
    return load_clip(cfg, resolve_uri(url, media), limits)

"""vqa.serving without Serve: http(s) only from allow-listed hosts and under the byte cap,
probe-time limits, data: URLs, and the OpenAI request parser's refusals."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest

from vqa.serving.config import Limits, MediaConfig
from vqa.serving.errors import ClientError
from vqa.serving.media import check_limits, clip_from_bytes, data_url_bytes, fetch_http, \
    load_clip, resolve_uri
from vqa.serving.openai_chat import parse_chat
from vqa.video import VideoInfo


@pytest.fixture(scope="module")
def http_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("http")
    (root / "small.bin").write_bytes(b"v" * 1000)
    (root / "big.bin").write_bytes(b"v" * 300_000)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def status(fn, *a) -> tuple[int, str]:
    with pytest.raises(ClientError) as exc:
        fn(*a)
    return exc.value.status, exc.value.message


def test_http_is_off_by_default_and_allow_listed_when_on(http_root):
    limits = Limits(max_upload_mb=0.25)
    assert status(fetch_http, f"{http_root}/small.bin", MediaConfig(), limits)[0] == 403
    assert status(resolve_uri, f"{http_root}/small.bin", MediaConfig())[0] == 403
    on = MediaConfig(allow_http=True, http_hosts=["127.0.0.1"])
    assert fetch_http(f"{http_root}/small.bin", on, limits) == b"v" * 1000
    code, msg = status(fetch_http, f"{http_root}/big.bin", on, limits)
    assert code == 413 and "0.25 MB" in msg
    other = MediaConfig(allow_http=True, http_hosts=["media.example.org"])
    code, msg = status(fetch_http, f"{http_root}/small.bin", other, limits)
    assert code == 403 and "allow-list" in msg
    assert status(fetch_http, f"{http_root}/missing.bin", on, limits)[0] == 422


def test_probe_limits_name_the_limit():
    limits = Limits(max_duration_s=10, max_side=1920, max_pixels=1920 * 1080, max_frames=200)
    ok = VideoInfo(frames=100, fps=25.0, duration=4.0, width=640, height=360, codec="h264")
    check_limits(ok, limits, "a.mp4")
    for info, words in ((VideoInfo(300, 25.0, 12.0, 640, 360, "h264"), "longer than"),
                        (VideoInfo(100, 25.0, 4.0, 3840, 2160, "h264"), "resolution"),
                        (VideoInfo(250, 100.0, 2.5, 640, 360, "h264"), "frame limit")):
        code, msg = status(check_limits, info, limits, "a.mp4")
        assert code == 422 and words in msg and msg.startswith("a.mp4")


def test_load_clip_names_what_the_packet_check_found(broken_files, clip_factory):
    """The packet check runs beside the decode, and its reason is the one the client reads."""
    from vqa.model import sample_frames, tiny

    cfg, limits = tiny(), Limits()
    for kind, words in (("truncated", "truncated"), ("empty", "empty file"),
                        ("zero_frames", "zero frames"), ("not_a_video", "container")):
        code, msg = status(load_clip, cfg, broken_files[kind], limits, "x.mp4")
        assert code == 422 and words in msg and msg.startswith("x.mp4"), (kind, msg)
    clip = clip_factory("m.mkv", width=96, height=64, frames=30, fps=10.0)
    got, want = load_clip(cfg, clip, limits), sample_frames(cfg, clip)
    assert got.keys() == want.keys() and all((got[k].frames == want[k].frames).all() for k in got)
    code, msg = status(load_clip, cfg, clip, Limits(max_frames=20), "m.mkv")
    assert code == 422 and "30 frames" in msg


def test_data_urls_and_chat_requests():
    limits = Limits(max_upload_mb=0.001, max_tokens=32, max_images=2)
    mime, raw = data_url_bytes("data:video/mp4;base64," + base64.b64encode(b"abc").decode(),
                               limits, "video_url")
    assert (mime, raw) == ("video/mp4", b"abc")
    assert status(data_url_bytes, "data:video/mp4,abc", limits, "v")[0] == 400
    assert status(data_url_bytes, "data:video/mp4;base64,@@@", limits, "v")[0] == 400
    big = "data:video/mp4;base64," + base64.b64encode(b"x" * 5000).decode()
    assert status(data_url_bytes, big, limits, "v")[0] == 413
    video = {"type": "video_url", "video_url": {"url": "file:///v.mp4"}}
    req = parse_chat({"model": "m", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [video, {"type": "text", "text": "Blurry?"}]}],
        "max_tokens": 8, "temperature": 0.5}, limits)
    assert req.messages == [{"role": "user", "content": "Be brief.\nBlurry?"}]
    assert (req.video_url, req.max_tokens, req.temperature) == ("file:///v.mp4", 8, 0.5)
    bad = [({"messages": [{"role": "user", "content": [video]}]}, 422, "'model'"),
           ({"model": "m", "messages": []}, 422, "'messages'"),
           ({"model": "m", "messages": [{"role": "tool", "content": "x"}]}, 422, "role"),
           ({"model": "m", "messages": [{"role": "user", "content": [video, video]}]}, 400,
            "one video"),
           ({"model": "m", "messages": [{"role": "user", "content": [
               {"type": "audio", "audio": {}}]}]}, 422, "unsupported content part"),
           ({"model": "m", "messages": [{"role": "user", "content": [video]}],
             "max_tokens": 33}, 400, "max_tokens"),
           ({"model": "m", "messages": [{"role": "user", "content": [video]}],
             "temperature": "hot"}, 422, "temperature"),
           ({"model": "m", "n": 2, "messages": [{"role": "user", "content": [video]}]}, 400,
            "n=1")]
    for body, code, words in bad:
        got, msg = status(parse_chat, body, limits)
        assert got == code and words in msg, (body, msg)


def test_a_non_video_upload_is_refused_in_the_clients_words(tmp_path):
    """The 422 names the upload as the client named it: never the server's temp file, and a
    `.txt` is not read as FFmpeg's text-as-video."""
    import tempfile

    from vqa.model import tiny

    cfg = tiny()
    for data, name in [(b"plain text, not a container\n" * 40, "notes.txt"),
                       (b"\0" * 5000, "clip.mp4"), (b"hello", "noext")]:
        code, msg = status(clip_from_bytes, cfg, data, Limits(), name)
        assert code == 422 and msg.startswith(f"{name}: not a readable video"), msg
        assert "vqa-serve-" not in msg and tempfile.gettempdir() not in msg, msg

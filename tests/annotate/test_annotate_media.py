"""How a video reaches a role: video_url (file:// or inline), 1 fps keyframes, or nothing."""

import asyncio
import base64

from vqa.annotate.endpoints import EndpointConfig, RoleClient
from vqa.annotate.media import VideoContext


def test_content_parts(clip_factory):
    path = clip_factory("media.mp4", frames=75, fps=25.0)  # 3 s → 3 keyframes at 1 fps
    ctx = VideoContext("m", str(path), None, keyframe_size=32, max_keyframes=8)

    async def go():
        return (await ctx.parts("video_url", "file"), await ctx.parts("video_url", "data"),
                await ctx.parts("image_url", "file"), await ctx.message("none", "file", "Q?"))

    file_part, data_part, images, text_only = asyncio.run(go())
    assert file_part == [{"type": "video_url", "video_url": {"url": path.resolve().as_uri()}}]
    url = data_part[0]["video_url"]["url"]
    assert url.startswith("data:video/mp4;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == path.read_bytes()
    assert len(images) == 3 and all(p["image_url"]["url"].startswith("data:image/jpeg;base64,")
                                    for p in images)
    assert ctx.duration == 3.0
    assert text_only == {"role": "user", "content": "Q?"}


def test_rate_limit_books_evenly_spaced_slots(monkeypatch):
    import vqa.annotate.endpoints as ep

    c = RoleClient("writer", EndpointConfig(rate_limit_rps=50.0))
    slept = []

    async def fake_sleep(s):
        slept.append(round(s, 6))

    monkeypatch.setattr(ep.time, "monotonic", lambda: 100.0)  # a frozen clock
    monkeypatch.setattr(ep.asyncio, "sleep", fake_sleep)

    async def go():
        for _ in range(5):
            await c._pace()

    asyncio.run(go())
    assert slept == [0.02, 0.04, 0.06, 0.08]  # 50 rps: one slot every 20 ms

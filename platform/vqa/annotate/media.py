"""How a video reaches a role: a `video_url` content part (vLLM's convention; file:// or inline
base64) or 1 fps keyframes as `image_url` parts for image-only endpoints. Keyframes are decoded
once per video, off the event loop, and shared by every request that needs them."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import numpy as np


def jpeg_data_url(frame: np.ndarray, quality: int = 90) -> str:
    import cv2

    ok, buf = cv2.imencode(".jpg", frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


class VideoContext:
    def __init__(self, video_id: str, path: str, duration: float | None, keyframe_size: int,
                 max_keyframes: int):
        self.video_id, self.path = video_id, str(path)
        self.duration = duration
        self._size, self._max = keyframe_size, max_keyframes
        self._keyframes: list[str] | None = None
        self._lock = asyncio.Lock()

    def video_url(self, transport: str) -> str:
        if transport == "data":
            data = base64.b64encode(Path(self.path).read_bytes()).decode()
            return "data:video/mp4;base64," + data
        return Path(self.path).resolve().as_uri()

    async def keyframes(self) -> list[str]:
        async with self._lock:
            if self._keyframes is None:
                self._keyframes = await asyncio.to_thread(self._decode)
        return self._keyframes

    def _decode(self) -> list[str]:
        from vqa.video import sample_keyframes

        sampled = sample_keyframes(self.path, size=self._size, max_frames=self._max)
        if self.duration is None:
            self.duration = sampled.info.duration
        return [jpeg_data_url(f) for f in sampled.frames]

    async def parts(self, media: str, transport: str) -> list[dict]:
        """Content parts that carry the video for an endpoint of this `media` kind."""
        if media == "video_url":
            return [{"type": "video_url", "video_url": {"url": self.video_url(transport)}}]
        if media == "image_url":
            return [{"type": "image_url", "image_url": {"url": u}} for u in await self.keyframes()]
        return []

    async def message(self, media: str, transport: str, text: str) -> dict:
        parts = await self.parts(media, transport)
        if not parts:
            return {"role": "user", "content": text}
        return {"role": "user", "content": [*parts, {"type": "text", "text": text}]}

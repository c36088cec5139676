"""One row (video × branch) through its branch, on the caller's event loop; no Ray here.

A row never raises: a failing endpoint, a broken video or a bug becomes `status=error` with
the reason (keys redacted), so one bad row cannot take the job down."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

from vqa.annotate.aesthetic import annotate_aesthetic
from vqa.annotate.config import AnnotateConfig
from vqa.annotate.endpoints import EndpointError, RoleClient
from vqa.annotate.media import VideoContext
from vqa.annotate.prompts import load_prompts
from vqa.annotate.technical import annotate_technical
from vqa.errors import VideoError

ROLES = ("expert", "summarizer", "judge", "writer")


class RowAnnotator:
    """Holds one client per role; build it where it will be used (inside the actor)."""

    def __init__(self, cfg: AnnotateConfig, keys: dict[str, str] | None = None):
        self.cfg, self._keys = cfg, keys
        self.prompts = load_prompts(cfg.prompts_version, cfg.prompts_dir)
        self.roles: dict[str, RoleClient] | None = None

    def clients(self) -> dict[str, RoleClient]:
        if self.roles is None:
            self.roles = {r: RoleClient(r, getattr(self.cfg.roles, r), seed=self.cfg.seed + i,
                                     keys=self._keys)
                          for i, r in enumerate(ROLES)}
            gate = asyncio.Semaphore(self.cfg.max_in_flight)  # made on the actor's loop
            for client in self.roles.values():
                client.gate = gate
        return self.roles

    def meta(self, video_id: str) -> dict:
        return {"source": "vqa annotate", "video_id": video_id,
                "prompt_version": self.prompts.version, "prompt_hash": self.prompts.hash,
                "models": {r: getattr(self.cfg.roles, r).model for r in ROLES}}

    async def run(self, row: dict) -> dict:
        cfg, roles = self.cfg, self.clients()
        t0 = time.perf_counter()
        usage: Counter = Counter()
        record = json.loads(row["record"]) if row.get("record") else None
        out = {"video_id": row["video_id"], "branch": row["branch"], "video": row["path"],
               "prompt_version": self.prompts.version, "prompt_hash": self.prompts.hash,
               "status": "error", "error": None, "record": record, "samples": []}
        try:
            ctx = VideoContext(row["video_id"], row["path"], row.get("duration"),
                               cfg.keyframe_size, cfg.max_keyframes)
            meta = self.meta(row["video_id"])
            if row["branch"] == "technical":
                decisions = json.loads(row["decisions"]) if row.get("decisions") else {}
                status, record, samples = await annotate_technical(
                    ctx, roles, self.prompts, cfg.technical, cfg.seed, usage, meta, record,
                    decisions)
            else:
                status, record, samples = await annotate_aesthetic(
                    ctx, roles, self.prompts, cfg.aesthetic, usage, meta)
            out.update(status=status, record=record, samples=samples)
        except EndpointError as exc:
            out["error"] = str(exc)
        except VideoError as exc:
            out["error"] = f"video: {exc.reason}"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a row's failure is data, not a crash
            out["error"] = roles["expert"].redact(f"{type(exc).__name__}: {exc}")[:500]
            for r in roles.values():
                out["error"] = r.redact(out["error"])
        out["usage"] = {k: round(v, 4) for k, v in usage.items()}
        out["elapsed_s"] = round(time.perf_counter() - t0, 4)
        return out

    async def run_many(self, rows: list[dict]) -> list[dict]:
        return list(await asyncio.gather(*(self.run(r) for r in rows)))

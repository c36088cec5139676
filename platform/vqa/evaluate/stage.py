"""The evaluation stage: a callable class that holds one model and turns a batch of work items
({"key", "kind": rate | ask, "payload": JSON}) into results ({"key", "kind", "result": JSON,
"error"}). Plain Python — Ray Data runs it in an actor pool (vqa.pipelines.evaluate); a failed
item becomes an `error`, never an exception that stops the pool."""

from __future__ import annotations

import json
import string
import time

import numpy as np
import pyarrow as pa

from vqa.errors import VideoError

RESULT_SCHEMA = pa.schema([("key", pa.string()), ("kind", pa.string()),
                           ("result", pa.string()), ("error", pa.string())])


def pair_input(model, videos: list[str]):
    """One path as is; several (Q-Bench-Video pairs) sampled one by one and joined in time, so
    the model sees the first clip, then the second, as the pair's concatenated file shows."""
    from vqa.model.frames import sample_frames
    from vqa.video import Sampled

    if len(videos) == 1:
        return videos[0]
    parts = [sample_frames(model.cfg, v) for v in videos]
    out = {}
    for key in parts[0]:
        got = [p[key] for p in parts]
        shapes = {g.frames.shape[1:] for g in got}
        if len(shapes) > 1:
            raise VideoError(videos[1], f"pair frames differ in size {sorted(shapes)}; set "
                                        f"frames.keyframe_size (or fragments) in the model")
        first = got[0].info
        info = type(first)(**{**first.to_dict(), "frames": sum(g.info.frames for g in got),
                              "duration": sum(g.info.duration for g in got)})
        out[key] = Sampled(np.concatenate([g.frames for g in got]),
                           np.concatenate([g.indices for g in got]), info)
    return out


class Evaluator:
    """Ray Data actor: loads the model once (`models:/…` resolved here too, so workers on other
    nodes fetch it themselves), then rates videos and answers questions."""

    def __init__(self, model: str, answer: str = "generate", max_new_tokens: int = 64,
                 device: str | None = None):
        import torch

        from vqa.model.vqa_model import VQAModel
        from vqa.storage import is_uri

        if is_uri(model):  # only then pay for importing MLflow in every actor (~7 s measured)
            from vqa.model.registry import resolve_model_path

            model = str(resolve_model_path(model))
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = VQAModel.from_pretrained(model, device=device)
        self.answer, self.max_new_tokens = answer, max_new_tokens

    def rate(self, p: dict) -> dict:
        from vqa.model.rating import describe

        res = self.model.rate(p["video"])
        reading = describe(self.model.cfg, res)  # the level as `vqa score` names it
        return {"pred": res["score"], "level": reading["level"],
                "likeliest_level": reading["likeliest_level"],
                **{f"pred_{d}": v for d, v in res["dimensions"].items()}}

    def ask(self, p: dict) -> dict:
        from vqa.evaluate.choice import pick_option

        video = pair_input(self.model, p["videos"])
        if self.answer != "generate" and p["options"]:
            by = "letter" if self.answer == "likelihood" else "answer"
            return {"reply": string.ascii_uppercase[pick_option(self.model, video, p["prompt"],
                                                                p["options"], by)]}
        msgs = [{"role": "user", "content": p["prompt"]}]
        return {"reply": self.model.chat(video, msgs, max_new_tokens=self.max_new_tokens)}

    def __call__(self, batch: pa.Table) -> pa.Table:
        out = []
        for row in batch.to_pylist():
            result, error = None, None
            t0 = time.perf_counter()
            try:
                p = json.loads(row["payload"])
                got = self.rate(p) if row["kind"] == "rate" else self.ask(p)
                result = json.dumps({**got, "seconds": round(time.perf_counter() - t0, 4)})
            except VideoError as exc:
                error = str(exc)
            except Exception as exc:  # whatever a broken file provokes, kept with its type
                error = f"{type(exc).__name__}: {exc}"
            out.append({"key": row["key"], "kind": row["kind"], "result": result,
                        "error": error})
        return pa.Table.from_pylist(out, schema=RESULT_SCHEMA)

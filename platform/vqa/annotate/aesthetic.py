"""The aesthetic branch for one video (OmniVQA §3.4): the judge annotates each aspect (style,
spatiotemporal analysis, emotional repercussions) from 1 fps keyframes; the writer summarizes
them and writes Q&A, plus the fixed aesthetic question answered with the summary."""

from __future__ import annotations

import asyncio
from collections import Counter

from vqa.annotate.config import AestheticConfig
from vqa.annotate.endpoints import Malformed, RoleClient
from vqa.annotate.media import VideoContext
from vqa.annotate.prompts import PromptSet
from vqa.annotate.qa import parse_writer, to_samples
from vqa.annotate.technical import item_header

BRANCH = "aesthetic"


def _text(t: str) -> str:
    if not t.strip():
        raise Malformed("empty annotation")
    return t.strip()


async def annotate_aesthetic(ctx: VideoContext, roles: dict[str, RoleClient], prompts: PromptSet,
                             cfg: AestheticConfig, usage: Counter,
                             meta: dict) -> tuple[str, dict, list[dict]]:
    judge = roles["judge"]
    duration = f"{ctx.duration:.1f}" if ctx.duration else "unknown"

    async def aspect(i: int, instruction: str) -> str:
        msg = await ctx.message(judge.cfg.media, judge.cfg.video_transport, prompts.render(
            "aesthetic_aspect", duration=duration, instruction=instruction))
        return await judge.chat([msg], _text, headers=item_header(
            ctx.video_id, BRANCH, "aspect", "annotate", i), usage=usage)

    names = list(cfg.aspects)
    texts = await asyncio.gather(*(aspect(i, cfg.aspects[n]) for i, n in enumerate(names)))
    aspects = dict(zip(names, texts))
    text = prompts.render("writer_aesthetic", n=cfg.qa_pairs, types=", ".join(cfg.qa_types),
                          aspects="\n".join(f"- {n}: {t}" for n, t in aspects.items()))
    summary, pairs = await roles["writer"].chat(
        [{"role": "user", "content": text}],
        lambda t: parse_writer(t, cfg.qa_types, cfg.qa_pairs),
        headers=item_header(ctx.video_id, BRANCH, "all", "writer"), usage=usage)
    pairs = pairs[:cfg.qa_pairs]
    record = {"aspects": aspects, "summary": summary, "qa": pairs}
    samples = to_samples(ctx.video_id, ctx.path, pairs, cfg.summary_question, summary,
                         "aesthetic", {**meta, "branch": BRANCH})
    return "done", record, samples

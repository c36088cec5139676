"""The technical branch for one video (OmniVQA §3.2): per factor, K expert answers → summary by
the paper's rules → R judge votes → keep / modify / human; then the writer merges the factor
summaries and writes Q&A. Everything for one video runs concurrently on the actor's event loop;
the endpoint clients bound how much of it is in flight."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import asdict

from vqa.annotate.config import TechnicalConfig
from vqa.annotate.endpoints import RoleClient
from vqa.annotate.media import VideoContext
from vqa.annotate.prompts import PromptSet
from vqa.annotate.qa import parse_writer, to_samples
from vqa.annotate.summary import parse_summary, summarize
from vqa.annotate.voting import HUMAN, decide, parse_vote

BRANCH = "technical"


def item_header(video_id: str, branch: str, factor: str, stage: str, n: int = 0) -> dict:
    """Traceable requests: servers that log headers can tie each request to its row."""
    return {"X-VQA-Item": f"{video_id}|{branch}|{factor}|{stage}|{n}"}


def review_id(video_id: str, branch: str, factor: str) -> str:
    return f"{video_id}|{branch}|{factor}"


async def annotate_factor(ctx: VideoContext, factor: str, roles: dict[str, RoleClient],
                          prompts: PromptSet, cfg: TechnicalConfig, seed: int,
                          usage: Counter) -> dict:
    expert, summarizer, judge = roles["expert"], roles["summarizer"], roles["judge"]
    system = {"role": "system", "content": prompts.render(
        "expert_system", duration=f"{ctx.duration:.1f}" if ctx.duration else "unknown")}
    questions = prompts.questions(factor, cfg.k)

    async def ask(i: int, q: str) -> str:
        msg = await ctx.message(expert.cfg.media, expert.cfg.video_transport, q)
        return (await expert.chat([system, msg], headers=item_header(
            ctx.video_id, BRANCH, factor, "expert", i), usage=usage)).strip()

    answers = list(await asyncio.gather(*(ask(i, q) for i, q in enumerate(questions))))
    numbered = "\n".join(f"Answer {i + 1}: {a}" for i, a in enumerate(answers))
    text = prompts.render("summarizer", k=cfg.k, factor=factor, answers=numbered,
                          min_agree=cfg.min_agree)
    verdicts, neutrals, model_summary = await summarizer.chat(
        [{"role": "user", "content": text}], lambda t: parse_summary(t, cfg.k),
        headers=item_header(ctx.video_id, BRANCH, factor, "summary"), usage=usage)
    rules, summary = summarize(factor, verdicts, neutrals, model_summary, cfg.min_agree)
    rec = {"questions": questions, "answers": answers, "verdicts": verdicts,
           "verdict": rules.verdict, "positive": rules.positive, "negative": rules.negative,
           "neutral": rules.neutral, "model_summary": model_summary, "summary": summary}
    if summary is None:  # no verdict reached min_agree: rejected, as rejection sampling does
        return {**rec, "action": "rejected", "final": None}

    vote_text = prompts.render("judge_vote", factor=factor, summary=summary)
    scale = cfg.voting.scale

    async def vote(r: int):
        msg = await ctx.message(judge.cfg.media, judge.cfg.video_transport, vote_text)
        return await judge.chat([msg], lambda t: parse_vote(t, scale), seed=seed + r,
                                headers=item_header(ctx.video_id, BRANCH, factor, "vote", r),
                                usage=usage)

    votes = list(await asyncio.gather(*(vote(r) for r in range(cfg.voting.rounds))))
    d = decide(factor, summary, votes, cfg.voting)
    rec.update(votes=[asdict(v) for v in votes], action=d.action, score=d.score, final=d.text)
    if d.action == HUMAN:
        rec["review_round"] = d.review_round
        rec["modified"] = votes[d.review_round].modified or summary
    return rec


def apply_decisions(video_id: str, branch: str, factors: dict, decisions: dict) -> list[str]:
    """Merge human choices into factors waiting for review; return the factors still waiting."""
    pending = []
    for factor, rec in factors.items():
        if rec.get("action") != HUMAN or rec.get("final") is not None:
            continue
        choice = decisions.get(review_id(video_id, branch, factor))
        if choice is None:
            pending.append(factor)
            continue
        rec["human"] = choice
        rec["final"] = {"summary": rec["summary"], "modified": rec["modified"]}.get(
            choice["choice"], choice.get("text") or rec["summary"])
    return pending


async def annotate_technical(ctx: VideoContext, roles: dict[str, RoleClient], prompts: PromptSet,
                             cfg: TechnicalConfig, seed: int, usage: Counter, meta: dict,
                             record: dict | None = None,
                             decisions: dict | None = None) -> tuple[str, dict, list[dict]]:
    """(status, record, samples); status done / review (waiting for humans) / rejected."""
    if record is None:
        recs = await asyncio.gather(*(annotate_factor(ctx, f, roles, prompts, cfg, seed, usage)
                                      for f in cfg.factors))
        record = {"factors": dict(zip(cfg.factors, recs))}
    factors = record["factors"]
    if apply_decisions(ctx.video_id, BRANCH, factors, decisions or {}):
        return "review", record, []
    kept = {f: r["final"] for f, r in factors.items() if r.get("final")}
    if not kept:
        return "rejected", record, []
    summaries = "\n".join(f"- {f}: {t}" for f, t in kept.items())
    text = prompts.render("writer_technical", summaries=summaries, n=cfg.qa_pairs,
                          types=", ".join(cfg.qa_types))
    summary, pairs = await roles["writer"].chat(
        [{"role": "user", "content": text}],
        lambda t: parse_writer(t, cfg.qa_types, cfg.qa_pairs),
        headers=item_header(ctx.video_id, BRANCH, "all", "writer"), usage=usage)
    pairs = pairs[:cfg.qa_pairs]
    record.update(summary=summary, qa=pairs)
    samples = to_samples(ctx.video_id, ctx.path, pairs, cfg.summary_question, summary,
                         "understanding", {**meta, "branch": BRANCH})
    return "done", record, samples

"""The LMM judge for answers that give no option letter and for open questions (OmniVQA §7,
Q-Bench-Video): R rounds through the annotation endpoints, each a JSON {"score": s}, s ∈ {0, 1}
for choices and {0, 1, 2} for open answers (completeness, accuracy, relevance); the majority
wins (ties: the lower score). A round whose reply stays malformed or whose endpoint keeps failing
(after the endpoint's own retries) makes the question `failed` — counted as such, never as right
or wrong."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from vqa.annotate.endpoints import EndpointConfig, EndpointError, RoleClient, collect_keys
from vqa.annotate.voting import majority, parse_vote
from vqa.errors import ConfigError

CHOICE_SCALE, OPEN_SCALE = [0, 1], [0, 1, 2]
SYSTEM = ("You are a strict grader of answers about video quality. Reply with a JSON object "
          '{"score": <integer>} and nothing else.')


@dataclass
class JudgeConfig:
    enabled: bool = False  # off: unlettered and open answers are `failed` (no judge to ask)
    endpoint: EndpointConfig = field(default_factory=lambda: EndpointConfig(
        model="judge", temperature=0.7, max_tokens=64))
    rounds: int = 5  # OmniVQA: several rounds, majority vote; odd so 0/1 votes cannot tie

    def validate(self) -> None:
        self.endpoint.validate()
        if self.rounds < 1 or self.rounds % 2 == 0:
            raise ConfigError(f"judge.rounds must be odd and >= 1, got {self.rounds}")


def grade_prompt(q: dict, reply: str) -> list[dict]:
    """The judge's messages for one question: choices 0/1, open 0/1/2."""
    head = f"Question: {q['prompt']}\nCorrect answer: {q['answer_text']}\nModel's answer: {reply}\n"
    if q["options"] or "attribute" in q:
        ask = ("Does the model's answer choose the correct answer? Score 1 if it does, 0 if it "
               "chooses another option or none.")
    else:
        ask = ("Score the model's answer against the correct answer for completeness, accuracy "
               "and relevance: 2 = complete, accurate and relevant; 1 = partly right; "
               "0 = wrong or irrelevant. Give one score: 0, 1 or 2.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": head + ask}]


async def grade_one(client: RoleClient, q: dict, reply: str, rounds: int) -> dict:
    """→ {"judge_score": majority, "judge_votes": [...]} or {"judge_error": why}."""
    choice = bool(q["options"]) or "attribute" in q  # a FineVD yes/no is a choice too
    scale = CHOICE_SCALE if choice else OPEN_SCALE
    messages = grade_prompt(q, reply)

    item = f"{str(q['id']).replace('|', '/')}|eval|{q['type']}|grade"

    async def one(r: int) -> int:
        return await client.chat(messages, lambda t: parse_vote(t, scale).score, seed=r,
                                 headers={"X-VQA-Item": f"{item}|{r}"})

    results = await asyncio.gather(*(one(r) for r in range(rounds)), return_exceptions=True)
    errors = [e for e in results if isinstance(e, BaseException)]
    if errors:
        bad = [e for e in errors if not isinstance(e, EndpointError)]
        if bad:
            raise bad[0]
        return {"judge_error": f"{len(errors)}/{rounds} rounds failed; first: {errors[0]}"}
    return {"judge_score": majority(list(results), "lower"), "judge_votes": list(results)}


def grade_all(cfg: JudgeConfig, pending: list[tuple[dict, str]]) -> list[dict]:
    """Grade every (question, reply) pair concurrently (the endpoint's `max_in_flight` bounds
    the requests) → one result per pair, in order."""
    if not pending:
        return []

    async def run() -> list[dict]:
        client = RoleClient("judge", cfg.endpoint, seed=0,
                            keys=collect_keys([cfg.endpoint]))
        try:
            return list(await asyncio.gather(*(grade_one(client, q, reply, cfg.rounds)
                                               for q, reply in pending)))
        finally:
            await client.close()

    return asyncio.run(run())

"""One OpenAI-compatible chat endpoint per role, with OUR retry policy: exponential back-off with
jitter on 429 / 5xx / timeouts / connection drops, none on auth or validation errors (retrying a
bad key or a bad request only burns quota), a bounded number of requests in flight and an
optional request rate, per actor. The key is read from the env var the config *names*; it is
never stored in the config, logged, or written anywhere (error texts are redacted)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Literal

from vqa.annotate.health import Breaker
from vqa.errors import ConfigError

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class EndpointConfig:
    """A role's endpoint. `max_in_flight` and `rate_limit_rps` apply per actor: the cluster-wide
    bound is actors × max_in_flight requests in flight."""

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "model"
    api_key_env: str | None = None  # the NAME of the env var holding the key, never the key
    media: Literal["video_url", "image_url", "none"] = "none"  # how the video reaches the model
    video_transport: Literal["file", "data"] = "file"  # video_url as file:// or inline base64
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 1024
    json_mode: bool = False  # ask for response_format=json_object (vLLM / OpenAI support it)
    timeout_s: float = 120.0
    max_retries: int = 4  # retries after the first attempt, on retryable errors only
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    parse_retries: int = 2  # re-asks when the answer is not the JSON the stage needs
    max_in_flight: int = 16
    rate_limit_rps: float = 0.0  # 0: no rate limit
    price_per_1k_prompt: float = 0.0  # cost figures for the summary / MLflow (any currency)
    price_per_1k_completion: float = 0.0
    breaker_failures: int = 3  # requests in a row that cannot reach the endpoint → stop (0: off)
    breaker_cooldown_s: float = 30.0  # … sending for this long, then try one again

    def validate(self) -> None:
        if self.api_key_env is not None and not ENV_NAME.match(self.api_key_env):
            # Do not echo the value: it may be a pasted key.
            raise ConfigError("api_key_env must be the NAME of an environment variable (e.g. "
                              "OPENAI_API_KEY), not the key itself")
        if self.max_in_flight < 1 or self.max_retries < 0 or self.parse_retries < 0:
            raise ConfigError("need max_in_flight >= 1, max_retries >= 0, parse_retries >= 0")
        if self.rate_limit_rps < 0 or self.timeout_s <= 0:
            raise ConfigError("need rate_limit_rps >= 0 and timeout_s > 0")
        if self.breaker_failures < 0 or self.breaker_cooldown_s < 0:
            raise ConfigError("need breaker_failures >= 0 and breaker_cooldown_s >= 0")


class EndpointError(Exception):
    """A request that failed for good; `kind` is 429 / 500 / timeout / auth / malformed / …"""

    def __init__(self, role: str, kind: str, attempts: int, message: str):
        self.role, self.kind, self.attempts = role, kind, attempts
        super().__init__(f"{role}: {kind} after {attempts} attempt(s): {message}")


class Malformed(ValueError):
    """The endpoint answered, but not in the form the stage needs (e.g. invalid JSON)."""


def classify(exc: BaseException) -> tuple[str, bool]:
    """(kind, retryable) for an exception raised by the openai client."""
    import openai

    if isinstance(exc, openai.APITimeoutError) or isinstance(exc, asyncio.TimeoutError):
        return "timeout", True
    if isinstance(exc, openai.APIConnectionError):
        return "connection", True
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        if code == 429:
            return "429", True
        if code in (401, 403):
            return "auth", False
        if code in (408, 409) or code >= 500:
            return str(code), True
        return str(code), False
    if isinstance(exc, Malformed):
        return "malformed", True
    return type(exc).__name__, False


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random,
                  retry_after: float | None = None) -> float:
    """Equal-jitter exponential back-off: half the window fixed, half random, so clients that
    failed together do not come back together; a server's Retry-After is a floor."""
    window = min(cap, base * (2 ** attempt))
    delay = window / 2 + rng.uniform(0, window / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    try:
        return float(response.headers.get("retry-after")) if response is not None else None
    except (TypeError, ValueError):
        return None


def collect_keys(configs: list[EndpointConfig]) -> dict[str, str]:
    """The keys the driver holds for these endpoints, to hand to actors whose processes may
    not share the driver's environment (only in memory: never logged or written)."""
    names = {c.api_key_env for c in configs if c.api_key_env}
    return {n: os.environ[n] for n in names if os.environ.get(n)}


class RoleClient:
    """Async chat client for one role inside one actor (create and use it on one event loop)."""

    def __init__(self, role: str, cfg: EndpointConfig, seed: int | None = None,
                 keys: dict[str, str] | None = None):
        self.role, self.cfg = role, cfg
        env = cfg.api_key_env
        self._key = ((keys or {}).get(env) or os.environ.get(env) if env else None) or "EMPTY"
        self._rng = random.Random(seed)
        self._client = None
        self._sem: asyncio.Semaphore | None = None
        self.gate: asyncio.Semaphore | None = None  # the actor-wide bound, shared by all roles
        self._next_slot = 0.0
        self.breaker = Breaker(cfg.breaker_failures, cfg.breaker_cooldown_s)
        self.in_flight = 0
        self.stats: Counter = Counter()

    def redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key and self._key != "EMPTY" else text

    def _ensure(self) -> None:
        if self._client is None:
            from openai import AsyncOpenAI

            # max_retries=0: the policy below is the only one that acts.
            self._client = AsyncOpenAI(base_url=self.cfg.base_url, api_key=self._key,
                                       max_retries=0, timeout=self.cfg.timeout_s)
            self._sem = asyncio.Semaphore(self.cfg.max_in_flight)

    async def _pace(self) -> None:
        if self.cfg.rate_limit_rps <= 0:
            return
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.cfg.rate_limit_rps
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _once(self, messages: list, seed: int | None, headers: dict | None,
                    usage: Counter) -> str:
        cfg = self.cfg
        extra: dict[str, Any] = {}
        if cfg.json_mode:
            extra["response_format"] = {"type": "json_object"}
        if seed is not None:
            extra["seed"] = seed
        async with self._sem, (self.gate or contextlib.nullcontext()):
            await self._pace()
            self.in_flight += 1
            t0 = time.perf_counter()
            try:
                resp = await self._client.chat.completions.create(
                    model=cfg.model, messages=messages, temperature=cfg.temperature,
                    top_p=cfg.top_p, max_tokens=cfg.max_tokens, extra_headers=headers, **extra)
            finally:
                self.in_flight -= 1
                for c in (self.stats, usage):
                    c[f"{self.role}.requests"] += 1
                    c[f"{self.role}.latency_s"] += time.perf_counter() - t0
        if resp.usage is not None:
            for c in (self.stats, usage):
                c[f"{self.role}.prompt_tokens"] += resp.usage.prompt_tokens or 0
                c[f"{self.role}.completion_tokens"] += resp.usage.completion_tokens or 0
        if not resp.choices or resp.choices[0].message.content is None:
            raise Malformed("empty answer")
        return resp.choices[0].message.content

    async def chat(self, messages: list, parse: Callable[[str], Any] = str, *,
                   seed: int | None = None, headers: dict | None = None,
                   usage: Counter | None = None) -> Any:
        """Send one chat request and return `parse(text)`; retry what is worth retrying."""
        self._ensure()
        usage = Counter() if usage is None else usage
        attempts = malformed = 0
        while True:
            if not self.breaker.allows():  # the endpoint is not there: fail fast, send nothing
                raise EndpointError(self.role, "connection", attempts,
                                    f"not sent: {self.breaker.failures} requests in a row could "
                                    f"not reach {self.cfg.base_url}")
            attempts += 1
            try:
                result = parse(await self._once(messages, seed, headers, usage))
                self.breaker.record(None)
                return result
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - classified below
                if isinstance(exc, (ValueError, KeyError, TypeError)) and not isinstance(
                        exc, Malformed):
                    exc = Malformed(f"{type(exc).__name__}: {exc}")
                kind, retryable = classify(exc)
                for c in (self.stats, usage):
                    c[f"{self.role}.errors.{kind}"] += 1
                if kind == "malformed":
                    malformed += 1
                    give_up = malformed > self.cfg.parse_retries
                else:
                    give_up = not retryable or attempts - malformed > self.cfg.max_retries
                if give_up:
                    self.breaker.record(kind)
                    raise EndpointError(self.role, kind, attempts,
                                        self.redact(str(exc))[:300]) from None
                for c in (self.stats, usage):
                    c[f"{self.role}.retries"] += 1
                if kind != "malformed":
                    await asyncio.sleep(backoff_delay(attempts - malformed - 1,
                                                      self.cfg.backoff_base_s,
                                                      self.cfg.backoff_max_s, self._rng,
                                                      _retry_after(exc)))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

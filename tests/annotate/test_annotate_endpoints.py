"""Our retry policy over real HTTP: back-off on 429 / 5xx / timeouts / malformed answers, no
retry on auth or validation errors, a bounded number of requests in flight, keys redacted."""

import asyncio
import json
import random

import pytest

from vqa.annotate.endpoints import (
    EndpointConfig,
    EndpointError,
    RoleClient,
    backoff_delay,
)
from vqa.annotate.testing import ScriptedServer
from vqa.annotate.voting import parse_vote
from vqa.config import from_dict
from vqa.errors import ConfigError



@pytest.fixture
def scripted():
    """scripted(**kwargs) → a started scripted server on 127.0.0.1; stopped after the test."""
    servers = []

    def start(**kwargs):
        servers.append(ScriptedServer(**kwargs).start())
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


MSG = [{"role": "user", "content": "Summary: The noise is mild."}]


def client(server, role="judge", **kw):
    cfg = EndpointConfig(base_url=server.base_url, model=f"scripted-{role}", timeout_s=1.0,
                         backoff_base_s=0.01, backoff_max_s=0.05, **kw)
    return RoleClient(role, cfg, seed=0)


def vote_call(c, item="v|technical|noise|vote|0", seed=0):
    return c.chat(MSG, lambda t: parse_vote(t, [0, 1, 2]), seed=seed,
                  headers={"X-VQA-Item": item})


@pytest.mark.parametrize("kind", ["429", "500", "503", "timeout", "malformed"])
def test_transient_faults_are_retried(scripted, kind):
    server = scripted(faults=[{"kind": kind, "times": 2}], timeout_sleep_s=1.5)
    c = client(server)
    vote = asyncio.run(vote_call(c))
    assert vote.score in (0, 1, 2)
    assert server.counts[("judge", kind)] == 2 and server.counts[("judge", "200")] == 1
    assert c.stats["judge.retries"] == 2 and c.stats[f"judge.errors.{kind}"] == 2


def test_gives_up_after_max_retries(scripted):
    server = scripted(faults=[{"kind": "500", "times": 99}])
    c = client(server, max_retries=3)
    with pytest.raises(EndpointError, match=r"judge: 500 after 4 attempt\(s\)") as err:
        asyncio.run(vote_call(c))
    assert err.value.kind == "500" and server.counts[("judge", "500")] == 4
    server = scripted(faults=[{"kind": "malformed", "times": 99}])
    c = client(server, parse_retries=2)
    with pytest.raises(EndpointError, match="malformed after 3"):
        asyncio.run(vote_call(c))


@pytest.mark.parametrize("kind", ["400", "401"])
def test_client_errors_are_not_retried(scripted, kind):
    server = scripted(faults=[{"kind": kind, "times": 99}])
    c = client(server, max_retries=5)
    with pytest.raises(EndpointError, match="after 1 attempt"):
        asyncio.run(vote_call(c))
    assert server.counts[("judge", kind)] == 1


def test_wrong_key_fails_fast_and_is_redacted(scripted, monkeypatch):
    server = scripted(api_key="right-key")
    monkeypatch.setenv("VQA_TEST_KEY", "sk-wrong-0123456789")
    c = client(server, api_key_env="VQA_TEST_KEY", max_retries=5)
    with pytest.raises(EndpointError) as err:
        asyncio.run(vote_call(c))
    assert err.value.kind == "auth" and server.counts[("?", "401")] == 1
    assert "sk-wrong" not in str(err.value)
    assert c.redact("key sk-wrong-0123456789 here") == "key *** here"
    monkeypatch.setenv("VQA_TEST_KEY", "right-key")
    assert asyncio.run(vote_call(client(server, api_key_env="VQA_TEST_KEY"))).score in (0, 1, 2)


def test_in_flight_bound_holds(scripted):
    server = scripted(latency_s=0.05)
    c = client(server, max_in_flight=3)

    async def many():
        return await asyncio.gather(*(vote_call(c, f"v{i}|technical|noise|vote|0")
                                      for i in range(12)))

    assert len(asyncio.run(many())) == 12
    assert server.max_in_flight == 3  # saturated, never above the bound
    assert c.stats["judge.requests"] == 12 and c.stats["judge.prompt_tokens"] > 0


def test_backoff_grows_is_capped_jittered_and_honours_retry_after():
    rng = random.Random(0)
    for attempt in range(8):
        window = min(2.0, 0.1 * 2 ** attempt)
        delays = [backoff_delay(attempt, 0.1, 2.0, rng) for _ in range(50)]
        assert all(window / 2 <= d <= window for d in delays)
        assert len(set(delays)) > 1  # jitter
    assert backoff_delay(0, 0.1, 2.0, rng, retry_after=1.5) == 1.5
    assert backoff_delay(0, 0.1, 2.0, rng, retry_after=60) == 2.0


def test_config_takes_the_env_var_name_never_the_key():
    with pytest.raises(ConfigError) as err:
        from_dict(EndpointConfig, {"api_key_env": "sk-live-abcdef"})
    assert "sk-live" not in str(err.value)
    assert from_dict(EndpointConfig, {"api_key_env": "OPENAI_API_KEY"}).api_key_env
    assert "api_key" not in json.dumps(EndpointConfig().__dict__).replace("api_key_env", "")


def test_unreachable_server_is_retried_then_reported():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = EndpointConfig(base_url=f"http://127.0.0.1:{port}/v1", model="scripted-judge",
                         timeout_s=1.0, max_retries=2, backoff_base_s=0.01, backoff_max_s=0.02)
    c = RoleClient("judge", cfg)
    with pytest.raises(EndpointError, match=r"judge: connection after 3 attempt"):
        asyncio.run(c.chat(MSG))
    assert c.stats["judge.errors.connection"] == 3 and c.stats["judge.retries"] == 2

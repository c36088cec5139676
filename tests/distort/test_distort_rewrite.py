"""The optional LLM rewrite against a local OpenAI-compatible stub on 127.0.0.1 (no network)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from vqa.distort import PlanParams, plan_clip
from vqa.distort.qa import clip_samples
from vqa.distort.rewrite import rewrite_samples


@pytest.fixture
def endpoint():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body, self.headers.get("Authorization")))
            prompt = body["messages"][0]["content"]
            answer = prompt.rsplit("Answer: ", 1)[1]
            # keeps the facts for every second call, drops them otherwise
            text = f"Put differently: {answer}" if len(seen) % 2 else "Something vague."
            data = json.dumps({"id": "x", "object": "chat.completion", "created": 0,
                               "model": body["model"], "choices": [{
                                   "index": 0, "finish_reason": "stop",
                                   "message": {"role": "assistant", "content": text}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()


def test_rewrites_open_answers_and_rejects_ones_that_lose_the_fact(endpoint, monkeypatch):
    url, seen = endpoint
    monkeypatch.setenv("TEST_KEY", "secret")
    samples = []
    for seed in range(6):
        specs = plan_clip("blur", 160, 120, 50, 10.0, np.random.default_rng(seed), PlanParams())
        samples += clip_samples(f"c{seed}", "c.mp4", specs, 5, seed=seed)
    opened = [s for s in samples if s["meta"]["form"] == "open"]
    before = {s["id"]: s["conversations"][1]["value"] for s in samples}
    out, n = rewrite_samples(samples, url, "stub-model", "TEST_KEY")
    assert len(seen) == len(opened) and all(p == "/v1/chat/completions" for p, _, _ in seen)
    assert seen[0][1]["model"] == "stub-model" and seen[0][2] == "Bearer secret"
    changed = [s for s in out if s["conversations"][1]["value"] != before[s["id"]]]
    assert n == len(changed) > 0
    for s in out:
        if s in changed:
            assert s["meta"]["rewritten"] and s["meta"]["template_answer"] == before[s["id"]]
            assert s["meta"]["aspect"] == "summary" or \
                s["meta"]["value"].lower() in s["conversations"][1]["value"].lower()
        else:
            assert s["conversations"][1]["value"] == before[s["id"]]
    # the stub drops facts on every second call: those non-summary answers stay templated
    assert any(s["meta"]["form"] == "open" and not s["meta"].get("rewritten") for s in out)


def test_unreachable_endpoint_keeps_templates():
    specs = plan_clip("noise", 160, 120, 50, 10.0, np.random.default_rng(0), PlanParams())
    samples = clip_samples("c", "c.mp4", specs, 5, seed=0)
    before = [s["conversations"][1]["value"] for s in samples]
    out, n = rewrite_samples(samples, "http://127.0.0.1:9/v1", "m", "NO_SUCH_ENV", timeout=2)
    assert n == 0 and [s["conversations"][1]["value"] for s in out] == before
    assert all("rewrite_error" in s["meta"] for s in out if s["meta"]["form"] == "open")

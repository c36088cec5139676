"""A scripted OpenAI-compatible chat server on 127.0.0.1 — a TEST DOUBLE, not an annotator.

It plays the four roles deterministically (by the model name: *expert*, *summarizer*, *judge*,
*writer*; by the `X-VQA-Item` header for which video/factor/stage), with a fixed latency, and
injects faults: 429 (with Retry-After), 5xx, timeouts (answers after the client gave up),
malformed JSON, 401. Its answers are canned: never present them as annotations.

    python -m vqa.annotate.testing --port 8000 --latency 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import threading
import time
from collections import Counter

from aiohttp import web

from vqa.annotate.summary import VERDICTS, apply_rules, compose_summary

ROLES = ("expert", "summarizer", "judge", "writer")


def stable(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _text_of(messages: list) -> str:
    out = []
    for m in messages:
        c = m.get("content")
        if isinstance(c, str):
            out.append(c)
        elif isinstance(c, list):
            out += [p.get("text", "") for p in c if p.get("type") == "text"]
    return "\n".join(out)


class Script:
    """The deterministic parts. `expert` / `votes` / `raw` map 'video_id|factor' to answers,
    vote scores, or a raw summarizer reply, overriding the defaults."""

    def __init__(self, expert=None, votes=None, raw=None, default_votes=None, grades=None):
        self.expert, self.votes, self.raw = expert or {}, votes or {}, raw or {}
        self.default_votes = default_votes  # e.g. [2, 2, 2]: every factor kept
        self.grades = grades or {}  # evaluation judge: question id → raw reply per round

    def expert_answer(self, vid: str, factor: str, i: int) -> str:
        key = f"{vid}|{factor}"
        if key in self.expert:
            answers = self.expert[key]
            return answers[i % len(answers)]
        h = stable(vid, factor)
        level = VERDICTS[h % 5]
        other = VERDICTS[(h + 2) % 5]
        forms = [f"{level.capitalize()}.", f"The {factor} is {level}.",
                 f"{level.capitalize()}, with some loss of fine detail.",
                 f"The {factor} of this video is {level} overall.",
                 f"{(other if h % 3 == 0 else level).capitalize()}."]
        return forms[i % len(forms)]

    def summarize(self, vid: str, factor: str, prompt: str) -> str:
        key = f"{vid}|{factor}"
        if key in self.raw:
            return self.raw[key]
        answers = re.findall(r"^Answer \d+: (.*)$", prompt, re.M)
        verdicts, neutrals = [], []
        for a in answers:
            low = a.lower()
            found = [v for v in VERDICTS if re.search(rf"\b{v}\b", low)]
            verdicts.append(min(found, key=low.find) if found else None)
            m = re.search(r"(?:, with |, however, | with )(.*?)\.?$", a, re.I)
            neutrals.append([m.group(1)] if m else [])
        rules = apply_rules(verdicts, neutrals, 3)
        summary = compose_summary(factor, rules.verdict, rules.neutral) if rules.verdict else ""
        return json.dumps({"answers": [{"verdict": v, "neutral": n}
                                       for v, n in zip(verdicts, neutrals)],
                           "summary": summary})

    def vote(self, vid: str, factor: str, rnd: int, prompt: str) -> str:
        key = f"{vid}|{factor}"
        h = stable(vid, factor, "vote") % 8
        default = [2, 2, 2] if h < 5 else [1, 1, 2] if h < 7 else [2, 0, 2]
        scores = self.votes.get(key) or self.default_votes or default
        m = re.search(r"^Summary: (.*)$", prompt, re.M)
        summary = m.group(1) if m else ""
        score = scores[rnd % len(scores)]
        return json.dumps({"score": score, "modified": "" if score == 2 else
                           f"{summary.rstrip('.')}, judged on the keyframes."})

    def grade(self, qid: str, rnd: int, prompt: str) -> str:
        """Evaluation judge (vqa.evaluate.judge): the scripted replies for `qid` if any, else
        1 (choices) / 2 (open) when the correct answer's text is in the model's answer, 0
        otherwise (open: 1 when they share a word)."""
        if qid in self.grades:
            replies = self.grades[qid]
            return replies[rnd % len(replies)]
        truth = (re.search(r"^Correct answer: (.*)$", prompt, re.M) or [None, ""])[1].lower()
        said = (re.search(r"^Model's answer: (.*)$", prompt, re.M) or [None, ""])[1].lower()
        hit = bool(truth) and truth in said
        if "0, 1 or 2" not in prompt:
            return json.dumps({"score": int(hit)})
        return json.dumps({"score": 2 if hit else int(bool(set(truth.split()) & set(said.split())))})

    def aspect(self, vid: str, i: int) -> str:
        return ["A documentary style with natural colours.",
                "Balanced composition; the camera pans smoothly and keeps the subject centred.",
                "A calm, curious mood."][i % 3] + f" (scripted for {vid})"

    def write(self, prompt: str) -> str:
        lines = re.findall(r"^- ([^:]+): (.*)$", prompt, re.M)
        n = int(re.search(r"Write (\d+) question", prompt).group(1))
        qa = []
        for i in range(n):
            name, text = lines[i % len(lines)]
            level = next((v for v in VERDICTS if re.search(rf"\b{v}\b", text.lower())), "fair")
            kind = ("binary", "mcq", "open")[i % 3]
            if kind == "binary":
                qa.append({"type": kind, "factor": name, "answer": "Yes",
                           "question": f"Is the {name} of this video {level}?"})
            elif kind == "mcq":
                qa.append({"type": kind, "factor": name, "options": list(VERDICTS),
                           "answer": level, "question": f"How is the {name} of this video?"})
            else:
                qa.append({"type": kind, "factor": name, "answer": text,
                           "question": f"How would you describe the {name} of this video?"})
        return json.dumps({"summary": " ".join(t for _, t in lines), "qa": qa})


class ScriptedServer:
    """`faults`: dicts with kind (429|500|503|timeout|malformed|401|400), optional role, match
    (substring of the item header), times (failing attempts per distinct request, default 1;
    large = never recovers) and every (only requests whose stable hash % every == 0)."""

    def __init__(self, latency_s: float = 0.0, api_key: str | None = None, faults=(),
                 script: Script | None = None, timeout_sleep_s: float = 3.0, port: int = 0):
        self.latency_s, self.api_key, self.faults = latency_s, api_key, list(faults)
        self.script = script or Script()
        self.timeout_sleep_s, self.port = timeout_sleep_s, port
        self.counts: Counter = Counter()  # (role, outcome)
        self.items: Counter = Counter()  # item header → requests answered 200
        self.seen: list[str] = []  # every item header, in arrival order
        self._attempts: Counter = Counter()
        self.in_flight = self.max_in_flight = 0  # concurrent requests being answered
        self.done_at: list[float] = []  # wall-clock time of every 200 answer (benchmarks)
        self.parts: Counter = Counter()  # (role, content-part type) seen, e.g. (expert, video_url)
        self._loop = self._runner = None
        self._ready = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024**2)
        app.router.add_post("/v1/chat/completions", self.handle)
        app.router.add_get("/stats", self.stats)
        return app

    async def stats(self, request: web.Request) -> web.Response:
        """Counters and answer times, for benchmarks: GET /stats?since=<index>."""
        since = int(request.query.get("since", 0))
        return web.json_response({"answered": len(self.done_at), "done_at": self.done_at[since:],
                                  "max_in_flight": self.max_in_flight,
                                  "counts": {f"{r}.{k}": v for (r, k), v in self.counts.items()}})

    def _fault(self, role: str, item: str, seed) -> dict | None:
        for n, f in enumerate(self.faults):
            if f.get("role") not in (None, role) or f.get("match", "") not in item:
                continue
            if stable(item, seed) % f.get("every", 1):
                continue
            self._attempts[(n, item, seed)] += 1
            if self._attempts[(n, item, seed)] <= f.get("times", 1):
                return f
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            self.counts[("?", "401")] += 1
            return web.json_response({"error": {"message": "invalid API key",
                                                "type": "invalid_request_error"}}, status=401)
        body = await request.json()
        model = str(body.get("model", ""))
        role = next((r for r in ROLES if r in model), None)
        if role is None:
            return web.json_response({"error": {"message": f"model {model!r} not found"}},
                                     status=404)
        item = request.headers.get("X-VQA-Item", "")
        self.seen.append(item)
        for m in body.get("messages", []):
            content = m.get("content")
            for part in content if isinstance(content, list) else [{"type": "str"}]:
                self.parts[(role, part.get("type"))] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(role, model, item, body)
        finally:
            self.in_flight -= 1

    async def _answer(self, role: str, model: str, item: str, body: dict) -> web.Response:
        await asyncio.sleep(self.latency_s)
        fault = self._fault(role, item, body.get("seed"))
        if fault is not None:
            kind = fault["kind"]
            self.counts[(role, kind)] += 1
            if kind == "timeout":  # answer only after the client has given up
                await asyncio.sleep(self.timeout_sleep_s)
                return web.json_response(self._completion(model, "late", body))
            if kind == "malformed":
                return web.json_response(self._completion(model, "{\"score\": oops", body))
            elif kind == "429":
                return web.json_response({"error": {"message": "rate limited"}}, status=429,
                                         headers={"Retry-After": "0"})
            else:
                return web.json_response({"error": {"message": f"injected {kind}"}},
                                         status=int(kind))
        text = self.play(role, item, body)
        self.counts[(role, "200")] += 1
        self.items[item] += 1
        self.done_at.append(time.time())
        return web.json_response(self._completion(model, text, body))

    def play(self, role: str, item: str, body: dict) -> str:
        vid, _branch, factor, stage, n = (item.split("|") + [""] * 5)[:5]
        prompt = _text_of(body.get("messages", []))
        if role == "expert":
            return self.script.expert_answer(vid, factor, int(n or 0))
        if role == "summarizer":
            return self.script.summarize(vid, factor, prompt)
        if role == "judge":
            if stage == "vote":
                return self.script.vote(vid, factor, int(n or 0), prompt)
            if stage == "grade":
                return self.script.grade(vid, int(n or 0), prompt)
            return self.script.aspect(vid, int(n or 0))
        return self.script.write(prompt)

    @staticmethod
    def _completion(model: str, text: str, body: dict) -> dict:
        prompt_tokens = len(_text_of(body.get("messages", []))) // 4 + 1
        return {"id": f"chatcmpl-{time.time_ns()}", "object": "chat.completion",
                "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text) // 4 + 1,
                          "total_tokens": prompt_tokens + len(text) // 4 + 1}}

    # ---- running in a background thread (tests) -------------------------------------------
    def start(self) -> "ScriptedServer":
        threading.Thread(target=self._serve, daemon=True).start()
        if not self._ready.wait(10):
            raise RuntimeError("scripted server did not start")
        return self

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(self.app(), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument("--api-key-env", help="require the key held by this env var")
    p.add_argument("--faults", default="[]", help="JSON list of fault dicts (see ScriptedServer)")
    args = p.parse_args(argv)
    import os

    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    server = ScriptedServer(args.latency, key, json.loads(args.faults), port=args.port)
    print(f"scripted server (test double) on {server.base_url}", flush=True)
    web.run_app(server.app(), host="127.0.0.1", port=args.port, access_log=None,
                print=None)


if __name__ == "__main__":
    main()

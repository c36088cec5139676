"""The chatter's OpenAI parameters without Serve: vLLM-style limits (max_tokens up to the model's
context by default), `stop` / penalties / `seed` parsed or refused naming the parameter, the
repetition guard and stop strings on the real tiny model, `vqa serve`'s vLLM flags."""

from __future__ import annotations

import pytest

from vqa.errors import ConfigError
from vqa.serving.config import Limits
from vqa.serving.errors import ClientError
from vqa.serving.generation import StopFilter, cut_at_stop, generate_kwargs, looping
from vqa.serving.openai_chat import parse_chat

VIDEO = {"type": "video_url", "video_url": {"url": "file:///v.mp4"}}


def body(**extra) -> dict:
    return {"model": "m", "messages": [{"role": "user", "content": [VIDEO]}], **extra}


def refused(b: dict, limits=Limits(), context=4096) -> tuple[int, str]:
    with pytest.raises(ClientError) as err:
        parse_chat(b, limits, context)
    return err.value.status, err.value.message


def test_max_tokens_default_limit_is_the_models_context():
    assert Limits().max_tokens is None
    assert parse_chat(body(max_tokens=1000), Limits(), 4096).max_tokens == 1000
    assert parse_chat(body(max_completion_tokens=4096), Limits(), 4096).max_tokens == 4096
    code, msg = refused(body(max_tokens=4097))
    assert code == 400 and "max_tokens" in msg and "4096" in msg
    assert parse_chat(body(max_tokens=300), Limits(max_tokens=300), 4096).max_tokens == 300
    assert refused(body(max_tokens=301), Limits(max_tokens=300))[0] == 400


def test_sampling_parameters_parsed_or_refused_naming_them():
    req = parse_chat(body(stop="\n", frequency_penalty=0.5, presence_penalty=-1, seed=7),
                     Limits(), 4096)
    assert (req.stop, req.frequency_penalty, req.presence_penalty, req.seed) == (
        ["\n"], 0.5, -1.0, 7)
    assert parse_chat(body(stop=["a", "b"], logprobs=False, tools=None), Limits(), 4096).stop \
        == ["a", "b"]
    for b, code, name in [(body(frequency_penalty=2.5), 400, "frequency_penalty"),
                          (body(presence_penalty="x"), 422, "presence_penalty"),
                          (body(seed=1.5), 422, "seed"),
                          (body(stop=["a", "b", "c", "d", "e"]), 400, "stop"),
                          (body(stop=[""]), 422, "stop"),
                          (body(logprobs=True), 400, "logprobs"),
                          (body(logit_bias={"50": 5}), 400, "logit_bias"),
                          (body(response_format={"type": "json_object"}), 400,
                           "response_format")]:
        got, msg = refused(b)
        assert got == code and f"'{name}'" in msg, (b, msg)


def test_looping_and_stop_strings():
    assert looping([5] * 16) and looping([1, 2] * 8) and looping([9, 1, 2, 3] * 4)
    assert not looping([5] * 15) and not looping(list(range(16))) and not looping([5] * 16, 0)
    assert not looping([1, 2, 3, 4, 5, 6, 7, 8, 9] * 2)  # a period over MAX_PERIOD
    assert cut_at_stop("one. two. three", [". t", "wo"]) == ("one", True)
    assert cut_at_stop("one", ["x"]) == ("one", False)
    f = StopFilter(["END"])
    sent = [f.feed(p) for p in ["ab", "cE", "N", "D tail", " more"]]
    assert "".join(sent) + f.flush() == "abc" and f.done
    g = StopFilter(["END"])
    assert "".join(g.feed(p) for p in ["ab", "cE", "Nx"]) + g.flush() == "abcENx"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, clip_factory):
    import torch

    from vqa.model import build_model

    torch.manual_seed(0)
    return build_model("tiny"), clip_factory("gen.mp4", width=96, height=64, frames=40)


def test_guard_and_stop_end_a_looping_model(tiny):
    """An untrained tiny model repeats itself to the limit; the guard, a stop string and a
    frequency penalty each change that."""
    model, clip = tiny
    ask = [{"role": "user", "content": "Is the video blurry?"}]
    tok = model.tokenizer

    def run(stop=(), **kw):
        usage: dict = {}
        text = model.chat(clip, ask, max_new_tokens=48, usage=usage,
                          **generate_kwargs(tok, list(stop), **kw))
        return text, usage["completion_tokens"]

    loop, n = run(repeat_stop=0)
    ids = tok(loop, add_special_tokens=False)["input_ids"]
    assert n == 48 and looping(ids[-16:])  # runs to the limit unchecked
    guarded, n_guarded = run()
    assert n_guarded < 48 and loop.startswith(guarded)
    word = loop.split()[1]
    stopped, n_stop = run(stop=[word], repeat_stop=0)
    assert n_stop < 48 and word in stopped and cut_at_stop(stopped, [word])[1]
    penalised, _ = run(frequency_penalty=2.0, repeat_stop=0)
    assert penalised != loop and len(set(penalised.split())) > len(set(loop.split()))


def test_vqa_serve_vllm_flags_reach_the_apps():
    from vqa.cli import build_parser
    from vqa.commands.serve import app_overrides
    from vqa.pipelines.serve import serve_config

    args = build_parser().parse_args(["serve", "--served-model-name", "qa", "qa-2",
                                      "--max-tokens", "1000"])
    cfg = serve_config(None, model=".", args=app_overrides(args))
    chatter = next(a for a in cfg["applications"] if a["name"] == "chatter")
    assert chatter["args"]["served_model_names"] == ["qa", "qa-2"]
    assert chatter["args"]["limits"]["max_tokens"] == 1000
    bad = build_parser().parse_args(["serve", "--max-tokens", "0"])
    with pytest.raises(ConfigError, match="max_tokens"):
        serve_config(None, model=".", args=app_overrides(bad))

"""The chatter app with the real `openai` client (only base_url changed): answers equal the
model's own `chat` for a video_url and for image_url frames, streaming equals non-streaming, a
LoRA adapter is picked by model id, unknown ids are 404 and overload is 503 + Retry-After."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
import requests

from serve_fixtures import TOKEN

QUESTION = "Is the video blurry?"


@pytest.fixture(scope="module")
def client(served):
    return openai.OpenAI(base_url=served["v1"], api_key=TOKEN, max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def local(served):
    from vqa.model.vqa_model import VQAModel

    return VQAModel.from_pretrained(served["model"])


def video_message(served, text=QUESTION):
    uri = (served["root"] / "sub" / served["clip"].name).as_uri()
    return [{"role": "user", "content": [{"type": "video_url", "video_url": {"url": uri}},
                                         {"type": "text", "text": text}]}]


def test_models_lists_served_names_and_adapters(client):
    assert {m.id for m in client.models.list()} == {"vqa-tiny", "tiny-lora"}


def test_openai_client_gets_the_models_answer(client, served, local):
    resp = client.chat.completions.create(model="vqa-tiny", messages=video_message(served),
                                          max_tokens=6)
    want = local.chat(served["clip"], [{"role": "user", "content": QUESTION}], max_new_tokens=6)
    assert resp.choices[0].message.content == want and want
    assert 0 < resp.usage.completion_tokens <= 6 and resp.usage.prompt_tokens > 16
    assert resp.choices[0].finish_reason in ("stop", "length")
    stream = client.chat.completions.create(model="vqa-tiny", messages=video_message(served),
                                            max_tokens=6, stream=True)
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert len([p for p in pieces if p]) >= 1 and "".join(pieces).strip() == want
    short = client.chat.completions.create(model="vqa-tiny", messages=video_message(served),
                                           max_tokens=2)
    assert short.usage.completion_tokens <= 2
    sampled = client.chat.completions.create(model="vqa-tiny", messages=video_message(served),
                                             max_tokens=4, temperature=1.5, top_p=0.9)
    assert isinstance(sampled.choices[0].message.content, str)


def test_image_url_frames_are_read_as_the_video(client, served, local):
    import cv2

    from vqa.annotate.media import jpeg_data_url
    from vqa.model.frames import sample_images
    from vqa.video import sample_keyframes

    urls = [jpeg_data_url(f) for f in sample_keyframes(served["clip"]).frames]
    parts = [{"type": "image_url", "image_url": {"url": u, "detail": "low"}} for u in urls]
    messages = [{"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": [*parts, {"type": "text", "text": QUESTION}]}]
    resp = client.chat.completions.create(model="vqa-tiny", messages=messages, max_tokens=6)
    frames = [cv2.imdecode(__import__("numpy").frombuffer(
        base64.b64decode(u.split(",", 1)[1]), "uint8"), cv2.IMREAD_COLOR)[:, :, ::-1]
        for u in urls]
    want = local.chat(sample_images(local.cfg, frames),
                      [{"role": "user", "content": "Answer briefly.\n" + QUESTION}],
                      max_new_tokens=6)
    assert resp.choices[0].message.content == want


def test_lora_adapter_by_model_id_and_unknown_id_404(client, served, local):
    from peft import PeftModel

    from vqa.model.vqa_model import VQAModel

    resp = client.chat.completions.create(model="tiny-lora", messages=video_message(served),
                                          max_tokens=8)
    ref = VQAModel.from_pretrained(served["model"])
    ref.llm = PeftModel.from_pretrained(ref.llm, str(served["adapter"])).eval()
    msgs = [{"role": "user", "content": QUESTION}]
    want = ref.chat(served["clip"], msgs, max_new_tokens=8)
    assert resp.choices[0].message.content == want
    base = client.chat.completions.create(model="vqa-tiny", messages=video_message(served),
                                          max_tokens=8)  # the base is unchanged after it
    assert base.choices[0].message.content == local.chat(served["clip"], msgs, max_new_tokens=8)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="nope", messages=video_message(served))


def test_chat_client_mistakes_are_4xx(client, served):
    with pytest.raises(openai.UnprocessableEntityError, match="no video"):
        client.chat.completions.create(model="vqa-tiny", messages=[{"role": "user",
                                                                    "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="data: URL"):
        client.chat.completions.create(model="vqa-tiny", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}}]}])
    with pytest.raises(openai.BadRequestError, match="max_tokens"):
        client.chat.completions.create(model="vqa-tiny", messages=video_message(served),
                                       max_tokens=10_000)
    with pytest.raises(openai.PermissionDeniedError, match="outside"):
        client.chat.completions.create(model="vqa-tiny", messages=[{"role": "user", "content": [
            {"type": "video_url", "video_url": {"url": served["outside"].as_uri()}}]}])
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=served["v1"], api_key="wrong", max_retries=0).models.list()
    bad = requests.post(served["v1"] + "/chat/completions", data=b"{nope",
                        headers={"Authorization": f"Bearer {TOKEN}",
                                 "Content-Type": "application/json"}, timeout=30)
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]["message"]
    missing = requests.post(served["v1"] + "/chat/completions", json={"model": "vqa-tiny"},
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert missing.status_code == 422 and "'messages'" in missing.json()["error"]["message"]


def test_overload_is_503_with_retry_after_while_in_flight_requests_complete(served):
    """The chatter runs 1 request and queues 2: of 10 at once, the rest are refused at once."""
    body = {"model": "vqa-tiny", "messages": video_message(served), "max_tokens": 64}

    def send(_):
        return requests.post(served["v1"] + "/chat/completions", json=body, timeout=120,
                             headers={"Authorization": f"Bearer {TOKEN}"})

    with ThreadPoolExecutor(10) as pool:
        outs = list(pool.map(send, range(10)))
    codes = sorted(o.status_code for o in outs)
    assert set(codes) <= {200, 503} and codes.count(200) >= 1 and codes.count(503) >= 1, codes
    for o in outs:
        if o.status_code == 503:
            assert o.headers.get("retry-after") == "3"
        else:
            assert o.json()["choices"][0]["message"]["content"]


def test_annotate_expert_role_is_the_served_chatter(served, tmp_path, monkeypatch, mlflow_uri):
    """OmniVQA's rejection sampling with our own model as the expert: the annotate job's expert
    requests go to the chatter (video as a file:// video_url under its media roots); the text
    roles stay on the scripted test double."""
    import json

    import yaml

    from serve_fixtures import ROOT
    from vqa.annotate.testing import Script, ScriptedServer
    from vqa.cli import main as vqa
    from vqa.data import write_manifest

    monkeypatch.setenv("VQA_SERVE_TOKEN_FOR_EXPERT", TOKEN)
    clip = served["root"] / "sub" / served["clip"].name
    manifest = write_manifest([{"video_id": "v0", "path": str(clip), "duration": 3.0,
                                "status": "ok"}], tmp_path / "manifest.parquet")
    scripted = ScriptedServer(script=Script(default_votes=[2, 2, 2])).start()
    try:
        cfg = yaml.safe_load((ROOT / "configs/local-annotate.yaml").read_text())
        for role in cfg["roles"].values():
            role.update(base_url=scripted.base_url, timeout_s=30.0)
        cfg["roles"]["expert"].update(base_url=served["v1"], model="vqa-tiny", max_tokens=12,
                                      api_key_env="VQA_SERVE_TOKEN_FOR_EXPERT",
                                      media="video_url", video_transport="file")
        cfg["technical"].update(factors=["sharpness"], k=3, min_agree=2)
        cfg.update(branches=["technical"], keyframe_size=64, max_keyframes=3, actors=1)
        (tmp_path / "annotate.yaml").write_text(yaml.safe_dump(cfg))
        assert vqa(["annotate", "--config", str(tmp_path / "annotate.yaml"), "--manifest",
                    str(manifest), "--out", str(tmp_path / "out"), "--json"]) == 0
    finally:
        scripted.stop()
    assert not [k for k in scripted.seen if "|expert|" in k]  # none went to the double
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    # 3 answers; a retry is the chatter's back-pressure (1 ongoing + 2 queued) doing its job
    assert summary["requests.expert"] - summary["retries.expert"] == 3
    row = json.loads((tmp_path / "out" / "annotations.jsonl").read_text().splitlines()[-1])
    answers = row["record"]["factors"]["sharpness"]["answers"]
    assert len(answers) == 3 and all(isinstance(a, str) and a for a in answers)


def test_openai_sampling_parameters_honoured_or_refused(client, served, local):
    """`stop`, penalties and `seed` change the answer as OpenAI defines them; the untrained
    model's loop ends early (the repetition guard); unsupported parameters are a 400 naming
    them."""
    ask = dict(model="vqa-tiny", messages=video_message(served), max_tokens=48)
    loop = local.chat(served["clip"], [{"role": "user", "content": QUESTION}],
                      max_new_tokens=48)
    guarded = client.chat.completions.create(**ask)
    assert guarded.usage.completion_tokens < 48 and guarded.choices[0].finish_reason == "stop"
    assert loop.startswith(guarded.choices[0].message.content)
    word = loop.split()[1]
    stopped = client.chat.completions.create(**ask, stop=[word])
    assert word not in stopped.choices[0].message.content
    assert stopped.choices[0].finish_reason == "stop"
    stream = client.chat.completions.create(**ask, stop=[word], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == \
        stopped.choices[0].message.content
    penalised = client.chat.completions.create(**ask, frequency_penalty=2.0, presence_penalty=1)
    assert penalised.choices[0].message.content != guarded.choices[0].message.content
    seeded = [client.chat.completions.create(**ask, temperature=1.5, seed=11).choices[0]
              .message.content for _ in range(2)]
    assert seeded[0] == seeded[1]
    with pytest.raises(openai.BadRequestError, match="'logprobs'"):
        client.chat.completions.create(**ask, logprobs=True)

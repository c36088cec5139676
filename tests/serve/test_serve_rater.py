"""The rater app on a real local Serve (HTTP on 127.0.0.1): uploads and file:// URIs give
`vqa score`'s numbers; every client mistake gets a 4xx with a JSON reason; the replica lives on."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from serve_fixtures import TOKEN
from vqa.cli import main as vqa

@pytest.fixture(scope="module")
def rater(served):
    return served


def post(r, path, **kw):
    headers = {"Authorization": f"Bearer {TOKEN}", **kw.pop("headers", {})}
    return requests.post(r["url"] + path, headers=headers, timeout=60, **kw)


def upload(r, data: bytes, name="clip.mp4"):
    return post(r, "/rate", files={"file": (name, data, "video/mp4")})


def error_of(resp, status: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"]["code"] == status and body["error"]["message"]
    return body["error"]["message"]


@pytest.fixture(scope="module")
def cli_row(rater, tmp_path_factory):
    """`vqa score --json` on the same clip with the same model folder, in this process."""
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert vqa(["score", str(rater["clip"]), "--model", str(rater["model"]), "--json"]) == 0
    return json.loads(buf.getvalue())["results"][0]


def same_numbers(served: dict, row: dict, tol: float = 1e-5) -> None:
    assert served["level"] == row["level"]
    assert served["score"] == pytest.approx(row["score"], abs=tol)
    assert served["probs"] == pytest.approx(row["probs"], abs=tol)
    assert served["dimensions"] == pytest.approx(row["dimensions"], abs=100 * tol)
    assert served["score_100"] == pytest.approx(row["score_100"], abs=100 * tol)
    assert (served["likeliest_level"], served["uncertain"]) == (row["likeliest_level"],
                                                                row["uncertain"])


def test_upload_and_uri_give_vqa_scores_numbers(rater, cli_row):
    data = rater["clip"].read_bytes()
    multipart = upload(rater, data)
    assert multipart.status_code == 200, multipart.text
    out = multipart.json()
    same_numbers(out, cli_row)
    assert set(out["timings"]) >= {"decode_s", "model_s", "total_s", "llm"}
    raw = post(rater, "/rate", data=data, headers={"Content-Type": "video/mp4"})
    same_numbers(raw.json(), cli_row)
    uri = (rater["root"] / "sub" / rater["clip"].name).as_uri()
    by_uri = post(rater, "/rate", json={"uri": uri})
    assert by_uri.status_code == 200, by_uri.text
    same_numbers(by_uri.json(), cli_row)


def test_concurrent_clients_are_batched_with_the_same_numbers(rater, cli_row):
    uri = (rater["root"] / "sub" / rater["clip"].name).as_uri()
    sizes = []
    for _ in range(3):  # on a loaded machine (another xdist worker, a benchmark) the decoders
        #                 may hand one burst to the model one request at a time: burst again
        with ThreadPoolExecutor(6) as pool:
            outs = list(pool.map(lambda _: post(rater, "/rate", json={"uri": uri}), range(6)))
        assert all(o.status_code == 200 for o in outs), [o.text for o in outs]
        for o in outs:
            same_numbers(o.json(), cli_row, tol=1e-4)
        sizes.append(max(o.json()["batch_size"] for o in outs))
        if sizes[-1] > 1:
            break
    assert max(sizes) > 1, sizes  # one forward pass for several


def test_uris_outside_the_media_roots_are_refused(rater):
    root = rater["root"]
    assert "outside" in error_of(post(rater, "/rate", json={"uri": rater["outside"].as_uri()}),
                                 403)
    assert "outside" in error_of(post(rater, "/rate", json={"uri": (root / "escape.mp4")
                                                             .as_uri()}), 403)  # symlink
    dotdot = f"file://{root}/sub/../../outside.mp4"
    assert "'..'" in error_of(post(rater, "/rate", json={"uri": dotdot}), 403)
    assert "http(s)" in error_of(post(rater, "/rate", json={"uri": "http://127.0.0.1/x.mp4"}),
                                 403)
    assert "scheme 'ftp'" in error_of(post(rater, "/rate", json={"uri": "ftp://h/x.mp4"}), 400)
    assert "scheme '(none)'" in error_of(post(rater, "/rate", json={"uri": str(root)}), 400)
    assert "no such file" in error_of(post(rater, "/rate", json={"uri": (root / "nope.mp4")
                                                                 .as_uri()}), 404)


def test_every_client_mistake_is_a_4xx_with_a_reason(rater):
    b = rater["broken"]
    for kind in ("not_a_video", "truncated", "empty", "zero_frames"):
        assert "video" in error_of(upload(rater, b[kind].read_bytes(), f"{kind}.mp4"), 422)
    for name in ("notes.txt", "notes.mp4"):  # named as the client named it, no server path
        said = error_of(upload(rater, b["not_a_video"].read_bytes(), name), 422)
        assert said.startswith(f"{name}: ") and "vqa-serve-" not in said and "/tmp" not in said
    assert "longer than" in error_of(post(rater, "/rate", json={
        "uri": (rater["root"] / "long.mp4").as_uri()}), 422)
    assert "limit" in error_of(upload(rater, b"\0" * 600_000), 413)
    assert "not valid JSON" in error_of(post(rater, "/rate", data=b"{bad",
                                             headers={"Content-Type": "application/json"}), 400)
    assert "'uri'" in error_of(post(rater, "/rate", json={"url": "x"}), 422)
    assert "'file'" in error_of(post(rater, "/rate", files={"other": ("a", b"x")}), 422)
    assert "Content-Type" in error_of(post(rater, "/rate", data=b"x",
                                           headers={"Content-Type": "text/plain"}), 415)
    assert "bearer" in error_of(requests.post(rater["url"] + "/rate", json={"uri": "x"},
                                              timeout=30), 401)
    wrong = post(rater, "/rate", json={"uri": "x"}, headers={"Authorization": "Bearer nope"})
    assert error_of(wrong, 401) and "nope" not in wrong.text
    # and the replicas are alive: a good request still gets its score
    assert upload(rater, rater["clip"].read_bytes()).status_code == 200


def test_batch_endpoint_rates_many_uris_with_errors_per_item(rater, cli_row):
    good = (rater["root"] / "sub" / rater["clip"].name).as_uri()
    resp = post(rater, "/rate/batch", json={"uris": [good, rater["outside"].as_uri(), good]})
    assert resp.status_code == 200, resp.text
    first, refused, third = resp.json()["results"]
    same_numbers(first, cli_row, tol=1e-4)
    same_numbers(third, cli_row, tol=1e-4)
    assert refused["error"]["code"] == 403 and refused["uri"] == rater["outside"].as_uri()
    assert "'uris'" in error_of(post(rater, "/rate/batch", json={"uris": []}), 422)
    assert "at most 4" in error_of(post(rater, "/rate/batch", json={"uris": [good] * 5}), 413)


def test_vqa_score_url_is_the_client(rater, cli_row, monkeypatch, capsys):
    monkeypatch.setenv("VQA_SERVE_TOKEN", TOKEN)
    uri = (rater["root"] / "sub" / rater["clip"].name).as_uri()
    outside = rater["outside"].as_uri()
    assert vqa(["score", str(rater["clip"]), uri, outside, "--url", rater["url"], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    uploaded, by_uri, refused = out["results"]
    same_numbers(uploaded, cli_row)
    same_numbers(by_uri, cli_row)
    assert refused["error"].startswith("HTTP 403") and "outside" in refused["error"]
    assert out["model"] == "tiny" and "NOT quality" in out["note"]
    assert vqa(["score", str(rater["clip"]), "--url", rater["url"]]) == 0
    assert "vqa score" in capsys.readouterr().out  # the table, captioned with the server
    with pytest.raises(SystemExit) as exc:  # every video refused: the job failed
        vqa(["score", outside, "--url", rater["url"]])
    assert exc.value.code == 1 and "HTTP 403" in capsys.readouterr().err


def test_killing_the_model_replica_mid_load_loses_no_retried_request(rater):
    """(Last: it leaves a fresh replica behind.) 8 requests from 4 clients that retry 5xx and
    dropped connections with back-off; the model replica is killed while they run: every
    request ends with a score, and Serve has started a new replica."""
    import time

    import ray

    def replicas() -> set[tuple[str, str]]:
        return {(a["name"], a["namespace"]) for a in ray.util.list_named_actors(True)
                if a["name"].startswith("SERVE_REPLICA::rater#Rater#")}

    before = replicas()
    assert len(before) == 1
    uri = (rater["root"] / "sub" / rater["clip"].name).as_uri()

    def send(_):
        deadline, attempt = time.monotonic() + 240, 0
        while True:
            attempt += 1
            try:
                r = post(rater, "/rate", json={"uri": uri})
                if r.status_code == 200:
                    return attempt
                assert r.status_code >= 500, r.text  # a client mistake is never retried
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "no answer within 240 s"
            time.sleep(min(4.0, 0.25 * 2 ** attempt))

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(send, i) for i in range(8)]
        time.sleep(0.5)
        name, ns = next(iter(before))
        ray.kill(ray.get_actor(name, namespace=ns))
        attempts = [f.result() for f in futures]
    assert len(attempts) == 8
    t0 = time.monotonic()
    while replicas() in (set(), before) and time.monotonic() - t0 < 60:
        time.sleep(0.5)
    assert replicas() and replicas() != before

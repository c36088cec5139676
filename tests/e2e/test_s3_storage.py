"""ingest → synthesize with every input and output on `s3://`, against a real S3 API (moto's
server on 127.0.0.1, started and stopped by the `s3_server` fixture): `vqa ingest` and
`vqa synthesize` on the local Ray cluster, whose tasks find the endpoint and credentials in the
standard AWS variables; each manifest holds URIs and the next job reads them; nothing lands on
the local disk where the commands ran. `vqa frames` then decodes the clips the samples name
straight from the bucket."""

from __future__ import annotations

import io
import json

import boto3
import pyarrow.parquet as pq
import pytest
from mlflow.tracking import MlflowClient

from vqa.cli import main
from vqa.data.frame_store import read_frames
from vqa.video import probe

pytestmark = pytest.mark.e2e


def test_ingest_then_synthesize_on_s3(s3_server, s3_bucket, clip_factory, tmp_path, ray_local,
                                      mlflow_uri, capsys, monkeypatch):
    def vqa(*args: str) -> dict:
        assert main([*args, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    s3 = boto3.client("s3", endpoint_url=s3_server["AWS_ENDPOINT_URL"])
    for i, key in enumerate(("pool/a.mp4", "pool/day2/b.mp4")):
        clip = clip_factory(f"s3_{i}.mp4", width=64, height=48, frames=40, fps=10.0, seed=i)
        s3.upload_file(str(clip), s3_bucket, key)
    s3.put_object(Bucket=s3_bucket, Key="pool/broken.mp4", Body=b"not a video")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    b = f"s3://{s3_bucket}"

    ingest = vqa("ingest", f"{b}/pool", "--out", f"{b}/ingest")
    assert (ingest["kept"], ingest["failed"]) == (2, 1)
    assert ingest["manifest"] == f"{b}/ingest/manifest.parquet"
    manifest = read_parquet(s3, s3_bucket, "ingest/manifest.parquet")
    assert manifest.column("path").to_pylist() == [  # sorted by video_id
        f"{b}/pool/a.mp4", f"{b}/pool/day2/b.mp4", f"{b}/pool/broken.mp4"]
    rows = {r["video_id"]: r for r in manifest.to_pylist()}
    assert rows["a"]["status"] == rows["b"]["status"] == "ok"
    assert (rows["a"]["frames"], rows["a"]["width"]) == (40, 64) and rows["a"]["size_bytes"] > 0
    assert rows["broken"]["status"] == "error"

    synth = vqa("synthesize", "--manifest", ingest["manifest"], "--out",
                f"{b}/synth", "--variants", "blur,stutter", "--holdout-fraction", "0")
    assert (synth["sources_used"], synth["clips"], synth["failed_clips"]) == (2, 4, 0)
    specs = read_parquet(s3, s3_bucket, "synth/specs.parquet").to_pylist()
    assert {r["source_path"] for r in specs} == {f"{b}/pool/a.mp4", f"{b}/pool/day2/b.mp4"}
    videos = {r["video"] for r in specs}
    assert videos == {f"{b}/synth/clips/{v}__{k}.mp4" for v in "ab" for k in ("blur", "stutter")}
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="synth/")["Contents"]}
    assert {"synth/specs.parquet", "synth/samples.jsonl", "synth/summary.json"} <= keys
    assert {v.removeprefix(f"{b}/") for v in videos} <= keys
    clip = tmp_path / "clip.mp4"  # a clip in the bucket is a real, whole video
    s3.download_file(s3_bucket, "synth/clips/a__blur.mp4", str(clip))
    assert (probe(clip).frames, probe(clip).width) == (40, 64)
    samples = [json.loads(line) for line in s3.get_object(
        Bucket=s3_bucket, Key="synth/samples.jsonl")["Body"].read().decode().splitlines()]
    assert samples and {s["video"] for s in samples} == videos

    # the next job reads synthesize's samples and its clips from the bucket (frame shards: local)
    frames = vqa("frames", "--samples", f"{b}/synth/samples.jsonl", "--preset", "tiny",
                 "--out", str(tmp_path / "frames"))
    assert (frames["videos"], frames["ok"], frames["failed"]) == (4, 4, 0)
    stored = read_frames(str(tmp_path / "frames"), frames["key"])
    assert set(stored.column("video").to_pylist()) == videos
    assert list(work.iterdir()) == []  # nothing written where the commands ran

    client = MlflowClient(mlflow_uri)
    run = client.get_run(synth["mlflow_run_id"])
    assert run.info.run_name == "synthesize: manifest.parquet → synth"
    assert run.data.params["manifest"] == ingest["manifest"]


def read_parquet(s3, bucket: str, key: str):
    return pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))

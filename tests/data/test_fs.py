"""vqa.data.fs against a real S3 API (moto's server on 127.0.0.1) and the local disk: the same
calls read, write, list, stage and upload either way."""

import pyarrow as pa
import pytest

from vqa.data import fs, read_manifest, read_samples, write_manifest, write_samples
from vqa.data.sources import SourceError, list_videos


def test_round_trips_on_s3_and_local(s3_bucket, tmp_path):
    table = pa.table({"a": [1, 2]})
    for root in (f"s3://{s3_bucket}/x", str(tmp_path / "x")):
        assert not fs.exists(fs.join(root, "t.txt"))
        fs.write_text(fs.join(root, "deep", "t.txt"), "héllo")
        fs.write_parquet(table, fs.join(root, "t.parquet"))
        assert fs.read_text(fs.join(root, "deep", "t.txt")) == "héllo"
        assert fs.read_parquet(fs.join(root, "t.parquet")).equals(table)
        assert fs.isdir(root) and fs.isfile(fs.join(root, "t.parquet"))
        assert fs.list_files(root) == [fs.join(root, "deep", "t.txt"), fs.join(root, "t.parquet")]
        fs.remove(fs.join(root, "t.parquet"))
        fs.remove(fs.join(root, "t.parquet"))  # already gone: fine
        assert fs.list_files(root) == [fs.join(root, "deep", "t.txt")]
        with pytest.raises(FileNotFoundError, match="missing.parquet"):
            fs.read_parquet(fs.join(root, "missing.parquet"))


def test_staging_and_upload(s3_bucket, clip_factory):
    clip = clip_factory("fs_stage.mp4", width=32, height=32, frames=10)
    uri = f"s3://{s3_bucket}/v/clip.mp4"
    with fs.local_output(uri) as local:
        with open(local, "wb") as f:
            f.write(clip.read_bytes())
    with fs.local_copy(uri) as local:
        assert open(local, "rb").read() == clip.read_bytes()
        staged = local
    assert not fs.exists(staged)  # the scratch copy is gone with the block
    with pytest.raises(RuntimeError):  # a failed write uploads nothing
        with fs.local_output(f"s3://{s3_bucket}/v/half.mp4") as local:
            open(local, "wb").write(b"partial")
            raise RuntimeError("encoder died")
    assert not fs.exists(f"s3://{s3_bucket}/v/half.mp4")
    with fs.staged(f"s3://{s3_bucket}/v/nope.mp4") as (local, reason):
        assert local is None and reason == f"not found: s3://{s3_bucket}/v/nope.mp4"
    with fs.local_copy(str(clip)) as local:  # local paths are used as they are
        assert local == str(clip)


def test_list_videos_forms_under_a_prefix(s3_bucket):
    base = f"s3://{s3_bucket}/pool"
    for key in ("a.mp4", "sub/b.MKV", "sub/notes.md", "c.mp4"):
        fs.write_text(fs.join(base, key), "x")
    fs.write_text(fs.join(base, "list.txt"), "# two\na.mp4\nsub/b.MKV\n/abs/local.mp4\n")
    assert list_videos(base) == [f"{base}/a.mp4", f"{base}/c.mp4", f"{base}/sub/b.MKV"]
    assert list_videos(base + "/") == list_videos(base)
    assert list_videos(f"{base}/*.mp4") == [f"{base}/a.mp4", f"{base}/c.mp4"]
    assert list_videos(f"{base}/**/*.MKV") == [f"{base}/sub/b.MKV"]
    assert list_videos(f"{base}/list.txt") == [f"{base}/a.mp4", f"{base}/sub/b.MKV",
                                               "/abs/local.mp4"]
    assert list_videos(f"{base}/c.mp4") == [f"{base}/c.mp4"]
    with pytest.raises(SourceError, match="pool/none"):
        list_videos(f"{base}/none")


def test_manifests_and_samples_on_s3(s3_bucket):
    uri = f"s3://{s3_bucket}/m/manifest.parquet"
    assert write_manifest([{"video_id": "a", "path": "s3://b/a.mp4", "status": "ok"},
                           {"video_id": "b", "path": "s3://b/b.mp4", "status": "error",
                            "error": "empty"}], uri) == uri
    assert read_manifest(uri).column("path").to_pylist() == ["s3://b/a.mp4"]
    sample = {"id": "a-0", "video": "s3://b/a.mp4",
              "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}
    for name in ("s.jsonl", "s.json", "s.parquet"):
        path = write_samples([sample], f"s3://{s3_bucket}/m/{name}")
        assert read_samples(path).column("video").to_pylist() == ["s3://b/a.mp4"]


def test_output_rules_hold_under_a_uri(s3_bucket):
    from vqa.errors import InputError
    from vqa.outputs import atomic_path, check_out_dir, write_text_atomic

    out = f"s3://{s3_bucket}/run"
    check_out_dir(out)  # nothing there yet
    with atomic_path(fs.join(out, "manifest.parquet")) as tmp:  # objects appear whole
        assert tmp == fs.join(out, "manifest.parquet")
    write_text_atomic(fs.join(out, "summary.json"), "{}")
    with pytest.raises(InputError, match="holds a finished run"):
        check_out_dir(out)
    check_out_dir(out, overwrite=True)

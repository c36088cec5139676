"""The frames job on a local Ray: decode once, reuse on the second run, train from shards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vqa.cli import main
from vqa.config import to_dict
from vqa.data.frame_store import decode_row, read_frames, sample_from_row
from vqa.model.frames import frames_key, sample_frames
from vqa.model.presets import preset_config

pytestmark = pytest.mark.e2e
CONV = [{"from": "human", "value": "<video>\nHow would you rate the quality of this video?"},
        {"from": "gpt", "value": "The quality of this video is good."}]


@pytest.fixture(scope="module")
def samples(tmp_path_factory, clip_factory):
    root = tmp_path_factory.mktemp("frames_in")
    clips = [str(clip_factory(f"fr_{i}.mp4", frames=30 + 10 * i, fps=10.0, seed=i))
             for i in range(3)]
    broken = root / "broken.mp4"
    broken.write_bytes(b"not a video at all\n" * 10)
    a, b = root / "a.jsonl", root / "b.jsonl"
    rows = [{"id": f"s{i}", "video": v, "conversations": CONV, "task": "rating", "mos": 3.0 + i}
            for i, v in enumerate([*clips, str(broken)])]
    a.write_text("".join(json.dumps(r) + "\n" for r in rows[:3]))
    b.write_text("".join(json.dumps(r) + "\n" for r in
                         [rows[3], {**rows[0], "id": "s0-again"}]))  # a video used twice
    return [str(a), str(b)], clips, str(broken)


def _run(files, out, *extra):
    return ["frames", "--samples", *files, "--preset", "tiny", "--out", str(out), "--json",
            *extra]


def test_frames_decode_once_reuse_and_train_from_shards(samples, tmp_path, ray_local,
                                                       mlflow_uri, capsys):
    files, clips, broken = samples
    out = tmp_path / "frames"
    assert main(_run(files, out)) == 0
    first = json.loads(capsys.readouterr().out)
    key = frames_key(preset_config("tiny"))
    assert first["key"] == key
    assert (first["videos"], first["decoded"], first["reused"]) == (4, 4, 0)
    assert (first["ok"], first["failed"]) == (3, 1)
    spec = yaml.safe_load((out / key / "frames.yaml").read_text())
    assert spec["key"] == key and spec["motion"] is True and spec["frames"] == to_dict(preset_config("tiny").frames)
    assert list((out / key).glob("part-*.parquet"))

    table = read_frames(out, key)
    rows = {r["video"]: r for r in table.to_pylist()}
    assert set(rows) == {*clips, broken}
    assert rows[broken]["status"] == "error" and rows[broken]["error"]
    cfg = preset_config("tiny")
    for c in clips:
        got, want = decode_row(rows[c]), sample_frames(cfg, c)
        assert (got["keyframes"].frames == want["keyframes"].frames).all()
        assert (got["motion"].indices == want["motion"].indices).all()

    assert main(_run(files, out)) == 0  # same key: nothing decoded again
    second = json.loads(capsys.readouterr().out)
    assert (second["decoded"], second["reused"], second["failed"]) == (0, 4, 0)
    # another model config with the same frames shares the shards
    assert main(_run(files[:1], out, "--set", "lora.r=4", "--set", "name=other")) == 0
    assert json.loads(capsys.readouterr().out)["reused"] == 3
    # a different frame config gets its own key
    assert main(_run(files[:1], out, "--set", "frames.uniform=2")) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["key"] != key and third["decoded"] == 3

    from vqa.model.batch import prepare_sample
    from vqa.model.presets import build_model
    from vqa.pipelines.frames import training_dataset

    ds, counts = training_dataset(files, out, key)
    assert counts == {"samples": 5, "kept": 4, "dropped": 1, "error": 1, "missing": 0}
    got = list(ds.iter_rows())
    assert sorted(r["id"] for r in got) == ["s0", "s0-again", "s1", "s2"]
    model = build_model("tiny")
    row = got[0]
    prepared = prepare_sample(model, sample_from_row(row), video=decode_row(row))
    direct = prepare_sample(model, sample_from_row(row), video=Path(row["video"]))
    assert prepared["embeds"].shape == direct["embeds"].shape
    assert (prepared["labels"] == direct["labels"]).all()

"""Frame shards round-trip exactly what `sample_frames` decodes; the key names the frame config."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vqa.data.frame_store import (
    decode_row,
    encode_row,
    error_row,
    join_samples,
    read_frames,
    sample_from_row,
    stored_videos,
    write_part,
    write_spec,
)
from vqa.data.io import samples_table
from vqa.errors import ConfigError
from vqa.model.config import FramesConfig
from vqa.model.frames import frame_spec, frames_key, sample_frames
from vqa.model.presets import model_config
from vqa.model.presets import preset_config


def _same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert a[k].frames.dtype == b[k].frames.dtype == (np.float32 if k == "quality" else
                                                          np.uint8)
        np.testing.assert_array_equal(a[k].frames, b[k].frames)
        assert a[k].indices.dtype == b[k].indices.dtype
        np.testing.assert_array_equal(a[k].indices, b[k].indices)
        assert a[k].info == b[k].info


@pytest.mark.parametrize("motion", [True, False])
def test_round_trip_through_parquet_equals_sample_frames(clip_factory, tmp_path, motion):
    path = clip_factory("store.mp4", frames=40, fps=20.0)
    cfg = preset_config("tiny")
    cfg.motion.enabled = motion
    sampled = sample_frames(cfg, path)
    _same(decode_row(encode_row(str(path), sampled)), sampled)
    key = frames_key(cfg)
    write_part(tmp_path, key, [encode_row(str(path), sampled), error_row("gone.mp4", "missing")])
    table = read_frames(tmp_path, key)
    rows = {r["video"]: r for r in table.to_pylist()}
    _same(decode_row(rows[str(path)]), sampled)
    assert decode_row(rows[str(path)])["keyframes"].frames.flags.writeable
    assert rows["gone.mp4"]["status"] == "error" and rows["gone.mp4"]["keyframes"] is None
    with pytest.raises(ValueError, match="no frames stored"):
        decode_row(rows["gone.mp4"])
    assert stored_videos(tmp_path, key) == {str(path), "gone.mp4"}
    assert stored_videos(tmp_path, "other") == set()


def test_ok_row_wins_over_a_stale_error_row(clip_factory, tmp_path):
    path = str(clip_factory("store.mp4", frames=40, fps=20.0))
    cfg = preset_config("tiny")
    write_part(tmp_path, "k", [error_row(path, "transient")])
    write_part(tmp_path, "k", [encode_row(path, sample_frames(cfg, path))])
    t = read_frames(tmp_path, "k")
    assert t.num_rows == 1 and t.column("status").to_pylist() == ["ok"]


def test_parts_written_before_the_quality_column_still_read(clip_factory, tmp_path):
    """Shards stored before `quality` existed (configs without it keep their key): the column
    reads as null and the row decodes to keyframes + motion."""
    import pyarrow.parquet as pq

    from vqa.data.frame_store import frames_table, shard_dir

    path = str(clip_factory("store.mp4", frames=40, fps=20.0))
    cfg = preset_config("tiny")
    cfg.quality.enabled = False
    old = frames_table([encode_row(path, sample_frames(cfg, path))]).drop_columns(
        ["quality", "quality_shape"])
    shard_dir(tmp_path, "k").mkdir(parents=True)
    pq.write_table(old, shard_dir(tmp_path, "k") / "part-old.parquet")
    row = read_frames(tmp_path, "k").to_pylist()[0]
    assert row["quality"] is None and row["status"] == "ok"
    _same(decode_row(row), sample_frames(cfg, path))
    assert stored_videos(tmp_path, "k") == {path}


def test_spec_file_guards_the_key(tmp_path):
    cfg = preset_config("tiny")
    key = frames_key(cfg)
    write_spec(tmp_path, key, frame_spec(cfg))
    write_spec(tmp_path, key, frame_spec(cfg))  # same again: fine
    cfg.frames.uniform = 8
    with pytest.raises(ConfigError, match="differs"):
        write_spec(tmp_path, key, frame_spec(cfg))


def test_key_stable_and_changes_with_any_frames_field():
    base = frames_key(preset_config("tiny"))
    assert base == frames_key(model_config("tiny"))
    for f in dataclasses.fields(FramesConfig):
        cfg = preset_config("tiny")
        old = getattr(cfg.frames, f.name)
        setattr(cfg.frames, f.name, 3 if old is None else (None if f.name != "keyframe_size"
                                                            else old * 2))
        assert frames_key(cfg) != base, f.name
    assert frames_key(model_config("tiny", overrides={"motion.enabled": False})) != base
    assert frames_key(model_config("tiny", overrides={"lora.r": 2, "name": "x"})) == base
    with pytest.raises(ConfigError, match="unknown key"):
        model_config("tiny", overrides={"frames.keyframe_sz": 3})


def test_join_keeps_ok_drops_and_counts_the_rest(clip_factory):
    path = str(clip_factory("store.mp4", frames=40, fps=20.0))
    cfg = preset_config("tiny")
    from vqa.data.frame_store import frames_table

    frames = frames_table([encode_row(path, sample_frames(cfg, path)), error_row("bad.mp4", "x")])
    conv = [{"from": "human", "value": "<video>\nRate it."}, {"from": "gpt", "value": "Good."}]
    samples = samples_table([{"id": "a", "video": path, "conversations": conv, "mos": 3.5,
                              "scores": {"overall": 3.5}},
                             {"id": "b", "video": path, "conversations": conv},
                             {"id": "c", "video": "bad.mp4", "conversations": conv},
                             {"id": "d", "video": "never.mp4", "conversations": conv}])
    table, counts = join_samples(samples, frames)
    assert counts == {"samples": 4, "kept": 2, "error": 1, "missing": 1, "dropped": 2}
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == ["a", "b"]
    s = sample_from_row(rows[0])
    assert s["conversations"] == conv and s["mos"] == 3.5 and s["scores"]["overall"] == 3.5
    _same(decode_row(rows[1]), sample_frames(cfg, path))


def test_saved_folder_config_gives_the_same_key(tmp_path):
    import yaml

    from vqa.config import to_dict

    (tmp_path / "config.yaml").write_text(yaml.safe_dump(to_dict(preset_config("tiny"))))
    assert frames_key(model_config(model=tmp_path)) == frames_key(preset_config("tiny"))
    with pytest.raises(ConfigError, match="exactly one"):
        model_config("tiny", tmp_path)
    with pytest.raises(ConfigError, match="not a saved VQA model"):
        model_config(model=tmp_path / "nope")

"""The training job's frame check: which sampled videos the store lacks, read from the store once."""

import pyarrow as pa

import vqa.pipelines.frames as frames
from vqa.data.frame_store import error_row, write_part
from vqa.model.frames import frames_key
from vqa.model.presets import preset_config


def test_ensure_frames_reads_the_store_once_and_decodes_only_what_it_lacks(tmp_path,
                                                                          monkeypatch):
    cfg = preset_config("tiny")
    key = frames_key(cfg)
    for i in range(3):  # one part per stored video, as decode batches of one write them
        write_part(tmp_path, key, [error_row(f"v{i}.mp4", "stored")])
    reads, decoded = [], []
    real = frames.stored_videos
    monkeypatch.setattr(frames, "stored_videos", lambda *a: reads.append(a) or real(*a))
    monkeypatch.setattr(frames, "decode_videos", lambda todo, *a, **k: decoded.extend(todo))
    samples = pa.table({"video": [f"v{i}.mp4" for i in (0, 1, 1, 3, 4, 2)]})
    assert frames.ensure_frames(samples, cfg, str(tmp_path)) == key
    assert len(reads) == 1  # once per job, not once per video (each read opens every part)
    assert decoded == ["v3.mp4", "v4.mp4"]

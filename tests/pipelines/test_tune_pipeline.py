"""The Ray side of `vqa tune` without running trials: how many trials fit the cluster, and the
frame shards every frame-count choice needs, decoded once before any trial."""

import json

import pytest

from vqa.config import from_dict, to_dict
from vqa.data.frame_store import stored_videos
from vqa.errors import ConfigError
from vqa.pipelines.tune import build_frames, concurrency
from vqa.train.config import TrainConfig
from vqa.train.search import SearchSpace, TuneJobConfig


def train_dict(tmp_path, clips, **over) -> dict:
    conv = [{"from": "human", "value": "<video>\nq"}, {"from": "gpt", "value": "a"}]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps({"video": str(c), "mos": 10.0 * i, "task": "rating",
                                        "conversations": conv}) + "\n"
                            for i, c in enumerate(clips)))
    d = {"name": "t", "datasets": {"a": {"path": str(path)}},
         "stages": [{"name": "s", "datasets": ["a"]}], "scaling": {"workers": 1},
         "frames": {"root": str(tmp_path / "frames")}, "validation": {"dataset": "a"}, **over}
    return to_dict(from_dict(TrainConfig, d))


def test_trials_at_once_fit_the_cpus_and_need_driver_slots(tmp_path, ray_local):
    job = from_dict(TuneJobConfig, {"name": "j", "train": "t.yaml", "space": "s.yaml"})
    one = from_dict(TrainConfig, {"name": "t", "datasets": {"a": {"path": "a"}},
                                  "stages": [{"name": "s", "datasets": ["a"]}],
                                  "scaling": {"workers": 1}})
    assert concurrency(job, one) == 2  # 2 CPUs, one 1-CPU worker per trial
    job.max_concurrent = 1
    assert concurrency(job, one) == 1
    one.scaling.workers = 3
    with pytest.raises(ConfigError, match=r"a trial's 3 workers need 3.0 CPUs"):
        concurrency(job, one)


def test_each_frame_choice_is_decoded_once_before_the_trials(tmp_path, clip_factory, ray_local):
    clips = [clip_factory(f"tf{i}.mp4", width=64, height=48, frames=8, fps=8.0, seed=i)
             for i in range(3)]
    base = train_dict(tmp_path, clips)
    space = from_dict(SearchSpace, {"params": {"keyframes": {"choice": [2, 4]},
                                               "lr": {"uniform": [1e-4, 1e-3]}}})
    keys = build_frames(base, space)
    assert len(keys) == 2
    for key in keys:
        assert stored_videos(tmp_path / "frames", key) == {str(c) for c in clips}
    assert build_frames(base, space) == keys  # a second search reuses them

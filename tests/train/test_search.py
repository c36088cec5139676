"""Search spaces, the tune job config and the training job's validation block: everything
`vqa tune` checks before Ray starts (no Ray here)."""

from pathlib import Path

import pytest
import yaml

from vqa.cli import main
from vqa.config import from_dict, load, to_dict
from vqa.errors import ConfigError
from vqa.train.config import TrainConfig
from vqa.train.search import (SearchSpace, apply, check_space, frame_points, set_path,
                              trial_config)

ROOT = Path(__file__).resolve().parents[2]
SPACES = sorted((ROOT / "tune_spaces").glob("*.yaml"))


def base() -> dict:
    return to_dict(load(TrainConfig, ROOT / "configs" / "local-tune-train.yaml"))


def space(**params) -> SearchSpace:
    return from_dict(SearchSpace, {"params": params}, where="space.yaml")


@pytest.mark.parametrize("path", SPACES, ids=lambda p: p.name)
def test_every_space_in_repo_applies_to_the_tune_training_config(path):
    s = load(SearchSpace, path)
    check_space(base(), s, str(path))  # every choice, both ends of every range
    assert s.metric == "val_srcc" and s.mode == "max"


def test_built_in_parameters_land_on_their_documented_paths():
    s = load(SearchSpace, ROOT / "tune_spaces" / "lora-frames.yaml")
    params = {"lora_rank": 16, "lora_targets": "both", "keyframes": 2, "motion_frames": 16,
              "lr": 5e-4, "score_loss_weight": 1.5}
    cfg = trial_config(base(), s, params, name="t")
    o = cfg.model.overrides
    assert o["lora"] == {"r": 16, "alpha": 32, "targets": ["vision", "language"]}
    assert o["frames"] == {"uniform": 2, "motion_min_frames": 16}
    assert o["head"] == {"loss_weight": 1.5}
    assert [st.optim.lr for st in cfg.stages] == [5e-4]


def test_unknown_parameter_names_itself():
    with pytest.raises(ConfigError, match=r"params.lora_rnk: unknown parameter 'lora_rnk' "
                                          r"\(did you mean 'lora_rank'\?\)"):
        space(lora_rnk={"choice": [4, 8]})


def test_bad_path_or_value_names_the_parameter_before_any_trial(tmp_path):
    s = space(decay={"paths": {"stages.0.optim.wieght_decay": None}, "choice": [0.0]})
    with pytest.raises(ConfigError, match=r"sp.yaml: params.decay = 0.0: .*unknown key "
                                          r"'wieght_decay'.*did you mean 'weight_decay'"):
        check_space(base(), s, "sp.yaml")
    s = space(lora_rank={"paths": {"model.overrides.lora.rank": None}, "choice": [4]})
    with pytest.raises(ConfigError, match=r"params.lora_rank = 4: .*unknown key 'rank'"):
        check_space(base(), s, "sp.yaml")
    with pytest.raises(ConfigError, match=r"params.keyframes = 'four': .*expected int"):
        check_space(base(), space(keyframes={"choice": ["four"]}), "sp.yaml")
    with pytest.raises(ConfigError, match=r"params.lr: .*not an index of a 1-item list"):
        check_space(base(), space(lr={"paths": {"stages.3.optim.lr": None},
                                      "uniform": [1e-4, 1e-3]}), "sp.yaml")


def test_the_cli_refuses_a_bad_space_before_ray_starts(tmp_path, capsys, monkeypatch):
    def no_ray(*a, **k):
        raise AssertionError("Ray was started")

    monkeypatch.setattr("vqa.commands.common.init_ray", no_ray)
    bad = tmp_path / "space.yaml"
    bad.write_text(yaml.safe_dump({"params": {"motion_frame": {"choice": [8]}}}))
    job = tmp_path / "tune.yaml"
    job.write_text(yaml.safe_dump({"name": "t", "train": str(ROOT / "configs" /
                                                              "local-tune-train.yaml"),
                                   "space": str(bad)}))
    with pytest.raises(SystemExit) as exc:
        main(["tune", "--config", str(job)])
    assert exc.value.code == 2
    assert "unknown parameter 'motion_frame' (did you mean 'motion_frames'?)" in \
        capsys.readouterr().err


def test_distributions_and_frame_parameters_are_checked():
    with pytest.raises(ConfigError, match="exactly one of choice, grid, loguniform, uniform"):
        space(lr={"choice": [1e-3], "uniform": [1e-4, 1e-3]})
    with pytest.raises(ConfigError, match=r"params.lr.loguniform: low must be > 0"):
        space(lr={"loguniform": [0.0, 1e-3]})
    with pytest.raises(ConfigError, match=r"params.lr.uniform: expected \[low, high\]"):
        space(lr={"uniform": [1e-3, 1e-4]})
    with pytest.raises(ConfigError, match=r"params.keyframes: changes the sampled frames"):
        space(keyframes={"uniform": [2, 8]})
    s = space(keyframes={"choice": [2, 4]}, motion_frames={"choice": [8, 16, 32]},
              lr={"loguniform": [1e-4, 1e-3]})
    points = frame_points(s)
    assert len(points) == 6 and {"keyframes": 4, "motion_frames": 32} in points
    assert frame_points(space(lr={"uniform": [1e-4, 1e-3]})) == [{}]  # one key: the base's


def test_set_path_walks_lists_and_scales():
    d = {"stages": [{"optim": {}}, {"optim": {"lr": 1.0}}], "model": {"overrides": None}}
    set_path(d, "stages.*.optim.lr", 0.5)
    set_path(d, "model.overrides.lora.r", 8)
    assert [s["optim"]["lr"] for s in d["stages"]] == [0.5, 0.5]
    assert d["model"]["overrides"] == {"lora": {"r": 8}}
    s = space(lora_rank={"choice": [4]}, lr={"paths": {"stages.1.optim.lr": 0.1},
                                            "uniform": [1.0, 2.0]})
    out = apply(d, s, {"lora_rank": 4, "lr": 1.0})
    assert out["model"]["overrides"]["lora"] == {"r": 4, "alpha": 8}
    assert out["stages"][1]["optim"]["lr"] == pytest.approx(0.1) and d["stages"][1]["optim"][
        "lr"] == 0.5  # a copy: the base config is not touched


def test_validation_block_is_checked(tmp_path):
    d = base()
    # ZeRO-3 validates too: every rank rates every video in step (vqa.train.validation)
    assert from_dict(TrainConfig, {**d, "deepspeed": {"zero_stage": 3}}).validation is not None
    with pytest.raises(ConfigError, match="validation.every_steps must be >= 1"):
        from_dict(TrainConfig, {**d, "validation": {"dataset": "val", "every_steps": 0}})
    with pytest.raises(ConfigError, match="metric 'val_srcc'.*no `validation` block"):
        check_space({**d, "validation": None}, space(lr={"uniform": [1e-4, 1e-3]}), "sp.yaml")


def test_validation_rows_are_distinct_existing_videos_with_a_mos(tmp_path, clip_factory):
    import json

    from vqa.train.validation import validation_samples

    clips = [str(clip_factory(f"v{i}.mp4", width=32, height=24, frames=6)) for i in range(3)]
    conv = [{"from": "human", "value": "<video>\nq"}, {"from": "gpt", "value": "a"}]
    rows = [{"video": c, "mos": 10.0 * i, "task": "rating", "conversations": conv}
            for i, c in enumerate(clips)]
    rows += [{**rows[0], "mos": 99.0}, {**rows[1], "video": str(tmp_path / "gone.mp4")},
             {**rows[2], "mos": None}]
    path = tmp_path / "val.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = from_dict(TrainConfig, {**base(), "validation": {"dataset": str(path)}})
    table = validation_samples(cfg)
    assert table.column("video").to_pylist() == clips
    assert table.column("mos").to_pylist() == [0.0, 10.0, 20.0]  # the first row per video
    cfg.validation.max_videos = 2
    with pytest.raises(ConfigError, match="2 existing videos with a mos; a correlation needs"):
        validation_samples(cfg)

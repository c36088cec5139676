"""The training config, the DeepSpeed config it generates, step accounting, data checks and the
checkpoint guard — everything that must fail (or hold) before Ray starts."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from vqa.config import from_dict, load, to_dict
from vqa.errors import ConfigError
from vqa.train.config import OptimConfig, TrainConfig
from vqa.train.data import stage_samples, step_batches
from vqa.train.model_config import resolve_model
from vqa.train.optim import deepspeed_config, stage_steps
from vqa.train.state import TrainState, check_compatible, latest_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TRAIN_CONFIGS = [p for p in sorted((ROOT / "configs").glob("*.yaml"))
                 if "stages" in (yaml.safe_load(p.read_text()) or {})]


def minimal(**over) -> dict:
    d = {"name": "t", "datasets": {"a": {"path": "a.jsonl"}},
         "stages": [{"name": "s", "datasets": ["a"]}]}
    d.update(over)
    return d


def test_strategies_are_stage_lists_in_configs():
    by_name = {p.stem: load(TrainConfig, p) for p in TRAIN_CONFIGS}
    assert {"local-direct", "local-mix", "local-complementary", "local-complementary-reverse",
            "cluster-omnivqa-7b", "cluster-finevq-8b"} <= set(by_name)
    comp, rev = by_name["local-complementary"], by_name["local-complementary-reverse"]
    assert [s.datasets for s in comp.stages] == [s.datasets for s in reversed(rev.stages)]
    assert len(by_name["local-mix"].stages) == 1 and \
        by_name["local-mix"].stages[0].datasets == ["rating", "incontext", "incontext_where"]
    assert comp.datasets["incontext_where"].meta == {"aspect": ["where"]}
    omni = by_name["cluster-omnivqa-7b"].stages[0].optim
    assert (omni.lr, omni.group_lr, omni.warmup_ratio, omni.batch_size) == \
        (1e-5, {"vision": 2e-6}, 0.03, 8)
    assert by_name["cluster-omnivqa-7b"].scaling.workers == 8


@pytest.mark.parametrize("path", TRAIN_CONFIGS, ids=lambda p: p.name)
def test_every_train_config_resolves_its_model(path):
    cfg = load(TrainConfig, path)
    model_cfg, init_from = resolve_model(cfg.model)  # a config only: no weights are read
    assert init_from is None and model_cfg.name == cfg.model.preset


def test_overrides_merge_into_the_preset_and_typos_name_the_key():
    cfg = from_dict(TrainConfig, minimal(model={"preset": "tiny",
                                                "overrides": {"lora": {"r": 2}}}))
    from vqa.model.presets import preset_config

    model_cfg, _ = resolve_model(cfg.model)
    tiny = preset_config("tiny")
    assert model_cfg.lora.r == 2 and tiny.lora.r != 2
    assert (model_cfg.lora.alpha, model_cfg.frames) == (tiny.lora.alpha, tiny.frames)  # kept
    with pytest.raises(ConfigError, match="unknown key 'rr'"):
        resolve_model(from_dict(TrainConfig, minimal(
            model={"overrides": {"lora": {"rr": 4}}})).model)
    with pytest.raises(ConfigError, match=r"unknown key 'lrr'.*did you mean 'lr'"):
        from_dict(TrainConfig, minimal(stages=[{"name": "s", "datasets": ["a"],
                                                "optim": {"lrr": 1}}]))
    with pytest.raises(ConfigError, match="unknown \\['b'\\]"):
        from_dict(TrainConfig, minimal(stages=[{"name": "s", "datasets": ["b"]}]))
    with pytest.raises(ConfigError, match="group_lr: unknown groups"):
        from_dict(TrainConfig, minimal(stages=[{"name": "s", "datasets": ["a"],
                                                "optim": {"group_lr": {"visoin": 1e-6}}}]))


def test_cli_typo_fails_before_ray_starts(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(minimal(scaling={"workres": 2})))
    proc = subprocess.run([sys.executable, "-m", "vqa.cli", "train", "--config", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "unknown key 'workres'" in proc.stderr and "did you mean 'workers'" in proc.stderr
    assert "Started a local Ray instance" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("zero", [0, 1, 2, 3])
def test_deepspeed_config(zero):
    opt = OptimConfig(batch_size=8, grad_accum=2, precision="bf16")
    from vqa.train.config import DeepSpeedConfig

    ds = deepspeed_config(DeepSpeedConfig(zero_stage=zero, offload_optimizer=zero > 0), opt, 8)
    assert ds["train_batch_size"] == 8 * 2 * 8 and ds["zero_optimization"]["stage"] == zero
    assert ds["bf16"]["enabled"] and not ds["fp16"]["enabled"]
    assert ("offload_optimizer" in ds["zero_optimization"]) == (zero > 0)


def test_stage_steps_follow_epochs_or_max_steps():
    assert stage_steps(OptimConfig(epochs=2, batch_size=2), 20, 2) == (10, 5)
    assert stage_steps(OptimConfig(max_steps=3, batch_size=2), 20, 2) == (3, 5)
    assert stage_steps(OptimConfig(epochs=1, batch_size=4, grad_accum=4), 5, 2) == (1, 1)


def test_step_batches_skip_broken_rows_and_keep_epochs_in_step():
    rows = [{"video": f"v{i}", "conversations": "[]"} for i in range(6)]
    epochs = []

    def iter_epoch(ep):
        epochs.append(ep)
        return iter(rows)

    def frames_of(row):
        if row["video"] in ("v1", "v4"):
            raise ValueError("broken")
        return {"frames": row["video"]}

    skipped = {}
    it = step_batches(iter_epoch, steps_per_epoch=3, per_step=2, start_step=0,
                      frames_of=frames_of, skipped=skipped, patience=10)
    first = [next(it) for _ in range(3)]
    assert [[s["video"] for s, _ in b] for b in first] == [["v0", "v2"], ["v3", "v5"],
                                                           ["v3", "v5"]]  # reused, not a crash
    assert skipped == {"ValueError": 2} and epochs == [0]
    next(it)
    assert epochs == [0, 1]  # the next epoch starts exactly after steps_per_epoch steps
    resumed = step_batches(iter_epoch, 3, 2, start_step=4, frames_of=frames_of, skipped={},
                           patience=10)
    # epoch 1 after 1 step: the 2 rows that step consumed are skipped unread, then v2, v3
    assert [s["video"] for s, _ in next(resumed)] == ["v2", "v3"]


def test_a_stage_with_no_usable_sample_fails_with_the_reason(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"video": str(tmp_path / "gone.mp4"), "conversations": [
        {"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}) + "\n")
    cfg = from_dict(TrainConfig, minimal(datasets={"a": {"path": str(samples)}}))
    with pytest.raises(ConfigError, match="no usable sample: all 1 samples name videos"):
        stage_samples(cfg, cfg.stages[0])
    cfg = from_dict(TrainConfig, minimal(datasets={"a": {"path": str(samples),
                                                         "tasks": ["rating"]}}))
    with pytest.raises(ConfigError, match="hold no sample"):
        stage_samples(cfg, cfg.stages[0])


def test_a_stage_mixes_its_datasets_by_meta_filter_and_repeat(tmp_path):
    """The where questions again beside the whole set: meta picks them, repeat weighs them."""
    samples = tmp_path / "s.jsonl"
    rows = []
    for i, aspect in enumerate(["where", "when", "where", "what"]):
        clip = tmp_path / f"c{i}.mp4"
        clip.write_bytes(b"x")
        rows.append({"id": f"q{i}", "video": str(clip), "task": "incontext",
                     "meta": json.dumps({"aspect": aspect}), "conversations": [
                         {"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]})
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = {"all": {"path": str(samples)},
            "where": {"path": str(samples), "meta": {"aspect": ["where"]}, "repeat": 2.5}}
    cfg = from_dict(TrainConfig, minimal(datasets=data, stages=[
        {"name": "s", "datasets": ["all", "where"]}]))
    table, counts = stage_samples(cfg, cfg.stages[0])
    ids = table.column("id").to_pylist()
    # 4 rows once, the 2 "where" rows twice, then one of them for the half
    assert counts["samples"] == len(ids) == 4 + 2 * 2 + 1
    assert sorted(set(ids[4:])) == ["q0", "q2"] and ids[4:8] == ["q0", "q2", "q0", "q2"]
    bad = [({"meta": {"aspect": "where"}}, "meta.aspect: give a non-empty list"),
           ({"repeat": 0}, "datasets.where.repeat must be > 0"),
           ({"mta": {}}, "unknown key 'mta' \\(did you mean 'meta'\\?\\)")]
    for over, message in bad:
        with pytest.raises(ConfigError, match=message):
            from_dict(TrainConfig, minimal(datasets={"where": {"path": "s.jsonl", **over}},
                                           stages=[{"name": "s", "datasets": ["where"]}]))
    none = {"path": str(samples), "meta": {"aspect": ["count"]}}
    cfg = from_dict(TrainConfig, minimal(datasets={"all": data["all"], "none": none}, stages=[
        {"name": "s", "datasets": ["all", "none"]}]))  # an empty part joins the others
    assert stage_samples(cfg, cfg.stages[0])[0].num_rows == 4
    cfg = from_dict(TrainConfig, minimal(datasets={"a": none}))
    with pytest.raises(ConfigError, match="`meta` filters"):
        stage_samples(cfg, cfg.stages[0])


def test_a_checkpoint_from_another_model_config_is_refused(tmp_path):
    a, _ = resolve_model(from_dict(TrainConfig, minimal()).model)
    b, _ = resolve_model(from_dict(TrainConfig, minimal(
        model={"overrides": {"lora": {"r": 4}, "head": {"enabled": False}}})).model)
    ck = tmp_path / "run" / "checkpoint_1"
    ck.mkdir(parents=True)
    TrainState(global_step=3, model_config=to_dict(a)).write(ck)
    assert latest_checkpoint(tmp_path / "run") == ck
    check_compatible(TrainState.read(ck).model_config, to_dict(a), "ck")  # same: fine
    with pytest.raises(ConfigError, match=r"head.enabled: checkpoint True vs config False"):
        check_compatible(TrainState.read(ck).model_config, to_dict(b), "ck")

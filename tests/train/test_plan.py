"""`vqa train --plan`: the memory plan from the meta device, its states against DeepSpeed's own
estimators at the 7B shape, its verdict and advice; and `pretrained:` folders checked before
Ray (a folder that is not a checkpoint, an architecture in the wrong role, a missing shard, a
tokenizer without the level words: one line, exit 2)."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from vqa.cli import main
from vqa.config import from_dict
from vqa.model.presets import ARCHITECTURES, architecture
from vqa.train.config import TrainConfig
from vqa.train.plan import GiB, group_params, largest_layer, meta_model, plan, sample_tokens


def train_config(tmp_path, model: dict, zero: int = 3, workers: int = 8, batch: int = 8,
                 checkpointing=("vision", "language"), **extra) -> dict:
    data = tmp_path / "rating.jsonl"
    data.write_text("")
    return {"name": "plan", "out": str(tmp_path / "out"), "model": model,
            "datasets": {"rating": {"path": str(data)}},
            "stages": [{"name": "rating", "datasets": ["rating"],
                        "optim": {"batch_size": batch, "precision": "bf16"}}],
            "deepspeed": {"zero_stage": zero},
            "scaling": {"workers": workers, "gpus_per_worker": 1},
            "activation_checkpointing": list(checkpointing), **extra}


def omnivqa_7b_shape() -> dict:
    """The shipped 7B preset with its checkpoints replaced by their architectures."""
    arch = ARCHITECTURES["omnivqa-7b"]
    return {"preset": "omnivqa-7b",
            "overrides": {"vision": {"pretrained": None, "hf_config": arch["vision"]},
                          "llm": {"pretrained": None, "hf_config": arch["llm"]}}}


def test_states_agree_with_deepspeeds_estimators_at_the_7b_shape(tmp_path):
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs

    model = meta_model(architecture("omnivqa-7b"))
    assert next(model.llm.parameters()).device.type == "meta"  # no weights were made
    for p in model.motion.parameters():  # DeepSpeed's estimators assume every weight trains
        p.requires_grad = True
    params = group_params(model)
    total = sum(g["total"] for g in params.values())
    assert 7.9e9 < total < 8.2e9  # Qwen2-7B 7.6 B + SigLIP-so400m 0.41 B + SlowFast + projectors
    largest = largest_layer(model)
    from vqa.train.plan import state_bytes

    for zero, n in ((2, 8), (3, 8), (3, 16)):
        ours = sum(state_bytes(params, largest, zero, n, "bf16")[0].values())
        if zero == 2:
            _, ds = estimate_zero2_model_states_mem_needs(total, n, 1, cpu_offload=False)
            assert ours == pytest.approx(ds, rel=0.01)
        else:  # DeepSpeed's ZeRO-3 figure leaves out the 16-bit gradient partition (2 B/N)
            _, ds, _ = estimate_zero3_model_states_mem_needs(total, largest, n, 1,
                                                             cpu_offload=False)
            assert ds <= ours <= ds + 2 * total / n + 1


def test_tokens_per_sample_follow_the_frame_settings():
    model = meta_model(architecture("omnivqa-7b"))
    t = sample_tokens(model, seconds=10.0)
    assert (t["keyframes"], t["vision"]) == (10, 10 * 729)  # 1 fps, SigLIP-384/14: 27² tokens
    assert 200 <= t["motion"] <= 250  # one fast-pathway token per motion frame at 25 fps
    assert t["total"] == t["vision"] + t["motion"] + t["text"] and 0 < t["answer"] < t["text"]


def test_plan_of_the_7b_job_and_its_verdict(tmp_path, capsys):
    cfg_file = tmp_path / "job.yaml"
    cfg_file.write_text(yaml.safe_dump(train_config(tmp_path, omnivqa_7b_shape())))
    assert main(["train", "--plan", "--config", str(cfg_file), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["fits"] and row["tokens.total"] > 7000
    assert row["activations_gib.checkpointed"] < row["activations_gib.not_checkpointed"] / 5
    assert row["gpu_gib.activations"] == row["activations_gib.checkpointed"]
    # without checkpointing the shipped batch does not fit an 80 GiB GPU: exit 2, one line,
    # naming the figure and the first fix
    cfg_file.write_text(yaml.safe_dump(train_config(tmp_path, omnivqa_7b_shape(),
                                                    checkpointing=())))
    with pytest.raises(SystemExit) as exc:
        main(["train", "--plan", "--config", str(cfg_file)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "80.0 GiB" in err[0] and "activation_checkpointing" in err[0]


def test_plan_per_stage_counts_lora_and_frozen_groups(tmp_path):
    d = train_config(tmp_path, {"preset": "tiny", "overrides": {
        "lora": {"targets": ["language"]}, "llm_trainable": False}}, zero=2, workers=2, batch=1)
    d["stages"].append({"name": "second", "datasets": ["rating"],
                        "trainable": {"vision": False}, "optim": {"precision": "fp32"}})
    cfg = from_dict(TrainConfig, d)
    from vqa.train.model_config import resolve_model

    first, second = plan(cfg, resolve_model(cfg.model)[0], gpu_mem=GiB)
    lang = first.params["language"]
    assert 0 < lang["trainable"] < lang["total"] / 4  # the adapters only
    assert first.params["vision"]["trainable"] > 0 and second.params["vision"]["trainable"] == 0
    assert second.per_gpu["weights"] == 2 * first.per_gpu["weights"]  # fp32 against bf16


@pytest.fixture
def folders(pretrained_folders, tmp_path):
    """A private copy of the checkpoint folders that a test may break."""
    out = {k: tmp_path / k for k in pretrained_folders}
    for k, src in pretrained_folders.items():
        shutil.copytree(src, out[k])
    return out


def local_job(tmp_path, folders, **over) -> str:
    model = {"preset": "tiny", "overrides": {
        "vision": {"pretrained": str(folders["vision"]), "hf_config": None},
        "llm": {"pretrained": str(folders["llm"]), "hf_config": None},
        "tokenizer": str(folders["tokenizer"]), **over}}
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(train_config(tmp_path, model, zero=3, workers=2, batch=1)))
    return str(path)


def test_real_checkpoint_folders_plan_from_their_config_json(tmp_path, folders, capsys):
    assert main(["train", "--plan", "--json", "--config", local_job(tmp_path, folders)]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["params.language"] > 0 and row["params.vision"] > 0


@pytest.mark.parametrize("breakage,message", [
    ("no_config", "not a transformers checkpoint (no config.json)"),
    ("wrong_role", "model_type 'qwen2' is not a vision encoder"),
    ("missing_shard", "listed in model.safetensors.index.json is missing"),
    ("level_word", "level word 'superb'"),
])
def test_a_bad_pretrained_folder_is_one_line_before_ray(tmp_path, folders, capsys, breakage,
                                                        message):
    over = {}
    if breakage == "no_config":
        (folders["vision"] / "config.json").unlink()
    elif breakage == "wrong_role":
        over = {"vision": {"pretrained": str(folders["llm"]), "hf_config": None}}
    elif breakage == "missing_shard":
        next(folders["llm"].glob("model-0000*-of-*.safetensors")).unlink()
    else:
        over = {"scoring": {"levels": ["superb", "good", "fair", "poor", "low"]}}
    job = local_job(tmp_path, folders, **over)
    for command in (["train", "--plan", "--config", job], ["train", "--config", job]):
        with pytest.raises(SystemExit) as exc:
            main(command)
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err


@pytest.mark.parametrize("change,message", [
    ({"model": {"preset": "tiny", "overrides": {"attn_implementation": "flash_attention_2"}},
      "scaling": {"workers": 2}}, "flash_attention_2 cannot run here"),
    ({"scaling": {"workers": 2}, "precision": "fp16"}, "fp16 needs GPU workers"),
])
def test_what_cannot_run_on_the_workers_is_one_line_before_ray(tmp_path, capsys, change,
                                                               message):
    d = train_config(tmp_path, change.get("model", {"preset": "tiny"}), zero=2, workers=2,
                     batch=1)
    d["scaling"] = change["scaling"]  # CPU workers
    if "precision" in change:
        d["stages"][0]["optim"]["precision"] = change["precision"]
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(SystemExit) as exc:
        main(["train", "--config", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and message in err[0], err

"""The pipeline config and plan without Ray: what is checked before any step runs, placeholders,
and fingerprints (the reuse decision)."""

from pathlib import Path

import pytest
import yaml

from vqa.cli import build_parser
from vqa.config import from_dict, load
from vqa.errors import ConfigError
from vqa.pipeline import plan
from vqa.pipeline.config import PipelineConfig
from vqa.pipelines.run_pipeline import check

ROOT = Path(__file__).resolve().parents[2]


def loop(steps, **kw) -> PipelineConfig:
    return from_dict(PipelineConfig, {"name": "t", "out": "/tmp/x", "steps": steps, **kw})


@pytest.mark.parametrize("steps,match", [
    ([{"name": "a", "run": ["ingest", "{b}"]}, {"name": "b", "run": ["corpus", "make"]}],
     r"step a: placeholder \{b\} names no earlier step \(it runs later"),
    ([{"name": "a", "run": ["ingest", "{nope}/x"]}], r"\{nope\} names no earlier step"),
    ([{"name": "s", "service": "serve"}, {"name": "a", "run": ["score", "x", "--url", "{s.api}"]}],
     r"service s gives \{s.rater\}, \{s.chatter\}"),
    ([{"name": "a", "run": ["corpus", "make"]}, {"name": "b", "run": ["ingest", "{a.url}"]}],
     r"a is a command step"),
    ([{"name": "a", "run": ["corpus", "make"]}, {"name": "a", "run": ["corpus", "make"]}],
     "two steps named 'a'"),
    ([{"name": "s", "service": "serve", "options": {"modle": "m"}}],
     r"unknown serve option 'modle' \(did you mean 'model'\?\)"),
    ([{"name": "a"}], "give `run`"),
    ([{"name": "Bad Name", "run": ["corpus", "make"]}], "lower-case"),
    ([{"name": "a", "run": ["corpus", "make"], "servce": "serve"}], "unknown key 'servce'"),
    ([], "names no step"),
])
def test_bad_pipelines_are_refused_naming_the_step(steps, match):
    with pytest.raises(ConfigError, match=match):
        loop(steps)


def test_a_storage_uri_out_is_refused_with_the_reason():
    with pytest.raises(ConfigError, match="out: s3://team/loop — a pipeline's out is a local"):
        loop([{"name": "a", "run": ["corpus", "make"]}], out="s3://team/loop")


@pytest.mark.parametrize("step,match", [
    ({"name": "a", "run": ["ingst", "x"]}, r"step a: `vqa ingst x`: .*invalid choice: 'ingst'"),
    ({"name": "a", "run": ["ingest", "x", "--min-durration", "3"]},
     r"step a: .*unrecognized arguments: --min-durration"),
    ({"name": "a", "run": ["label", "m"], "config": "configs/no-such.yaml"},
     "step a: config file not found: configs/no-such.yaml"),
    ({"name": "t", "run": ["train"], "config": "configs/local-direct.yaml",
      "set": {"datasets": {"rating": {"paht": "x"}}}},
     r"step t: set.datasets.rating: unknown key 'paht' \(did you mean 'path'\?\)"),
    ({"name": "t", "run": ["train"], "config": "configs/local-direct.yaml",
      "set": {"stages": [], "deepspeed": {"zero": 2}}},
     r"set.deepspeed: unknown key 'zero'; valid keys: .*'zero_stage'"),
    ({"name": "t", "run": ["train"], "config": "configs/local-complementary.yaml",
      "set": {"datasets": {"ratng": {"path": "x.jsonl"}}}},
     r"step t: set.datasets: 'ratng' is a new entry that nothing in the config uses \(did you "
     r"mean 'rating'\?\); the names in use: \['incontext', 'incontext_where', 'rating'\]"),
    ({"name": "t", "run": ["train", "--out", "o"], "config": "configs/local-direct.yaml",
      "set": {"out": "elsewhere"}},
     r"step t: set.out: the step's command line gives --out too, and the command line wins"),
])
def test_typos_in_a_step_fail_before_any_step_runs(step, match, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError, match=match):
        check(loop([step]), build_parser())


def test_a_set_that_adds_an_entry_a_stage_names_is_used(monkeypatch):
    monkeypatch.chdir(ROOT)
    stages = yaml.safe_load((ROOT / "configs/local-direct.yaml").read_text())["stages"]
    stages[0]["datasets"] = [*stages[0]["datasets"], "extra"]
    step = {"name": "t", "run": ["train"], "config": "configs/local-direct.yaml",
            "set": {"datasets": {"extra": {"path": "x.jsonl"}}, "stages": stages}}
    check(loop([step]), build_parser())


def test_the_repo_pipeline_checks_out(monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = load(PipelineConfig, ROOT / "configs" / "local-pipeline.yaml")
    check(cfg, build_parser())
    names = [s.name for s in cfg.steps]
    for needed in ("ingest", "label", "synthesize", "fg-benchmark", "rating", "study", "mos",
                   "train", "evaluate", "serve", "annotate", "score"):
        assert needed in names


def test_argv_gets_out_config_and_overwrite_where_the_command_has_them():
    parser = build_parser()
    cfg = loop([{"name": "a", "run": ["corpus", "make", "--num", "2"]},
                {"name": "b", "run": ["train"]},
                {"name": "c", "run": ["score", "{a}/v.mp4", "--url", "http://h:1"]}])
    values = {"out": "/o", "a": "/o/a", "b": "/o/b", "c": "/o/c"}
    a, b, c = (plan.command_argv(s, values, values[s.name], None, parser) for s in cfg.steps)
    assert a == ["corpus", "make", "--num", "2", "--out", "/o/a", "--overwrite"]
    assert plan.command_argv(cfg.steps[1], values, "/o/b", "/o/.pipeline/b.yaml", parser) == \
        ["train", "--config", "/o/.pipeline/b.yaml", "--out", "/o/b"]  # train resumes: no flag
    assert c == ["score", "/o/a/v.mp4", "--url", "http://h:1", "--out", "/o/c"]


def test_step_config_merges_set_and_fills_placeholders(tmp_path):
    base = tmp_path / "train.yaml"
    base.write_text(yaml.safe_dump({"datasets": {"rating": {"path": "old", "max_samples": 3}},
                                    "seed": 0}))
    cfg = loop([{"name": "r", "run": ["corpus", "make"]},
                {"name": "t", "run": ["train"], "config": str(base),
                 "set": {"datasets": {"rating": {"path": "{r}/train.jsonl"}}, "seed": 1}}])
    data = plan.step_config(cfg.steps[1], {"out": "/o", "r": "/o/r"})
    assert data == {"datasets": {"rating": {"path": "/o/r/train.jsonl", "max_samples": 3}},
                    "seed": 1}


def test_fingerprints_follow_config_content_and_upstream():
    a = plan.fingerprint({"argv": ["x"], "config": {"lr": 1}}, [])
    assert a == plan.fingerprint({"argv": ["x"], "config": {"lr": 1}}, [])
    assert a != plan.fingerprint({"argv": ["x"], "config": {"lr": 2}}, [])
    assert a != plan.fingerprint({"argv": ["x"], "config": {"lr": 1}}, ["upstream-changed"])


def test_the_cluster_pipeline_checks_out(monkeypatch):
    """Its steps parse and name configs that exist (the paths it names are the cluster's)."""
    monkeypatch.chdir(ROOT)
    check(load(PipelineConfig, ROOT / "configs" / "cluster-pipeline.yaml"), build_parser())


def test_decide_reuses_finished_steps_and_reruns_what_changed_downstream(tmp_path):
    """From markers alone: same inputs → reuse; an edited config → run (cleared), and so does
    every step that reads it; an unfinished marker → run without clearing (train resumes)."""
    parser = build_parser()
    label_cfg = tmp_path / "label.yaml"
    label_cfg.write_text("max_frames: 12\n")

    def cfg():
        return loop([{"name": "corpus", "run": ["corpus", "make"]},
                     {"name": "label", "run": ["label", "{corpus}/m.parquet"],
                      "config": str(label_cfg)},
                     {"name": "score", "run": ["score", "{corpus}/a.mp4", "--model", "m"]},
                     {"name": "evaluate", "run": ["evaluate", "--labels", "{label}/labels.csv"]}],
                    out=str(tmp_path / "o"))

    first = plan.decide(cfg(), parser)
    assert [d.action for d in first] == ["run"] * 4 and not any(d.clear for d in first)
    for d in first:  # as a finished run leaves them
        plan.write_marker(cfg(), d.step.name, {"fingerprint": d.fingerprint, "seconds": 1.0,
                                               "finished": "2026-12-04 00:00:00"})
    assert [d.action for d in plan.decide(cfg(), parser)] == ["reuse"] * 4
    label_cfg.write_text("max_frames: 24\n")  # edit one step's config
    again = {d.step.name: d for d in plan.decide(cfg(), parser)}
    assert {n: d.action for n, d in again.items()} == {
        "corpus": "reuse", "label": "run", "score": "reuse", "evaluate": "run"}
    assert again["label"].clear and again["evaluate"].clear
    plan.write_marker(cfg(), "label", {"fingerprint": again["label"].fingerprint,
                                       "finished": None})  # started, then interrupted
    label = plan.decide(cfg(), parser)[1]
    assert (label.action, label.clear) == ("run", False) and "resumes" in label.why
    assert all(d.action == "run" and d.clear for d in plan.decide(cfg(), parser, fresh=True))

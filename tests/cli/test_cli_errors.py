"""Every command with the inputs people mistype (missing file, folder instead of file, empty
file, wrong format, unreachable cluster or endpoint, a finished run in --out …), each in a
process of its own: exit 2, exactly one line on stderr that names the command and the input,
no traceback — and nothing of Ray started for what can be checked before it."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys

import pytest
import yaml

from cli_helpers import ROOT, clean_env, vqa_cli  # noqa: F401

UNREACHABLE = "127.0.0.1:1"  # nothing listens on port 1
SUBACTIONS = {("annotate", "review"), ("model", "init"), ("corpus", "make")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, clip_factory):
    """One of every kind of bad (and a few good) inputs, in one folder the cases run in."""
    import pandas as pd

    from vqa.data import write_manifest
    from vqa.model.presets import build_model, preset_config
    from vqa.pipelines.ingest import probe_row

    d = tmp_path_factory.mktemp("inputs")
    clip = clip_factory("cli_clip.mp4", frames=30)
    (d / "vids").mkdir()
    shutil.copy(clip, d / "vids" / "a.mp4")
    (d / "emptydir").mkdir()
    (d / "afile.txt").write_text("not a folder\n")
    (d / "zero.csv").write_text("")
    (d / "header.csv").write_text("subject,video,dimension,score\n")
    (d / "text.parquet").write_text("plain text, not parquet\n")
    (d / "nocol.csv").write_text("a,b\n1,2\n")
    rows = [("s1", f"v{i}", "overall", 1 + i % 5) for i in range(4)]
    pd.DataFrame(rows, columns=["subject", "video", "dimension", "score"]).to_csv(
        d / "one_subject.csv", index=False)
    study = [(f"s{s}", f"v{v}", "overall", 1 + (s + v) % 5) for s in range(6) for v in range(3)]
    pd.DataFrame(study, columns=["subject", "video", "dimension", "score"]).to_csv(
        d / "study.csv", index=False)
    pd.DataFrame({"a": [1], "b": [2]}).to_parquet(d / "notmanifest.parquet")
    write_manifest([probe_row("a", str(d / "vids" / "a.mp4"), "packets", 0, 100)],
                   d / "manifest.parquet")
    (d / "labels.csv").write_text("video,mos\nv1,50\nv2,70\n")
    (d / "dims.csv").write_text("video,dimension,mos\nv1,blur,50\nv1,noise,40\n")
    (d / "finished").mkdir()
    (d / "finished" / "summary.json").write_text("{}")
    (d / "samples.json").write_text("{not json")
    (d / "bad.yaml").write_text("src: x\nout: y\nmax_durration: 3\n")
    (d / "broken.yaml").write_text("src: [unclosed\n")
    (d / "pipe_typo.yaml").write_text("name: p\nout: o\nstpes: []\n")
    (d / "pipe_bad_step.yaml").write_text("name: p\nout: o\nsteps: [{name: a, run: [ingst]}]\n")
    (d / "pipe_later.yaml").write_text("name: p\nout: o\nsteps: [{name: a, run: [ingest, "
                                       "'{b}']}, {name: b, run: [corpus, make]}]\n")
    (d / "pipe_ok.yaml").write_text("name: p\nout: o\nsteps: [{name: a, run: [corpus, make]}]\n")
    model = d / "model"
    build_model(preset_config("tiny")).save_pretrained(model)
    shutil.copytree(model, d / "corrupt_model")
    (d / "corrupt_model" / "model.safetensors").write_bytes(b"\x00" * 64)
    shutil.copytree(model, d / "notok_model")
    shutil.rmtree(d / "notok_model" / "tokenizer")
    shutil.copytree(model, d / "badcfg_model")
    (d / "badcfg_model" / "config.yaml").write_text("vision: [oops\n")
    port = free_port()
    (d / "annotate.yaml").write_text(yaml.safe_dump({"roles": {
        r: {"base_url": f"http://127.0.0.1:{port}/v1"} for r in
        ("expert", "summarizer", "judge", "writer")}}))
    train = yaml.safe_load((ROOT / "configs/local-direct.yaml").read_text())
    (d / "train_typo.yaml").write_text(yaml.safe_dump({**train, "scaling": {"workres": 2}}))
    sample = {"video": "vids/a.mp4", "conversations": [
        {"from": "human", "value": "<video>\nRate the quality."}, {"from": "gpt", "value": "Good."}]}
    (d / "samples.jsonl").write_text(json.dumps(sample) + "\n")
    (d / "train_ok.yaml").write_text(yaml.safe_dump(
        {**train, "out": "train_out", "frames": {"root": "frames"},
         "datasets": {k: {"path": "samples.jsonl"} for k in train["datasets"]}}))
    (d / "train_nodata.yaml").write_text(yaml.safe_dump(
        {**train, "datasets": {k: {**v, "path": "nowhere/samples.jsonl"}
                               for k, v in train["datasets"].items()}}))
    (d / "eval_typo.yaml").write_text(yaml.safe_dump({"model": "model", "labls": ["labels.csv"]}))
    (d / "tune_typo.yaml").write_text(yaml.safe_dump(
        {"name": "t", "train": str(ROOT / "configs/local-tune-train.yaml"), "trails": 2}))
    (d / "tune_nospace.yaml").write_text(yaml.safe_dump({"name": "t", "train": "x.yaml"}))
    (d / "tune_notrain.yaml").write_text(yaml.safe_dump(
        {"name": "t", "train": "nowhere.yaml",
         "space": str(ROOT / "tune_spaces/lora-frames.yaml")}))
    return {"dir": d, "endpoint": f"http://127.0.0.1:{port}/v1"}


# (case id, argv, extra env, words the one stderr line must hold: the input it names)
CASES = [
    # ingest
    ("ingest-missing-src", ["ingest", "nonexistent", "--out", "o"], {}, ["nonexistent"]),
    ("ingest-glob-no-match", ["ingest", "nomatch/*.mp4", "--out", "o"], {},
     ["nomatch/*.mp4", "no videos matched"]),
    ("ingest-empty-dir", ["ingest", "emptydir", "--out", "o"], {},
     ["emptydir", "no videos matched"]),
    ("ingest-out-is-file", ["ingest", "vids", "--out", "afile.txt"], {}, ["afile.txt", "file"]),
    ("ingest-out-finished", ["ingest", "vids", "--out", "finished"], {},
     ["finished", "--overwrite"]),
    ("ingest-list-no-path-column", ["ingest", "nocol.csv", "--out", "o"], {},
     ["nocol.csv", "path column"]),
    ("ingest-list-not-parquet", ["ingest", "text.parquet", "--out", "o"], {}, ["text.parquet"]),
    ("ingest-unreachable-address", ["ingest", "vids", "--out", "o", "--address", UNREACHABLE],
     {}, [UNREACHABLE]),
    ("ingest-garbage-ray-address", ["ingest", "vids", "--out", "o"], {"RAY_ADDRESS": "garbage"},
     ["RAY_ADDRESS", "garbage"]),
    ("ingest-config-missing", ["ingest", "vids", "--config", "nope.yaml"], {}, ["nope.yaml"]),
    ("ingest-config-typo", ["ingest", "vids", "--config", "bad.yaml"], {}, ["max_durration"]),
    ("ingest-config-malformed", ["ingest", "vids", "--config", "broken.yaml"], {},
     ["broken.yaml", "YAML"]),
    ("ingest-config-is-dir", ["ingest", "vids", "--config", "emptydir"], {}, ["emptydir"]),
    # label
    ("label-missing-manifest", ["label", "nope.parquet", "--out", "o"], {}, ["nope.parquet"]),
    ("label-no-manifest", ["label", "--out", "o"], {}, ["missing key 'manifest'"]),
    ("label-manifest-not-parquet", ["label", "text.parquet", "--out", "o"], {},
     ["text.parquet", "parquet"]),
    ("label-not-a-manifest", ["label", "notmanifest.parquet", "--out", "o"], {},
     ["notmanifest.parquet", "not a manifest"]),
    ("label-out-is-file", ["label", "manifest.parquet", "--out", "afile.txt"], {},
     ["afile.txt", "file"]),
    ("label-out-finished", ["label", "manifest.parquet", "--out", "finished"], {},
     ["finished", "--overwrite"]),
    ("label-unknown-rater", ["label", "manifest.parquet", "--out", "o", "--raters", "baseline",
                             "niqe"], {}, ["unknown rater 'niqe'", "baseline"]),
    ("label-model-rater-missing", ["label", "manifest.parquet", "--out", "o", "--raters",
                                   "models:/nomodel/1"], {}, ["models:/nomodel/1"]),
    ("label-unreachable-address", ["label", "manifest.parquet", "--out", "o", "--address",
                                   UNREACHABLE], {}, [UNREACHABLE]),
    # mos
    ("mos-missing-ratings", ["mos", "--ratings", "nope.csv", "--out", "o"], {}, ["nope.csv"]),
    ("mos-ratings-is-dir", ["mos", "--ratings", "emptydir", "--out", "o"], {}, ["emptydir"]),
    ("mos-empty-file", ["mos", "--ratings", "zero.csv", "--out", "o"], {}, ["zero.csv", "empty"]),
    ("mos-header-only", ["mos", "--ratings", "header.csv", "--out", "o"], {},
     ["header.csv", "no rows"]),
    ("mos-not-parquet", ["mos", "--ratings", "text.parquet", "--out", "o"], {},
     ["text.parquet"]),
    ("mos-missing-columns", ["mos", "--ratings", "nocol.csv", "--out", "o"], {},
     ["nocol.csv", "missing column"]),
    ("mos-single-subject", ["mos", "--ratings", "one_subject.csv", "--out", "o"], {},
     ["one_subject.csv", "1 subject", "at least 6", "--no-screening"]),
    ("mos-out-is-file", ["mos", "--ratings", "study.csv", "--out", "afile.txt"], {},
     ["afile.txt"]),
    ("mos-out-finished", ["mos", "--ratings", "study.csv", "--out", "finished"], {},
     ["finished", "--overwrite"]),
    ("mos-unreachable-address", ["mos", "--ratings", "study.csv", "--out", "o", "--address",
                                 UNREACHABLE], {}, [UNREACHABLE]),
    ("mos-objective-missing", ["mos", "--ratings", "study.csv", "--out", "o", "--objective",
                               "nope.csv"], {}, ["nope.csv"]),
    # mos-select
    ("select-missing-pool", ["mos-select", "--pool", "nope.csv", "--num", "1", "--out", "s.csv"],
     {}, ["nope.csv"]),
    ("select-pool-is-dir", ["mos-select", "--pool", "emptydir", "--num", "1", "--out", "s.csv"],
     {}, ["emptydir"]),
    ("select-empty-pool", ["mos-select", "--pool", "zero.csv", "--num", "1", "--out", "s.csv"],
     {}, ["zero.csv"]),
    ("select-out-is-dir", ["mos-select", "--pool", "labels.csv", "--num", "1", "--out",
                           "emptydir"], {}, ["emptydir"]),
    ("select-dimension-plain-labels", ["mos-select", "--pool", "labels.csv", "--num", "1",
                                       "--out", "s.csv", "--dimension", "blur"], {},
     ["labels.csv", "dimension"]),
    ("select-no-overall", ["mos-select", "--pool", "dims.csv", "--num", "1", "--out", "s.csv"],
     {}, ["dims.csv", "--dimension"]),
    # mos-simulate
    ("simulate-missing-pool", ["mos-simulate", "--pool", "nope.csv", "--out", "st"], {},
     ["nope.csv"]),
    ("simulate-empty-pool", ["mos-simulate", "--pool", "zero.csv", "--out", "st"], {},
     ["zero.csv"]),
    ("simulate-out-finished", ["mos-simulate", "--pool", "labels.csv", "--out", "finished"], {},
     ["finished", "--overwrite"]),
    ("simulate-too-many-bad", ["mos-simulate", "--pool", "labels.csv", "--out", "st",
                               "--subjects", "4", "--bad-subjects", "4"], {},
     ["--bad-subjects 4"]),
    # pipeline
    ("pipeline-missing-config", ["pipeline", "nope.yaml"], {}, ["nope.yaml"]),
    ("pipeline-malformed", ["pipeline", "broken.yaml"], {}, ["broken.yaml", "YAML"]),
    ("pipeline-config-typo", ["pipeline", "pipe_typo.yaml"], {}, ["unknown key 'stpes'"]),
    ("pipeline-unknown-command", ["pipeline", "pipe_bad_step.yaml"], {},
     ["step a", "invalid choice: 'ingst'"]),
    ("pipeline-later-placeholder", ["pipeline", "pipe_later.yaml"], {},
     ["step a", "{{b}}", "runs later"]),
    ("pipeline-until-unknown", ["pipeline", "pipe_ok.yaml", "--until", "nope"], {},
     ["no step named 'nope'"]),
    ("pipeline-unreachable-address", ["pipeline", "pipe_ok.yaml", "--address", UNREACHABLE],
     {}, [UNREACHABLE]),
    # synthesize
    ("synth-missing-manifest", ["synthesize", "--manifest", "nope.parquet", "--out", "o"], {},
     ["nope.parquet"]),
    ("synth-manifest-not-parquet", ["synthesize", "--manifest", "text.parquet", "--out", "o"],
     {}, ["text.parquet", "parquet"]),
    ("synth-manifest-is-dir", ["synthesize", "--manifest", "emptydir", "--out", "o"], {},
     ["emptydir"]),
    ("synth-not-a-manifest", ["synthesize", "--manifest", "notmanifest.parquet", "--out", "o"],
     {}, ["notmanifest.parquet", "manifest"]),
    ("synth-out-is-file", ["synthesize", "--manifest", "manifest.parquet", "--out",
                           "afile.txt"], {}, ["afile.txt"]),
    ("synth-no-sources", ["synthesize", "--manifest", "manifest.parquet", "--out", "o",
                          "--benchmark", "--holdout-fraction", "0"], {},
     ["manifest.parquet", "no held-out"]),
    ("synth-unreachable-address", ["synthesize", "--manifest", "manifest.parquet", "--out", "o",
                                   "--holdout-fraction", "0", "--address", UNREACHABLE], {},
     [UNREACHABLE]),
    # annotate
    ("annotate-missing-manifest", ["annotate", "--manifest", "nope.parquet", "--out", "o"], {},
     ["nope.parquet"]),
    ("annotate-manifest-not-parquet", ["annotate", "--manifest", "text.parquet", "--out", "o"],
     {}, ["text.parquet"]),
    ("annotate-out-is-file", ["annotate", "--manifest", "manifest.parquet", "--out",
                              "afile.txt"], {}, ["afile.txt"]),
    ("annotate-endpoint-down", ["annotate", "--manifest", "manifest.parquet", "--out", "o",
                                "--config", "annotate.yaml"], {}, ["{endpoint}", "answer"]),
    ("review-missing-dir", ["annotate", "review", "nodir", "--status"], {}, ["nodir"]),
    ("review-not-annotate-dir", ["annotate", "review", "emptydir", "--status"], {},
     ["emptydir", "review_queue.jsonl"]),
    # score
    ("score-missing-video", ["score", "nope.mp4", "--model", "model"], {}, ["nope.mp4"]),
    ("score-video-is-dir", ["score", "emptydir", "--model", "model"], {}, ["emptydir"]),
    ("score-missing-model", ["score", "vids/a.mp4", "--model", "nomodel"], {}, ["nomodel"]),
    ("score-dir-not-model", ["score", "vids/a.mp4", "--model", "emptydir"], {}, ["emptydir"]),
    ("score-corrupt-weights", ["score", "vids/a.mp4", "--model", "corrupt_model"], {},
     ["corrupt_model/model.safetensors"]),
    ("score-model-without-tokenizer", ["score", "vids/a.mp4", "--model", "notok_model"], {},
     ["notok_model", "tokenizer"]),
    ("score-corrupt-config", ["score", "vids/a.mp4", "--model", "badcfg_model"], {},
     ["badcfg_model/config.yaml", "YAML"]),
    # model, corpus
    ("model-init-out-is-file", ["model", "init", "--out", "afile.txt"], {}, ["afile.txt"]),
    ("model-init-out-has-model", ["model", "init", "--out", "model"], {},
     ["model", "--overwrite"]),
    ("corpus-out-is-file", ["corpus", "make", "--out", "afile.txt", "--num", "1"], {},
     ["afile.txt"]),
    # frames
    ("frames-missing-samples", ["frames", "--samples", "nope.jsonl", "--preset", "tiny",
                                "--out", "f"], {}, ["nope.jsonl"]),
    ("frames-samples-not-json", ["frames", "--samples", "samples.json", "--preset", "tiny",
                                 "--out", "f"], {}, ["samples.json", "JSON"]),
    ("frames-manifest-not-parquet", ["frames", "--manifest", "text.parquet", "--preset", "tiny",
                                     "--out", "f"], {}, ["text.parquet"]),
    ("frames-unreachable-address", ["frames", "--samples", "samples.jsonl", "--preset", "tiny",
                                    "--out", "f", "--address", UNREACHABLE], {}, [UNREACHABLE]),
    ("frames-out-is-file", ["frames", "--manifest", "manifest.parquet", "--preset", "tiny",
                            "--out", "afile.txt"], {}, ["afile.txt"]),
    # train
    ("train-config-missing", ["train", "--config", "nope.yaml"], {}, ["nope.yaml"]),
    ("train-config-typo", ["train", "--config", "train_typo.yaml"], {}, ["workres", "workers"]),
    ("train-dataset-missing", ["train", "--config", "train_nodata.yaml"], {},
     ["nowhere/samples.jsonl"]),
    ("train-no-config", ["train"], {}, ["--config"]),
    ("train-out-is-file", ["train", "--config", "train_ok.yaml", "--out", "afile.txt"], {},
     ["afile.txt"]),
    ("train-unreachable-address", ["train", "--config", "train_ok.yaml", "--address",
                                   UNREACHABLE], {}, [UNREACHABLE]),
    # evaluate
    ("evaluate-model-missing", ["evaluate", "--model", "nomodel", "--labels", "labels.csv"], {},
     ["nomodel"]),
    ("evaluate-labels-missing", ["evaluate", "--model", "model", "--labels", "nope.csv"], {},
     ["nope.csv"]),
    ("evaluate-labels-empty", ["evaluate", "--model", "model", "--labels", "zero.csv"], {},
     ["zero.csv"]),
    ("evaluate-benchmark-not-json", ["evaluate", "--model", "model", "--benchmark",
                                     "samples.json"], {}, ["samples.json"]),
    ("evaluate-out-is-file", ["evaluate", "--model", "model", "--labels", "labels.csv",
                              "--out", "afile.txt"], {}, ["afile.txt"]),
    ("evaluate-config-typo", ["evaluate", "--config", "eval_typo.yaml"], {},
     ["labls", "labels"]),
    # tune
    ("tune-no-config", ["tune"], {}, ["--config"]),
    ("tune-config-no-space", ["tune", "--config", "tune_nospace.yaml"], {},
     ["missing key 'space'"]),
    ("tune-config-missing", ["tune", "--config", "nope.yaml"], {}, ["nope.yaml"]),
    ("tune-config-typo", ["tune", "--config", "tune_typo.yaml"], {}, ["trails", "trials"]),
    ("tune-train-config-missing", ["tune", "--config", "tune_notrain.yaml"], {},
     ["nowhere.yaml"]),
    # serve
    ("serve-model-missing", ["serve", "--model", "nomodel"], {}, ["nomodel"]),
    ("serve-model-is-file", ["serve", "--model", "afile.txt"], {}, ["afile.txt"]),
    ("serve-config-missing", ["serve", "--model", "model", "--config", "nope.yaml"], {},
     ["nope.yaml"]),
    ("serve-config-malformed", ["serve", "--model", "model", "--config", "broken.yaml"], {},
     ["broken.yaml"]),
    ("serve-unreachable-address", ["serve", "--model", "model", "--address", UNREACHABLE], {},
     [UNREACHABLE]),
]


@pytest.mark.parametrize("case_id,argv,env,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2(vqa_cli, inputs, case_id, argv, env, words):
    res = vqa_cli(argv, env=env, cwd=inputs["dir"])
    command = " ".join(["vqa", *argv[:2]] if tuple(argv[:2]) in SUBACTIONS else ["vqa", argv[0]])
    assert res.rc == 2, (res.rc, res.err[-3000:])
    assert "Traceback" not in res.err
    assert len(res.err_lines) == 1, res.err
    line = res.err_lines[0]
    assert line.startswith(f"{command}: "), line
    for w in words:
        assert w.format(**inputs) in line, (w, line)
    assert "Started a local Ray instance" not in res.err + res.out


def test_verbose_shows_the_traceback(vqa_cli, inputs):
    res = vqa_cli(["ingest", "nonexistent", "--out", "o"], env={"VQA_DEBUG": "1"},
                  cwd=inputs["dir"])
    assert res.rc == 2 and "Traceback" in res.err and "SourceError" in res.err
    assert res.err_lines[-1].startswith("vqa ingest: SRC not found: nonexistent")
    res = vqa_cli(["ingest", "nonexistent", "--out", "o", "--verbose"], cwd=inputs["dir"])
    assert res.rc == 2 and "Traceback" in res.err


def test_argparse_errors_stay_argparse(vqa_cli, inputs):
    res = vqa_cli(["ingest", "vids", "--min-duration", "short"], cwd=inputs["dir"])
    assert res.rc == 2 and "usage: vqa ingest" in res.err and "Traceback" not in res.err
    assert "invalid float value: 'short'" in res.err
    res = vqa_cli(["ingest"], cwd=inputs["dir"])  # src may come from --config: named if neither
    assert res.rc == 2 and "missing keys 'src', 'out'" in res.err


def test_unreachable_cluster_is_found_by_one_bounded_probe(monkeypatch):
    """The probe, not Ray's minutes of GCS retries: one connection attempt bounded by the probe
    timeout, refused → named at once, silent → "no answer in 3 s", a malformed address → no
    connection at all. (How fast that is on a real network: a benchmark's business.)"""
    import vqa.runtime as runtime
    from vqa.errors import ClusterError

    for address, words in [(UNREACHABLE, "connection refused"),  # a real closed port
                           ("ray://127.0.0.1:1", "connection refused")]:
        with pytest.raises(ClusterError, match=words):
            runtime.check_address(address)
    calls = []

    def silent(addr, timeout=None):
        calls.append((addr, timeout))
        raise TimeoutError("timed out")

    monkeypatch.setattr(runtime.socket, "create_connection", silent)
    with pytest.raises(ClusterError, match=f"no answer in {runtime.PROBE_TIMEOUT_S:g} s"):
        runtime.check_address("10.255.255.1:6379")
    assert calls == [(("10.255.255.1", 6379), runtime.PROBE_TIMEOUT_S)]  # once, bounded
    for malformed in ("garbage", "host:99999"):
        with pytest.raises(ClusterError, match="HOST:PORT"):
            runtime.check_address(malformed)
    assert len(calls) == 1  # malformed addresses never reach the network
    monkeypatch.undo()
    with socket.socket() as s:  # a listening port answers: no error
        s.bind(("127.0.0.1", 0))
        s.listen()
        runtime.check_address(f"127.0.0.1:{s.getsockname()[1]}")


def test_console_script_entry_point(inputs):
    """The real entry point (`python -m vqa.cli`, as the console script and jobs/*.py call it),
    not the fork runner: the same one line and exit code."""
    res = subprocess.run([sys.executable, "-m", "vqa.cli", "ingest", "vids", "--out", "o",
                          "--address", UNREACHABLE], capture_output=True, text=True,
                         env=clean_env(), cwd=inputs["dir"], timeout=120)
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.returncode == 2 and len(lines) == 1 and UNREACHABLE in lines[0], res.stderr


def test_an_expected_failure_inside_a_ray_task_is_still_one_line():
    """Ray re-raises a task's exception as a subclass of both RayTaskError and the original
    type (so the boundary catches it); the line is the original message, not Ray's traceback."""
    from ray.exceptions import RayTaskError

    from vqa.cli import error_line
    from vqa.errors import EXPECTED, InputError

    wrapped = RayTaskError("probe_batch", "Traceback (most recent call last):\n  …",
                           InputError("clip.mp4: unreadable")).as_instanceof_cause()
    assert isinstance(wrapped, EXPECTED)
    assert error_line(wrapped) == "clip.mp4: unreadable"


def test_every_command_has_bad_input_cases():
    """A command that lands gets its rows in CASES (missing file, folder for file, empty file,
    wrong format, unreachable address — those that apply), or this fails and names it."""
    from vqa.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    covered = {argv[0] for _, argv, _, _ in CASES}
    assert set(sub.choices) - covered == set()


def test_a_registry_model_without_a_store_names_mlflow_tracking_uri_and_writes_nothing(
        tmp_path, clip_factory):
    """`vqa score --model models:/NAME/1` run outside the checkout, no store configured: one
    line saying where to point MLFLOW_TRACKING_URI, and no stray mlruns.db left behind."""
    import subprocess
    import sys

    from cli_helpers import clean_env

    env = {k: v for k, v in clean_env().items()
           if k not in ("MLFLOW_TRACKING_URI", "VQA_STORAGE_ROOT")}
    res = subprocess.run([sys.executable, "-m", "vqa.cli", "score", str(clip_factory()),
                          "--model", "models:/vqa-tiny/1"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stderr[-2000:]
    assert "models:/vqa-tiny/1" in lines[0] and "MLFLOW_TRACKING_URI" in lines[0]
    assert list(tmp_path.iterdir()) == []

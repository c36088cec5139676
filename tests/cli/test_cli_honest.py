"""What a command prints agrees with what it did: no success that is not one (every item
failed → exit 1 with the dominant reason), counts and warnings once and true, scales stated,
the same failure in the same words, no output that looks finished when it is not."""

from __future__ import annotations

import json
import re
import shutil
import socket

import pandas as pd
import pytest
import yaml

from vqa.cli import main

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_mos_select_on_vqa_mos_output_picks_by_one_dimension(tmp_path, capsys):
    """`vqa mos` writes one row per video and dimension: selection uses one dimension's MOS
    (overall unless --dimension), and counts videos, not rows."""
    dims = ["overall", "color", "noise", "artifact", "blur", "temporal"]
    rows = [{"video": f"v{i}", "dimension": d, "mos": float((i * 7 + 13 * k) % 100)}
            for i in range(60) for k, d in enumerate(dims)]
    pd.DataFrame(rows).to_csv(tmp_path / "mos.csv", index=False)
    truth = pd.DataFrame(rows).set_index(["video", "dimension"])["mos"]
    for flag, dim in [([], "overall"), (["--dimension", "blur"], "blur")]:
        out = tmp_path / f"sel_{dim}.csv"
        assert main(["mos-select", "--pool", str(tmp_path / "mos.csv"), "--num", "20",
                     "--out", str(out), *flag]) == 0
        printed = capsys.readouterr().out
        assert f"selected 20 of 60 videos by their {dim} MOS" in printed
        sel = pd.read_csv(out)
        assert len(sel) == sel["video"].nunique() == 20
        assert all(truth[(v, dim)] == m for v, m in zip(sel["video"], sel["mos"]))


def test_score_states_scales_expected_level_and_uncertainty(tmp_path, clip_factory, capsys,
                                                            broken_files, monkeypatch):
    from vqa.commands.common import console
    from vqa.model.rating import UNCERTAIN_P
    from vqa.model.presets import build_model, preset_config
    from vqa.pipelines.ingest import probe_row

    model = tmp_path / "m"
    build_model(preset_config("tiny")).save_pretrained(model)
    clip = clip_factory("honest_score.mp4", frames=30)
    truncated = broken_files["truncated"]
    assert main(["score", str(clip), str(truncated), "--model", str(model), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["scales"]["score"] == [1.0, 5.0] and report["scales"]["score_100"] == [0, 100]
    ok, bad = report["results"]
    bands = ["low", "poor", "fair", "good", "excellent"]  # 0–20, 20–40, … on 0–100
    assert ok["score_100"] == pytest.approx(25 * (ok["score"] - 1))
    assert ok["level"] == bands[min(4, int(ok["score_100"] // 20))]
    assert ok["likeliest_level"] == max(ok["probs"], key=ok["probs"].get)
    assert ok["p_likeliest"] == ok["probs"][ok["likeliest_level"]]
    assert ok["uncertain"] == (ok["p_likeliest"] < UNCERTAIN_P)
    ingest_reason = probe_row("t", str(truncated), "packets", 0, 100)["error"]
    assert bad["error"] == f"{truncated}: {ingest_reason}" and "truncated" in ingest_reason

    monkeypatch.setattr(console, "width", 240)  # one table row per video, headers unwrapped
    assert main(["score", str(clip), "--model", str(model)]) == 0
    table = capsys.readouterr().out
    for words in ("score 1–5", "0–100", "level (of the score)", "likeliest level (p)",
                  "(uncertain) below p = 0.4"):
        assert words in " ".join(table.split()), words
    row = next(x for x in table.splitlines() if clip.name in x)
    assert ("(uncertain)" in row) == ok["uncertain"] and ok["level"] in row
    assert f"{ok['likeliest_level']} ({ok['p_likeliest']:.2f})" in row


def test_model_help_says_what_exists(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("model"))
    assert "init" in line and "inspect" not in line


def test_review_of_a_missing_folder_creates_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        main(["annotate", "review", str(tmp_path / "nope")])
    assert err.value.code == 2 and not (tmp_path / "nope").exists()
    assert "nope: not found" in capsys.readouterr().err


def test_review_of_an_empty_queue_writes_nothing(tmp_path, capsys):
    out = tmp_path / "ann"
    out.mkdir()
    (out / "review_queue.jsonl").write_text("")
    before = sorted(p.name for p in out.iterdir())
    for extra in ([], ["--export", str(tmp_path / "todo.csv")], ["--status"]):
        assert main(["annotate", "review", str(out), *extra]) == 0
        assert "review queue: empty" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == before
    assert not (tmp_path / "todo.csv").exists()


def test_out_folder_rules_and_atomic_writes(tmp_path):
    from vqa.errors import InputError
    from vqa.outputs import atomic_path, check_out_dir

    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.parquet").write_text("left by an interrupted run")
    check_out_dir(out)  # no summary.json: not finished, a re-run may write here
    (out / "summary.json").write_text("{}")
    with pytest.raises(InputError, match="holds a finished run"):
        check_out_dir(out)
    check_out_dir(out, overwrite=True)
    check_out_dir(out, resumes=True)
    with pytest.raises(InputError, match="is a file"):
        check_out_dir(out / "summary.json", overwrite=True)
    target = tmp_path / "x.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert not target.exists() and not list(tmp_path.glob(".x.json*"))
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"


def test_breaker_stops_sending_to_an_endpoint_that_is_not_there():
    """After 3 requests in a row could not connect, the client fails fast without sending;
    without a breaker every request walks its whole retry ladder."""
    import asyncio

    from vqa.annotate.endpoints import EndpointConfig, EndpointError, RoleClient

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    async def attempts(breaker: int) -> list[int]:
        cfg = EndpointConfig(base_url=f"http://127.0.0.1:{port}/v1", max_retries=3,
                             backoff_base_s=0.001, backoff_max_s=0.002,
                             breaker_failures=breaker)
        client = RoleClient("expert", cfg)
        seen = []
        for _ in range(6):
            with pytest.raises(EndpointError, match="connection") as err:
                await client.chat([{"role": "user", "content": "hi"}])
            seen.append(err.value.attempts)
        await client.close()
        return seen

    assert asyncio.run(attempts(3)) == [4, 4, 4, 0, 0, 0]
    assert asyncio.run(attempts(0)) == [4] * 6


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_ingest_of_only_broken_videos_fails(broken_files, cwd, ray_local, mlflow_uri, capsys):
    pool = cwd / "pool"
    pool.mkdir()
    for kind in ("empty", "truncated", "not_a_video"):
        shutil.copy(broken_files[kind], pool / broken_files[kind].name)
    with pytest.raises(SystemExit) as err:
        main(["ingest", str(pool), "--out", str(cwd / "o")])
    assert err.value.code == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("vqa ingest: failed: no video kept of 3:") and "truncated" in line
    assert (cwd / "o" / "manifest.parquet").exists()  # the error rows are still written


def test_annotate_where_every_row_fails_exits_1_naming_the_endpoint(cwd, clip_factory,
                                                                    ray_local, mlflow_uri,
                                                                    capfd):
    from vqa.annotate.testing import ScriptedServer
    from vqa.data import write_manifest

    clip = clip_factory("honest_ann.mp4", frames=30)
    write_manifest([{"video_id": f"v{i}", "path": str(clip), "duration": 1.2, "status": "ok"}
                    for i in range(2)], cwd / "manifest.parquet")
    server = ScriptedServer(faults=[{"kind": "401", "times": 10**6}]).start()
    try:
        cfg = yaml.safe_load((ROOT / "configs/local-annotate.yaml").read_text())
        for role in cfg["roles"].values():
            role.update(base_url=server.base_url, timeout_s=2.0)
        cfg.update(keyframe_size=64, max_keyframes=2, actors=1)
        (cwd / "a.yaml").write_text(yaml.safe_dump(cfg))
        with pytest.raises(SystemExit) as err:
            main(["annotate", "--config", str(cwd / "a.yaml"), "--manifest",
                  str(cwd / "manifest.parquet"), "--out", str(cwd / "ann")])
    finally:
        server.stop()
    assert err.value.code == 1
    stderr = capfd.readouterr().err
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("vqa annotate: failed: all 4 rows failed; commonest:")
    assert "auth" in line and server.base_url in line


def test_synthesize_warns_once_and_agrees_with_its_table(cwd, clip_factory, ray_local,
                                                         mlflow_uri, capsys):
    from vqa.data import write_manifest
    from vqa.pipelines.ingest import probe_row

    rows = [probe_row(f"s{i}", str(clip_factory(f"honest_syn{i}.mp4", frames=75, seed=i)),
                      "packets", 0, 100) for i in range(3)]
    write_manifest(rows, cwd / "manifest.parquet")
    assert main(["synthesize", "--manifest", str(cwd / "manifest.parquet"), "--out",
                 str(cwd / "syn"), "--variants", "blur", "--holdout-fraction", "0",
                 "--max-sources", "2", "--questions", "5"]) == 0
    captured = capsys.readouterr()
    warnings = [x for x in captured.err.splitlines() if "warning:" in x]
    assert len(warnings) == 1 and "no quality threshold" in warnings[0]
    assert not re.search(r"\d", warnings[0].split("(")[0])  # claims no count of its own
    summary = json.loads((cwd / "syn" / "summary.json").read_text())
    assert summary["sources_used"] == 2 and summary["sources_ok"] == 3
    table = " ".join(captured.out.split())
    assert "sources_used │ 2" in table and "warnings" not in table

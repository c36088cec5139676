"""serve_apps/config.yaml loads: a valid Serve config whose every app's args validate; a typo in
the args is named; `vqa serve` without a model folder says how to make one."""

from __future__ import annotations

from pathlib import Path

import pytest

from vqa.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_repo_serve_config_loads_and_validates():
    from vqa.pipelines.serve import serve_config
    from vqa.serving.config import app_args

    cfg = serve_config(ROOT / "serve_apps" / "config.yaml", model="/m", port=8123)
    names = [a["name"] for a in cfg["applications"]]
    assert names == ["rater", "chatter"] and cfg["http_options"]["port"] == 8123
    for app in cfg["applications"]:
        a = app_args(app["args"])
        assert a.model == "/m" and not a.media.allow_http and Path(a.media.roots[0]).is_absolute()
        assert app["runtime_env"]["py_modules"] == [f"local://{ROOT}"]
    chatter = app_args(cfg["applications"][1]["args"])
    assert chatter.served_model_names == ["vqa-tiny"]
    only = serve_config(ROOT / "serve_apps" / "config.yaml", apps=["chatter"])
    assert [a["name"] for a in only["applications"]] == ["chatter"]


def test_bad_args_and_apps_are_named(tmp_path):
    from vqa.pipelines.serve import serve_config

    with pytest.raises(ConfigError, match="unknown key 'max_upload'"):
        serve_config(ROOT / "serve_apps" / "config.yaml", args={"limits": {"max_upload": 1}})
    with pytest.raises(ConfigError, match="limits.max_duration_s must be > 0"):
        serve_config(ROOT / "serve_apps" / "config.yaml", args={"limits": {"max_duration_s": 0}})
    with pytest.raises(ConfigError, match="no application named"):
        serve_config(ROOT / "serve_apps" / "config.yaml", apps=["nope"])


def test_vqa_serve_without_a_model_folder_is_a_config_error(tmp_path, capsys):
    from vqa.cli import main as vqa

    with pytest.raises(SystemExit) as exc:
        vqa(["serve", "--model", str(tmp_path / "none"), "--no-block"])
    assert exc.value.code == 2
    assert "model folder not found" in capsys.readouterr().err

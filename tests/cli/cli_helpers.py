"""Fixture and helpers of the CLI tests. `vqa_cli(argv, env=..., cwd=...)` → Result(rc, out, err):
the command in a process of its own (a fork of one runner that imported the CLI once; see
fork_runner.py)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "VQA_DEBUG")}
    env["PYTHONPATH"] = str(ROOT / "platform")
    env["COLUMNS"] = "200"  # rich tables unwrapped, so a reading is on one line
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def vqa_cli(tmp_path_factory):
    logs = tmp_path_factory.mktemp("cli_runs")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fork_runner.py"))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=clean_env(), cwd=str(logs))
    counter = itertools.count()
    ready = []  # the runner imports while the test's other fixtures build their inputs

    def run(argv, env: dict | None = None, cwd=None, timeout: int = 60) -> Result:
        if not ready:
            ready.append(json.loads(proc.stdout.readline()))
            assert ready == [{"ready": True}]
        n = next(counter)
        case = {"argv": [str(a) for a in argv], "env": clean_env(**(env or {})),
                "cwd": str(cwd or logs), "stdout": str(logs / f"{n}.out"),
                "stderr": str(logs / f"{n}.err"), "timeout": timeout}
        proc.stdin.write(json.dumps(case) + "\n")
        proc.stdin.flush()
        rc = json.loads(proc.stdout.readline())["rc"]
        return Result(rc, Path(case["stdout"]).read_text(), Path(case["stderr"]).read_text())

    yield run
    proc.kill()  # no clean interpreter shutdown needed (torch + Ray imported: ~10 s)
    proc.wait(timeout=30)

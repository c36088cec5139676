"""Fixture and helpers of the CLI tests. `vqa_cli(argv, env=..., cwd=...)` → Result(rc, out, err, seconds): the command in a process
of its own (a fork of one runner that imported the CLI once; see fork_runner.py)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    rc: int
    out: str
    err: str
    seconds: float

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
    assert json.loads(proc.stdout.readline()) == {"ready": True}
    counter = itertools.count()

    def run(argv, env: dict | None = None, cwd=None, timeout: int = 60) -> Result:
        n = next(counter)
        case = {"argv": [str(a) for a in argv], "env": clean_env(**(env or {})),
                "cwd": str(cwd or logs), "stdout": str(logs / f"{n}.out"),
                "stderr": str(logs / f"{n}.err"), "timeout": timeout}
        t0 = time.perf_counter()
        proc.stdin.write(json.dumps(case) + "\n")
        proc.stdin.flush()
        rc = json.loads(proc.stdout.readline())["rc"]
        return Result(rc, Path(case["stdout"]).read_text(), Path(case["stderr"]).read_text(),
                      time.perf_counter() - t0)

    yield run
    proc.stdin.close()
    proc.wait(timeout=30)

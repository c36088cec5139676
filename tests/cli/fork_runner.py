"""Runs `vqa` commands as separate processes without paying the CLI's import (~5 s) per case:
this process imports `vqa.cli` once, then forks one child per case. Each child is a process of
its own — its environment, working directory, stdout / stderr files and exit status — running
`vqa.cli.main` exactly as the console script does (an uncaught exception prints Python's
traceback and exits 1). Protocol: one JSON case per stdin line, one JSON result per stdout line.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback


def child(case: dict) -> int:
    from vqa.cli import main

    os.chdir(case["cwd"])
    os.environ.clear()
    os.environ.update(case["env"])
    for fd, name in ((1, "stdout"), (2, "stderr")):
        f = os.open(case[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(f, fd)
        os.close(f)
    signal.alarm(int(case.get("timeout", 60)))  # a hung case dies with SIGALRM (rc -14)
    try:
        return int(main(case["argv"]) or 0)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if not isinstance(code, int):
            print(code, file=sys.stderr)
            return 1
        return code
    except BaseException:  # noqa: BLE001 - what the interpreter does with an uncaught one
        traceback.print_exc()
        return 1


def run(case: dict) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = child(case)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


# What the commands import lazily (pyarrow, pandas, torch, Ray, MLflow …): imported here once so
# each child only runs its command. Nothing here starts a thread or a connection, so forking
# after it is safe.
PRELOAD = ("vqa.cli", "vqa.commands.common", "vqa.pipelines.ingest", "vqa.pipelines.mos",
           "vqa.pipelines.synthesize", "vqa.pipelines.annotate", "vqa.pipelines.frames",
           "vqa.pipelines.train", "vqa.model.vqa_model", "vqa.model.registry", "ray.data")


def serve() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        print(json.dumps({"rc": run(json.loads(line))}), flush=True)


if __name__ == "__main__":
    serve()

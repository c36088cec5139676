"""`vqa …`: the command line; each subcommand lives in `vqa.commands.<name>`.

One error boundary for every command: an expected failure (`vqa.errors.EXPECTED`: a bad path,
file, config value or cluster address) prints one line on stderr — the command, the input, the
reason and the fix — and exits 2; a job in which every item failed exits 1 with its dominant
reason; anything else is a bug and keeps its traceback (exit 1). `--verbose` or `VQA_DEBUG=1`
shows the traceback of an expected failure too.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from vqa import __version__
from vqa.commands import COMMANDS
from vqa.errors import EXPECTED, ConfigError, JobFailed, describe_os_error
from vqa.native_stderr import filter_stderr
from vqa.runtime import NATIVE_NOISE

SUBACTIONS = ("annotate_action", "model_command", "corpus_cmd")  # `vqa annotate review` …


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vqa",
        description="Perceptual video quality assessment at cluster scale: build quality-"
                    "instruction datasets from video pools, fine-tune, tune and serve video "
                    "LMMs that rate and explain quality. Every job runs on Ray (a local "
                    "cluster unless --address / RAY_ADDRESS) and is tracked in MLflow "
                    "(MLFLOW_TRACKING_URI, else sqlite:///mlruns.db here). Exit codes: 0 done, "
                    "2 bad input (one line on stderr naming it), 1 the job failed (or a bug: "
                    "traceback). VQA_DEBUG=1 shows tracebacks for bad inputs too.",
    )
    parser.add_argument("--version", action="version", version=f"vqa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"vqa.commands.{name}").register(sub)
    return parser


def command_name(args: argparse.Namespace) -> str:
    parts = [args.command] + [getattr(args, a) for a in SUBACTIONS if getattr(args, a, None)]
    return "vqa " + " ".join(parts)


def error_line(exc: BaseException) -> str:
    """The one line an expected failure prints (after `vqa CMD: `)."""
    cause = getattr(exc, "cause", None)  # raised in a Ray task: Ray's wrapper holds the original
    if isinstance(cause, BaseException):
        exc = cause
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    text = " ".join(str(exc).split())  # one line, whatever the message held
    return f"config error: {text}" if isinstance(exc, ConfigError) else text


def main(argv: list[str] | None = None) -> int:
    """Run a command → its exit code; a failure raises SystemExit (2 bad input, 1 failed job),
    as argparse does for a bad flag, so a caller (the demo, a test) stops there too."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(os.environ.get("VQA_DEBUG")) or bool(getattr(args, "verbose", False))
    name = command_name(args)
    if argv is None and not debug:  # the `vqa` process itself, not a caller in Python
        filter_stderr(NATIVE_NOISE)
    try:
        return int(args.func(args) or 0)
    except EXPECTED as exc:
        if debug:
            traceback.print_exc()
        print(f"{name}: {error_line(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    except JobFailed as exc:
        if debug:
            traceback.print_exc()
        print(f"{name}: failed: {error_line(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    sys.exit(main())

"""`vqa …`: the command line; each subcommand lives in `vqa.commands.<name>`."""

from __future__ import annotations

import argparse
import importlib
import sys

from vqa import __version__
from vqa.commands import COMMANDS
from vqa.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vqa",
        description="Perceptual video quality assessment at cluster scale: build quality-"
                    "instruction datasets from video pools, fine-tune, tune and serve video "
                    "LMMs that rate and explain quality. Every job runs on Ray (a local "
                    "cluster unless --address / RAY_ADDRESS) and is tracked in MLflow "
                    "(MLFLOW_TRACKING_URI, else sqlite:///mlruns.db here).",
    )
    parser.add_argument("--version", action="version", version=f"vqa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"vqa.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        parser.exit(2, f"vqa {args.command}: config error: {exc}\n")
    except FileNotFoundError as exc:
        parser.exit(2, f"vqa {args.command}: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())

"""`make demo`: the whole loop on embedded defaults (local Ray, SQLite MLflow, offline data) —
`vqa pipeline configs/local-pipeline.yaml`: corpus → ingest → objective labels → synthesize
(in-context, FG benchmark, rating mode) → simulated study → MOS → complementary training →
evaluation → the trained rater and chatter on Ray Serve → annotation with the served chatter as
the expert → two clips scored over HTTP. A re-run reuses the finished steps; --fresh starts
over."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vqa.cli import main as vqa
from vqa.native_stderr import filter_stderr
from vqa.runtime import NATIVE_NOISE

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "local-pipeline.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vqa-demo", description=__doc__)
    parser.add_argument("--out", default="demo_out")
    parser.add_argument("--fresh", action="store_true", help="run every step again")
    parser.add_argument("--keep-serving", action="store_true",
                        help="leave the rater and chatter up at the end (Ctrl-C stops them)")
    args = parser.parse_args(argv)
    return vqa(["pipeline", str(CONFIG), "--out", args.out, *(["--fresh"] if args.fresh else []),
                *(["--keep-serving"] if args.keep_serving else [])])


if __name__ == "__main__":
    if not os.environ.get("VQA_DEBUG"):
        filter_stderr(NATIVE_NOISE)
    sys.exit(main())

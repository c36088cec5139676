"""`vqa corpus make`: a small demo corpus of real-content clips, made offline."""

from __future__ import annotations

import argparse
from collections import Counter

from vqa.commands.common import console


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("corpus", help="demo corpora made offline")
    csub = p.add_subparsers(dest="corpus_cmd", required=True)
    m = csub.add_parser(
        "make",
        help="write N pan/zoom clips over scikit-image photographs (+ broken files)",
        description="Write N short clips of real photographic content (pan and zoom over "
                    "scikit-image's photographs) at several sizes, frame rates and durations, "
                    "plus broken files (empty, truncated, not a video), and corpus.csv saying "
                    "what ingest should make of each.",
    )
    m.add_argument("--out", required=True, help="output folder")
    m.add_argument("--num", type=int, default=12, help="number of clips (default 12)")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--no-broken", action="store_true", help="skip the broken files")
    m.add_argument("--overwrite", action="store_true",
                   help="replace a corpus already in OUT (refused without it)")
    m.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vqa.corpus import make_corpus
    from vqa.errors import InputError
    from vqa.outputs import check_out_dir

    check_out_dir(args.out)
    if (Path(args.out) / "corpus.csv").exists() and not args.overwrite:
        raise InputError(f"--out {args.out}: holds a corpus (corpus.csv)",
                         "pass --overwrite to replace it, or choose another --out")
    rows = make_corpus(args.out, args.num, args.seed, broken=not args.no_broken)
    counts = Counter(r["expect"] for r in rows)
    console.print(f"wrote {len(rows)} files to {args.out} "
                  f"(expected: {dict(counts)}); described in {args.out}/corpus.csv")
    return 0

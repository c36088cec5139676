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
        help="write N pan/zoom clips over scikit-image photographs, or over your own "
             "(--photos DIR) (+ broken files)",
        description="Write N short clips of real photographic content (pan and zoom over "
                    "scikit-image's photographs) at several sizes, frame rates and durations, "
                    "plus broken files (empty, truncated, not a video), and corpus.csv saying "
                    "what ingest should make of each.",
    )
    m.add_argument("--out", required=True, help="output folder")
    m.add_argument("--photos", metavar="DIR",
                   help="film your own photographs instead: one clip per JPEG / PNG / WebP / "
                        "TIFF under DIR (recursive); unreadable files and photographs smaller "
                        "than the smallest clip size (160×120) are skipped and counted")
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
    if args.photos:
        return film(args)
    rows = make_corpus(args.out, args.num, args.seed, broken=not args.no_broken)
    counts = Counter(r["expect"] for r in rows)
    console.print(f"wrote {len(rows)} files to {args.out} "
                  f"(expected: {dict(counts)}); described in {args.out}/corpus.csv")
    return 0


def film(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vqa.corpus import PHOTO_SUFFIXES, film_photos, make_broken, photo_files, \
        write_corpus_csv
    from vqa.errors import InputError

    folder = Path(args.photos)
    if not folder.is_dir():
        raise InputError(f"--photos {folder}: no such folder")
    if not photo_files(folder):
        raise InputError(f"--photos {folder}: no photograph in it (looked for "
                         f"{' '.join(PHOTO_SUFFIXES)}, recursively)")
    rows, skipped = film_photos(args.out, folder, args.seed)
    if not rows:
        raise InputError(f"--photos {folder}: no readable photograph of at least 160×120 "
                         f"({skipped['unreadable']} unreadable, {skipped['too_small']} too small)")
    out = Path(args.out)
    clips = len(rows)
    if not args.no_broken:
        rows += make_broken(out, out / rows[0]["path"])
    write_corpus_csv(out, rows)
    skips = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in skipped.items() if n)
    console.print(f"filmed {clips} photographs from {folder} into {args.out}"
                  + (f" (skipped: {skips})" if skips else "")
                  + f"; described in {args.out}/corpus.csv")
    return 0

"""`vqa mos`: a subjective study's raw ratings → screened ratings, MOS, report, rating QA;
`vqa mos-select`: pick the videos of a study from a scored pool by a reference level mix;
`vqa mos-simulate`: a simulated panel's ratings of real videos (demo, tests, benchmarks)."""

from __future__ import annotations

import argparse

from vqa.commands.common import add_overwrite_flag, add_runtime_flags, console, print_summary, run_job
from vqa.config import load
from vqa.data import DIMENSIONS
from vqa.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mos",
        epilog="Reference: docs/data.md in the vqa checkout.",
        help="subjective ratings → BT.500 screening, MOS per dimension, levels, rating QA",
        description="Read raw ratings (long table: subject, video, dimension, score; optional "
                    "attributes), screen subjects and outliers after ITU-R BT.500 (kurtosis "
                    "decides 2σ or √20σ bounds; > 5% outliers rejects a subject), turn scores "
                    "into z-score MOS on [0, 100] with std and 95% CI, map them to five levels "
                    "and write instruction samples (OmniVQA rating QA, or FineVD's eight QA per "
                    "video when all six dimensions are rated). Writes ratings_screened.parquet, "
                    "subjects.csv, mos.parquet/.csv, report.json + PNG plots, samples*.jsonl.",
    )
    p.add_argument("--ratings", help="ratings .csv/.tsv/.parquet (subject, video, [dimension,] "
                                     "score[, attributes])")
    p.add_argument("--out", help="output folder")
    p.add_argument("--dimensions", nargs="+", choices=DIMENSIONS, metavar="DIM",
                   help=f"only these dimensions (default: all in the file; "
                        f"{', '.join(DIMENSIONS)})")
    p.add_argument("--score-range", nargs=2, type=float, metavar=("LOW", "HIGH"),
                   help="the rating scale (default 1 5)")
    p.add_argument("--normalize", choices=["zscore", "raw"],
                   help="zscore per subject then 100·(z+3)/6 (default), or the raw scale mapped "
                        "to [0, 100]")
    p.add_argument("--level-boundaries", nargs=4, type=float, metavar="CUT",
                   help="four MOS cut points between the five levels (default: 20 40 60 80 for "
                        "OmniVQA wording, equal-width bins of the MOS range for FineVD)")
    p.add_argument("--qa-style", choices=["auto", "omnivqa", "finevd"],
                   help="instruction samples: OmniVQA rating QA or FineVD's eight per video "
                        "(auto: finevd when all six dimensions are rated)")
    p.add_argument("--objective", help="objective scores (video,mos labels file) used as the "
                                       "hidden reference: scores ≥2 levels away are flagged for "
                                       "re-rating in rerate.csv")
    p.add_argument("--rerate-action", choices=["flag", "drop"],
                   help="flag (default) or also drop the flagged scores from the MOS")
    p.add_argument("--reference-levels", help="reference level distribution to compare with: "
                                              "'lsvq' (default), five fractions worst first, or "
                                              "a labels file")
    p.add_argument("--split-ratios", nargs="+", type=float, metavar="R",
                   help="video-level split ratios (default 8 2; 4 1 1 for FineVD studies)")
    p.add_argument("--no-screening", action="store_true", help="skip BT.500 screening")
    p.add_argument("--seed", type=int, help="split seed (default 0)")
    add_overwrite_flag(p)
    add_runtime_flags(p)
    p.set_defaults(func=main)

    s = sub.add_parser(
        "mos-select",
        help="pick N videos from a scored pool so their levels match a reference distribution",
        description="OmniVQA-MOS selection: bin the pool's objective scores (video,mos file, "
                    "0–100) into low/poor/fair/good/excellent and sample N videos whose level "
                    "mix matches the reference (LSVQ-train's by default). Writes a CSV of the "
                    "selected videos and prints the level counts.",
    )
    s.add_argument("--pool", required=True,
                   help="labels file of the candidate pool (video,mos), or the mos.csv / "
                        ".parquet `vqa mos` writes (one row per video and dimension)")
    s.add_argument("--dimension", choices=DIMENSIONS,
                   help="with a per-dimension pool (vqa mos's mos.csv): the dimension whose MOS "
                        "selects (default overall)")
    s.add_argument("--num", type=int, required=True, help="videos to select")
    s.add_argument("--out", required=True, help="output CSV")
    s.add_argument("--reference-levels", default="lsvq",
                   help="'lsvq', five fractions worst first, or a labels file")
    s.add_argument("--pool-range", nargs=2, type=float, default=[0.0, 100.0],
                   metavar=("LOW", "HIGH"), help="scale of the pool's scores (default 0 100)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=main_select)

    m = sub.add_parser(
        "mos-simulate",
        help="a simulated subjective study of real videos (a stand-in for a human panel)",
        description="Simulate a panel rating the pool's videos on 1-5 in every dimension: "
                    "each video's latent quality is its pool score (0-100, e.g. `vqa label`'s "
                    "labels.csv); good subjects add gain, bias, noise and slips, the last "
                    "--bad-subjects click at random or invert the scale (what BT.500 screening "
                    "exists for). Writes OUT/ratings.csv (for `vqa mos --ratings`), truth.csv "
                    "and summary.json. Simulated: never present these ratings as a study.",
    )
    m.add_argument("--pool", required=True, help="labels file (video,mos on 0-100)")
    m.add_argument("--out", required=True, help="output folder")
    m.add_argument("--subjects", type=int, default=22, help="panel size (default 22)")
    m.add_argument("--bad-subjects", type=int, default=2, help="of them, bad (default 2)")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--overwrite", action="store_true", help="replace a finished study in OUT")
    m.add_argument("--json", action="store_true", help="print the summary as JSON")
    m.set_defaults(func=main_simulate)


def main(args: argparse.Namespace) -> int:
    from vqa.pipelines.mos import MosJobConfig, prepare, run_mos

    overrides = {
        "ratings": args.ratings, "out": args.out, "dimensions": args.dimensions,
        "score_range": args.score_range, "objective": args.objective,
        "rerate_action": args.rerate_action, "reference_levels": args.reference_levels,
        "split_ratios": args.split_ratios, "seed": args.seed,
    }
    if not args.config and not (args.ratings and args.out):
        raise InputError("give --ratings and --out (or a --config that sets them)")
    cfg = load(MosJobConfig, args.config, overrides)
    if args.normalize:
        cfg.mos.normalize = args.normalize
    if args.level_boundaries:
        cfg.levels.boundaries = list(args.level_boundaries)
        cfg.levels.validate()
    if args.qa_style:
        cfg.qa.style = args.qa_style
    if args.no_screening:
        cfg.screening.enabled = False
    ratings = prepare(cfg, args.overwrite)  # bad files fail here, before Ray starts
    summary = run_job("mos", cfg, lambda c: run_mos(c, ratings), args)
    print_summary("mos", summary, args.json)
    return 0


def main_select(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from vqa.outputs import atomic_path, check_out_file
    from vqa.subjective.selection import read_pool, reference_levels, select_videos

    check_out_file(args.out)
    pool, dimension = read_pool(args.pool, args.dimension)
    ref = reference_levels(args.reference_levels)
    selected, report = select_videos(pool, args.num, ref, args.seed, tuple(args.pool_range))
    out = Path(args.out)
    with atomic_path(out) as tmp:
        selected.to_csv(tmp, index=False)
    report["out"] = str(out)
    if dimension:
        report["dimension"] = dimension
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        by = f" by their {dimension} MOS" if dimension else ""
        console.print(f"selected {len(selected)} of {len(pool)} videos{by} → {out}")
        print_summary("mos-select", report)
    return 0


def main_simulate(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from vqa.outputs import atomic_path, check_out_dir, write_text_atomic
    from vqa.subjective.selection import read_pool
    from vqa.subjective.simulate import StudySpec, simulate_study

    check_out_dir(args.out, args.overwrite)
    if not 0 <= args.bad_subjects < args.subjects:
        raise InputError(f"--bad-subjects {args.bad_subjects}: must be >= 0 and below "
                         f"--subjects {args.subjects}")
    pool, _ = read_pool(args.pool)
    quality = dict(zip(pool["video"].astype(str), pool["mos"].astype(float)))
    spec = StudySpec(subjects=args.subjects, bad_subjects=args.bad_subjects, seed=args.seed)
    ratings, truth, info = simulate_study(spec, quality)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in (("ratings.csv", ratings), ("truth.csv", truth)):
        with atomic_path(out / name) as tmp:
            table.to_csv(tmp, index=False)
    summary = {"videos": len(quality), "subjects": args.subjects,
               "bad_subjects": sorted(info["bad_subjects"]), "slips": info["slips"],
               "ratings": str(out / "ratings.csv"), "simulated": True}
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        console.print(f"simulated {args.subjects} subjects ({args.bad_subjects} bad: "
                      f"{', '.join(summary['bad_subjects'])}) rating {len(quality)} videos → "
                      f"{out / 'ratings.csv'}")
    return 0

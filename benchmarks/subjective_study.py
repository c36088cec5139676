"""Simulated subjective studies through screening + MOS: does the MOS recover the truth and does
BT.500 reject exactly the planted bad subjects? Prints one row per seed (markdown).

    PYTHONPATH=platform python benchmarks/subjective_study.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import time

from scipy.stats import spearmanr

from vqa.data import DIMENSIONS
from vqa.subjective.mos import compute_mos
from vqa.subjective.ratings import check_ratings
from vqa.subjective.screening import screen
from vqa.subjective.simulate import StudySpec, simulate_study


def run(spec: StudySpec) -> dict:
    ratings, truth, info = simulate_study(spec)
    start = time.perf_counter()
    res = screen(check_ratings(ratings, spec.scale))
    mos = compute_mos(res.kept, score_range=spec.scale).merge(truth, on=["video", "dimension"])
    elapsed = time.perf_counter() - start
    raw = compute_mos(check_ratings(ratings, spec.scale), score_range=spec.scale).merge(
        truth, on=["video", "dimension"])
    per_dim = {d: spearmanr(m["mos"], m["truth"])[0] for d, m in mos.groupby("dimension")}
    kept = ~res.ratings["subject_rejected"]
    return {"seed": spec.seed, "ratings": len(ratings), "planted": sorted(info["bad_subjects"]),
            "rejected": res.rejected_subjects,
            "outlier_pct": 100 * res.ratings.loc[kept, "outlier"].mean(),
            "srcc_min": min(per_dim.values()), "srcc_all": spearmanr(mos["mos"], mos["truth"])[0],
            "srcc_unscreened": spearmanr(raw["mos"], raw["truth"])[0],
            "per_dim": per_dim, "seconds": elapsed}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--subjects", type=int, default=22)
    p.add_argument("--videos", type=int, default=300)
    p.add_argument("--bad", type=int, default=2)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = p.parse_args()
    print("| seed | ratings | planted bad | rejected | outliers % | SRCC min dim | SRCC all | "
          "SRCC unscreened | screen+MOS s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        r = run(StudySpec(subjects=args.subjects, videos=args.videos, bad_subjects=args.bad,
                          seed=seed, dimensions=DIMENSIONS))
        print(f"| {r['seed']} | {r['ratings']} | {','.join(r['planted'])} | "
              f"{','.join(r['rejected'])} | {r['outlier_pct']:.2f} | {r['srcc_min']:.4f} | "
              f"{r['srcc_all']:.4f} | {r['srcc_unscreened']:.4f} | {r['seconds']:.2f} |")
        print("|  | per dimension | " + ", ".join(f"{d} {v:.4f}" for d, v in r["per_dim"].items())
              + " |||||||", flush=True)


if __name__ == "__main__":
    main()

"""The issue-11 Tune benchmark: a 6-trial ASHA search (`vqa tune`, configs/local-tune.yaml's
settings and tune_spaces/lora-frames.yaml) over the tiny preset on this machine — wall time,
trials stopped early, held-out SRCC of the best and the worst trial.

    python benchmarks/tune_search.py --out /tmp/tune-bench            # 6 trials
    python benchmarks/tune_search.py --out /tmp/tune-bench --trials 4 --steps 40

Data: darkened photographs at 5 severities (the degradation the tiny model learns, see
tests/train/test_learning.py); training photographs and held-out validation photographs are
disjoint. Everything else is the repo's configs with the data paths pointed here."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import yaml

from vqa.cli import main as vqa

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ["excellent", "good", "fair", "poor", "low"]
TRAIN = ("astronaut", "chelsea", "coffee", "rocket", "camera")
# held out: inside the training photographs' brightness range (mean 65–130 of 255); the Hubble
# deep field (19) would cap any brightness reader's pooled SRCC (tests/train/test_learning.py)
VAL = ("immunohistochemistry", "coins")


def rows(root: Path, photos, per_photo: int, seed: int) -> list[dict]:
    from vqa.corpus import pan_zoom, photo
    from vqa.video import write_video

    out = []
    for p in photos:
        for k in range(per_photo):
            sev = k % 5
            path = root / f"{p}_{seed}_{k}.mp4"
            if not path.exists():
                x = pan_zoom(photo(p), 96, 72, 12, np.random.default_rng(seed * 100 + k))
                write_video(np.clip(x * (1 - 0.18 * sev), 0, 255).astype(np.uint8), 6.0, path)
            out.append({"video": str(path), "mos": 90.0 - 20 * sev, "task": "rating",
                        "conversations": [
                            {"from": "human", "value": "<video>\nHow would you rate the quality "
                                                       "of this video?"},
                            {"from": "gpt", "value": f"The quality of this video is "
                                                     f"{LEVELS[sev]}."}]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--trials", type=int, default=6)
    ap.add_argument("--steps", type=int, help="steps per trial (default: the config's)")
    args = ap.parse_args()
    data = args.out / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, photos, seed in (("train", TRAIN, 1), ("val", VAL, 2)):
        (data / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows(data, photos, 10, seed)))
    train = yaml.safe_load((ROOT / "configs" / "local-tune-train.yaml").read_text())
    train["datasets"] = {"rating": {"path": str(data / "train.jsonl")},
                         "val": {"path": str(data / "val.jsonl")}}
    train["frames"] = {"root": str(args.out / "frames")}
    if args.steps:
        train["stages"][0]["optim"]["max_steps"] = args.steps
    job = yaml.safe_load((ROOT / "configs" / "local-tune.yaml").read_text())
    job.update(train=str(args.out / "train.yaml"), space=str(ROOT / job["space"]),
               out=str(args.out / "tune"), trials=args.trials, register_as="bench-tuned")
    (args.out / "train.yaml").write_text(yaml.safe_dump(train, sort_keys=False))
    (args.out / "job.yaml").write_text(yaml.safe_dump(job, sort_keys=False))
    start = time.perf_counter()
    vqa(["tune", "--config", str(args.out / "job.yaml"), "--json"])
    wall = time.perf_counter() - start
    summary = json.loads((args.out / "tune" / "summary.json").read_text())
    trials = json.loads((args.out / "tune" / "trials.json").read_text())
    print(f"\nwall {wall:.0f} s (search {summary['elapsed_s']} s), trials {summary['trials']}, "
          f"stopped early {summary['stopped_early']}, finished {summary['finished']}, "
          f"failed {summary['failed']}, concurrent {summary['max_concurrent']}")
    print("| trial | outcome | steps | held-out SRCC | parameters |\n|---|---|---|---|---|")
    for t in sorted(trials, key=lambda t: -(t["val_srcc"] or -9)):
        print(f"| {t['trial_id']} | {t['outcome']} | {t['global_step']} | "
              f"{t['val_srcc']:.3f} | {json.dumps(t['params'])} |")


if __name__ == "__main__":
    main()

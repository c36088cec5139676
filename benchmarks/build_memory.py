"""The rating build over a folder of photographs, step by step — wall time and peak memory of
each `vqa` command (the driver alone, and the driver with every process it started: the local
Ray cluster and its workers), so a step that holds all clips or frames at once shows as memory
that grows with the number of photographs.

    python benchmarks/build_memory.py --photos ../shared/photos --out /tmp/bm --limit 120,0

`--limit 120,0`: the build on the first 120 photographs, then on all of them (0), each in a new
folder. Memory is PSS (shared pages counted once across processes), sampled every 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import yaml


def watch(cmd: list[str], log: Path) -> dict:
    """Run `cmd`; → wall seconds, peak driver RSS and peak PSS of its whole process tree."""
    t0 = time.perf_counter()
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
    top = psutil.Process(proc.pid)
    peak = {"driver_rss_gib": 0.0, "tree_pss_gib": 0.0}

    def sample():
        while proc.poll() is None:
            try:
                procs = [top, *top.children(recursive=True)]
                driver = top.memory_info().rss
            except psutil.Error:
                break
            pss = 0
            for p in procs:
                try:
                    pss += p.memory_full_info().pss
                except psutil.Error:
                    pass
            peak["driver_rss_gib"] = max(peak["driver_rss_gib"], driver / 2**30)
            peak["tree_pss_gib"] = max(peak["tree_pss_gib"], pss / 2**30)
            time.sleep(0.5)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    rc = proc.wait()
    th.join()
    if rc:
        raise SystemExit(f"{' '.join(cmd)} exited {rc}: see {log}")
    return {"wall_s": round(time.perf_counter() - t0, 1),
            **{k: round(v, 2) for k, v in peak.items()}}


def build(photos: Path, out: Path, clips_per_source: int, seconds: float) -> list[dict]:
    vqa = [sys.executable, "-m", "vqa.cli"]
    rating_cfg = out / "rating.yaml"
    steps = [
        ("corpus make --photos", [*vqa, "corpus", "make", "--photos", str(photos), "--out",
                                  str(out / "corpus"), "--overwrite"]),
        ("ingest", [*vqa, "ingest", str(out / "corpus"), "--out", str(out / "ingest")]),
        ("synthesize (rating mode)", [*vqa, "synthesize", "--config", str(rating_cfg)]),
        ("frames", [*vqa, "frames", "--samples", str(out / "rating" / "train" / "samples.jsonl"),
                    str(out / "rating" / "test" / "samples.jsonl"), "--preset", "tiny",
                    "--out", str(out / "frames")]),
    ]
    out.mkdir(parents=True, exist_ok=True)
    rating_cfg.write_text(yaml.safe_dump({
        "manifest": str(out / "ingest" / "manifest.parquet"), "out": str(out / "rating"),
        "mode": "rating", "rating": {"clips_per_source": clips_per_source,
                                     "max_seconds": seconds,
                                     "splits": {"train": 0.75, "val": 0.0, "test": 0.25}}}))
    rows = []
    for name, cmd in steps:
        r = {"step": name, **watch(cmd, out / f"{name.split()[0]}.log")}
        print(json.dumps(r), flush=True)
        rows.append(r)
    return rows


def subset(photos: Path, out: Path, n: int) -> Path:
    """The first `n` photographs under `photos` (sorted paths), linked into one folder."""
    from vqa.corpus import photo_files

    if n <= 0:
        return photos
    dst = out / "photos"
    dst.mkdir(parents=True, exist_ok=True)
    for p in photo_files(photos)[:n]:
        link = dst / "_".join(p.relative_to(photos).parts)
        if not link.exists():
            link.symlink_to(p.resolve())
    return dst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--limit", default="0", help="photographs per build, comma-separated "
                                                 "(0 = all)")
    ap.add_argument("--clips-per-source", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=3.0)
    a = ap.parse_args(argv)
    results = {}
    for n in (int(x) for x in a.limit.split(",")):
        out = a.out / f"n{n or 'all'}"
        out.mkdir(parents=True, exist_ok=True)
        rows = build(subset(a.photos, out, n), out, a.clips_per_source, a.seconds)
        clips = sum(1 for _ in open(out / "rating" / "train" / "samples.jsonl"))
        results[n or "all"] = {"steps": rows, "train_samples": clips}
    print(json.dumps(results, indent=1))
    (a.out / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

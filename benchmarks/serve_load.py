"""The rater under load: requests/s and p50/p95/p99 latency at 1, 4 and 16 concurrent HTTP
clients (POST /rate with a file:// URI, on 127.0.0.1), against calling the same model
in-process on the same clip (`model.rate(path)`, one call after another).

    python benchmarks/serve_load.py                  # tiny model, CPU, a 4 s 360p clip
    python benchmarks/serve_load.py --seconds 8 --size 540p   # a KoNViD / LSVQ-like clip
    python benchmarks/serve_load.py --requests 48 --json
    python benchmarks/serve_load.py --clients 1 --paired 100   # the two paths alternated

The in-process baseline runs before and after the served runs (the faster one is the
reference: a busy machine only flatters Serve otherwise), with torch at 1 thread like a
replica's. Each served row also says how many cores were busy and where the CPU went per
request (per deployment, proxy, the rest of Ray). Targets (issue 12): Serve's p50 at 1 client ≤ 1.15× the in-process p50; at 16 clients the
served throughput beats 16 sequential in-process calls (batching: one forward pass per batch).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _clips import SIZES, bench_clips  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs) * 1000, q))


def row(name: str, lat: list[float], wall: float) -> dict:
    return {"mode": name, "requests": len(lat), "req_s": round(len(lat) / wall, 2),
            "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1),
            "p99_ms": round(pct(lat, 99), 1)}


def in_process(model_dir: Path, clip: Path, n: int, label: str) -> dict:
    from vqa.model.vqa_model import VQAModel

    model = VQAModel.from_pretrained(model_dir)
    model.rate(clip)  # warm-up
    lat, t0 = [], time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        model.rate(clip)
        lat.append(time.perf_counter() - t)
    return row(f"in-process, sequential ({label})", lat, time.perf_counter() - t0)


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far per process role (a Serve replica's deployment, the proxy, the rest of
    Ray, this client): where a served request's CPU goes."""
    import psutil

    out: dict[str, float] = {}
    for p in psutil.process_iter(["cmdline"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            t = p.cpu_times()
        except (psutil.Error, OSError):
            continue
        if "ServeReplica:" in cmd:
            role = cmd.split("ServeReplica:", 1)[1].split()[0].split(":")[-1]
        elif "ProxyActor" in cmd or "ServeController" in cmd:
            role = "ProxyActor" if "ProxyActor" in cmd else "ServeController"
        elif p.pid == os.getpid():
            role = "client (this process)"
        elif "ray" in cmd:
            role = "other Ray processes"
        else:
            continue
        out[role] = out.get(role, 0.0) + t.user + t.system
    return out


def served(url: str, uri: str, clients: int, n: int) -> dict:
    import requests

    sessions = [requests.Session() for _ in range(clients)]

    batches = []

    def one(i: int) -> float:
        t = time.perf_counter()
        r = sessions[i % clients].post(url + "/rate", json={"uri": uri}, timeout=300)
        r.raise_for_status()
        batches.append(r.json()["batch_size"])
        return time.perf_counter() - t

    for s in sessions:  # warm-up: connections open, replicas hot
        s.post(url + "/rate", json={"uri": uri}, timeout=300).raise_for_status()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        lat = list(pool.map(one, range(n)))
    wall, cpu1 = time.perf_counter() - t0, cpu_seconds()
    cpu_ms = {k: round((v - cpu0.get(k, 0.0)) / n * 1000, 1) for k, v in sorted(cpu1.items())}
    return {**row(f"serve, {clients} client(s)", lat, wall),
            "mean_batch": round(statistics.mean(batches), 2),
            "cores_busy": round((sum(cpu1.values()) - sum(cpu0.values())) / wall, 2),
            "cpu_ms_per_request": cpu_ms}


def paired(model_dir: Path, url: str, clip: Path, n: int, seed: int = 0) -> dict:
    """1 client, the two paths alternated call by call (in-process, then served, n times) while
    Serve runs: a load that comes and goes slows both sides of a pair alike, which two runs a
    minute apart do not promise. → both p50s, their ratio and a bootstrap 95 % interval of it
    (pairs resampled)."""
    import requests

    from vqa.model.vqa_model import VQAModel

    model, session = VQAModel.from_pretrained(model_dir), requests.Session()
    model.rate(clip)
    session.post(url + "/rate", json={"uri": clip.as_uri()}, timeout=300).raise_for_status()
    local, remote = [], []
    for _ in range(n):
        t = time.perf_counter()
        model.rate(clip)
        local.append(time.perf_counter() - t)
        t = time.perf_counter()
        session.post(url + "/rate", json={"uri": clip.as_uri()}, timeout=300).raise_for_status()
        remote.append(time.perf_counter() - t)
    from scipy import stats

    a, b = np.asarray(local), np.asarray(remote)
    ci = stats.bootstrap((b, a), lambda x, y, axis=-1: np.median(x, axis) / np.median(y, axis),
                         paired=True, vectorized=True, n_resamples=2000,
                         confidence_level=0.95, method="percentile",
                         rng=np.random.default_rng(seed)).confidence_interval
    return {"pairs": n, "in_process_p50_ms": round(pct(local, 50), 1),
            "served_p50_ms": round(pct(remote, 50), 1),
            "overhead": round(float(np.median(b) / np.median(a)), 3),
            "overhead_ci95": [round(float(ci.low), 3), round(float(ci.high), 3)],
            "added_ms_p50": round(float(np.median(b - a)) * 1000, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--requests", type=int, default=32, help="requests per setting")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--size", choices=list(SIZES), default="360p")
    ap.add_argument("--max-batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads in-process (1: what a Ray replica with < 2 CPUs gets)")
    ap.add_argument("--deployment", action="append", default=[], metavar="NAME=JSON",
                    help='options over serve_apps/config.yaml, e.g. Decoder=\'{"num_replicas": 2, '
                         '"autoscaling_config": null, "max_ongoing_requests": 1}\'')
    ap.add_argument("--paired", type=int, default=0, metavar="N",
                    help="also N alternated in-process / served calls at 1 client (the "
                         "overhead with its bootstrap interval)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    deployments = {}
    for item in args.deployment:
        name, _, options = item.partition("=")
        try:
            deployments[name] = json.loads(options)
        except json.JSONDecodeError as exc:
            ap.error(f"--deployment {item!r}: want NAME=JSON ({exc})")
    import torch

    torch.set_num_threads(args.threads)

    from ray import serve

    from vqa.cli import main as vqa
    from vqa.pipelines.serve import serve_config, start
    from vqa.runtime import init_ray

    tmp = Path(tempfile.mkdtemp(prefix="vqa_serve_bench_"))
    clip = bench_clips(Path(tempfile.gettempdir()) / "vqa_bench_clips_serve", args.seconds, 25,
                       {args.size: SIZES[args.size]})[0]
    with contextlib.redirect_stdout(io.StringIO()):
        vqa(["model", "init", "--preset", "tiny", "--out", str(tmp / "model"), "--json"])
    rows = [in_process(tmp / "model", clip, args.requests, "before")]
    init_ray(num_cpus=os.cpu_count())
    cfg = serve_config(model=str(tmp / "model"), port=8765, apps=["rater"],
                       args={"media": {"roots": [str(clip.parent)]}, "auth_token_env": None,
                             "batch": {"max_batch_size": args.max_batch_size}},
                       deployments=deployments)
    url = start(cfg)["rater"]
    try:
        for c in args.clients:
            rows.append(served(url, clip.as_uri(), c, max(args.requests, 2 * c)))
        pairs = paired(tmp / "model", url, clip, args.paired) if args.paired else None
    finally:
        serve.shutdown()
    rows.append(in_process(tmp / "model", clip, args.requests, "after"))
    base = min((r for r in rows if r["mode"].startswith("in-process")), key=lambda r: r["p50_ms"])
    one = next((r for r in rows if r["mode"] == "serve, 1 client(s)"), None)
    top = next((r for r in rows if r["mode"] == "serve, 16 client(s)"), None)
    summary = {"clip": f"{clip.name} ({args.seconds:g} s)", "cpus": os.cpu_count(),
               "load_average_1min": os.getloadavg()[0], "baseline": base["mode"],
               "deployments": deployments,
               "rows": rows,
               "overhead_1_client": round(one["p50_ms"] / base["p50_ms"], 3) if one else None,
               "speedup_16_clients": round(top["req_s"] / base["req_s"], 3) if top else None,
               "paired_1_client": pairs}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("| mode | requests | req/s | p50 ms | p95 ms | p99 ms | mean batch | cores busy |\n"
              "|---|---|---|---|---|---|---|---|")
        for r in rows:
            cores = round(r["cores_busy"], 2) if "cores_busy" in r else "-"
            print(f"| {r['mode']} | {r['requests']} | {r['req_s']} | {r['p50_ms']} | "
                  f"{r['p95_ms']} | {r['p99_ms']} | {r.get('mean_batch', '-')} | {cores} |")
        for r in rows:
            if "cpu_ms_per_request" in r:
                print(f"CPU ms per request, {r['mode']}: {r['cpu_ms_per_request']}")
        print(f"\nServe p50 / in-process p50 at 1 client: {summary['overhead_1_client']}; "
              f"served req/s at 16 clients / in-process req/s: {summary['speedup_16_clients']}")
        if pairs:
            print(f"Alternated at 1 client ({pairs['pairs']} pairs): in-process p50 "
                  f"{pairs['in_process_p50_ms']} ms, served {pairs['served_p50_ms']} ms, "
                  f"overhead {pairs['overhead']} (95 % {pairs['overhead_ci95']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

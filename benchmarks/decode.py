"""Decode cost: the codec's raw decode vs our keyframe + motion-frame extraction, side by side.

raw    = PyAV decodes every frame, no colour conversion (the floor any extraction pays);
ours   = vqa.video.sample_clip: 8 keyframes at 448² + every frame at 224², one decode pass,
         anti-aliased (AREA) resize in libswscale to yuv420p, then YUV→RGB on the small frame;
decord = the same outputs from decord readers resizing in their decoder (one reader per size).
All single-threaded (one Ray CPU per task), interleaved, best of N. Target: ours ≤ 1.3× raw.

    python benchmarks/decode.py [--repeats 5] [--videos DIR_OR_FILES...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import av

from vqa.video import KeyframeSpec, MotionSpec, probe, sample_clip

KEYFRAMES = KeyframeSpec(size=448, uniform=8)
MOTION = MotionSpec(size=224, multiple_of=None)


def raw_decode(path: Path) -> int:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type, s.thread_count = "SLICE", 1
        return sum(1 for _ in c.decode(s))


def ours(path: Path) -> int:
    out = sample_clip(path, KEYFRAMES, MOTION)
    return len(out["motion"].frames)


def decord_readers(path: Path) -> int:
    import decord

    motion = decord.VideoReader(str(path), width=224, height=224, num_threads=1)
    frames = motion.get_batch(list(range(len(motion)))).asnumpy()
    keys = decord.VideoReader(str(path), width=448, height=448, num_threads=1)
    keys.get_batch(KEYFRAMES.indices(probe(path, verify="none")).tolist()).asnumpy()
    return len(frames)


def timed(fn, path: Path) -> float:
    t = time.perf_counter()
    fn(path)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--videos", nargs="*", help="files to measure (default: generated clips)")
    args = ap.parse_args()
    if args.videos:
        paths = [Path(p) for p in args.videos]
    else:
        from _clips import bench_clips

        paths = bench_clips(Path(tempfile.gettempdir()) / "vqa_bench_clips")
    print("| video | frames | raw decode (s) | ours (s) | ours / raw | decord (s) | decord / raw |")
    print("|---|---|---|---|---|---|---|")
    tot_raw = tot_ours = tot_dec = 0.0
    for path in paths:
        info = probe(path)
        raw_t, our_t, dec_t = [], [], []
        for _ in range(args.repeats):  # interleaved so drift hits all alike
            raw_t.append(timed(raw_decode, path))
            our_t.append(timed(ours, path))
            dec_t.append(timed(decord_readers, path))
        r, o, d = min(raw_t), min(our_t), min(dec_t)
        tot_raw, tot_ours, tot_dec = tot_raw + r, tot_ours + o, tot_dec + d
        print(f"| {path.name} ({info.width}x{info.height}) | {info.frames} | {r:.3f} | {o:.3f} | "
              f"{o / r:.2f}× | {d:.3f} | {d / r:.2f}× |")
    print(f"| **all** | | {tot_raw:.3f} | {tot_ours:.3f} | **{tot_ours / tot_raw:.2f}×** | "
          f"{tot_dec:.3f} | {tot_dec / tot_raw:.2f}× |")


if __name__ == "__main__":
    main()

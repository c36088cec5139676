"""Remote videos: stage to a local file, or let PyAV read the object through pyarrow?

Both read a real S3 API (moto's server on 127.0.0.1, in this process) and run ingest's probe
(`verify=packets`: demux every packet, decode the first frame) and a full decode:
staged   = vqa.data.fs.local_copy (pyarrow copy to a scratch file), then PyAV on the file;
streamed = PyAV on `pyarrow.fs` input file (a seekable file-like), no local copy.
Counted: HTTP requests the server saw (each is a round trip to S3: ~10-30 ms first byte in a
region) and wall time on loopback, where round trips are nearly free.

    python research/s3_staging.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))  # _clips
from _clips import bench_clips  # noqa: E402

from vqa.data import fs  # noqa: E402
from vqa.video.decode import iter_frames  # noqa: E402
from vqa.video.probe import probe  # noqa: E402


class Requests(logging.Handler):
    """Counts the S3 requests moto's server logs (one werkzeug record per request)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def emit(self, record):
        self.count += "HTTP/1.1" in record.getMessage()


def streamed(uri: str, decode: bool) -> int:
    with fs.open_input(uri) as f, av.open(f) as c:
        s = c.streams.video[0]
        if decode:
            return sum(1 for _ in c.decode(s))
        n = sum(1 for p in c.demux(s) if p.size)
        c.seek(0, stream=s)
        next(c.decode(s))
        return n


def staged(uri: str, decode: bool) -> int:
    with fs.local_copy(uri) as local:
        return sum(1 for _ in iter_frames(local)) if decode else probe(local).frames


def grainy(path: Path) -> Path:
    """A high-bitrate clip (film grain over the photo pan, CRF 18): UGC-sized files, ~MBs."""
    import numpy as np

    from vqa.corpus import pan_zoom, photo
    from vqa.video import write_video

    if not path.exists():
        rng = np.random.default_rng(0)
        frames = pan_zoom(photo("retina"), 1280, 720, 100, rng).astype(np.int16)
        frames += rng.integers(-24, 25, frames.shape, dtype=np.int16)
        write_video(np.clip(frames, 0, 255).astype(np.uint8), 25, path, quality=18,
                    preset="veryfast")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="x",
                      AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1")
    counter = Requests()
    log = logging.getLogger("werkzeug")
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(counter)
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    s3.create_bucket(Bucket="bench")
    root = Path(tempfile.gettempdir()) / "vqa_bench_clips"
    clips = bench_clips(root, sizes={"360p": (640, 360), "720p": (1280, 720)})
    clips.append(grainy(root / "grain_720p.mp4"))
    print("| clip | MB | task | staged: requests, s | streamed: requests, s |")
    print("|---|---|---|---|---|")
    try:
        for clip in clips:
            s3.upload_file(str(clip), "bench", clip.name)
            uri = f"s3://bench/{clip.name}"
            for task, decode in (("probe", False), ("decode", True)):
                cells = []
                for fn in (staged, streamed):
                    fn(uri, decode)  # warm: client, bucket region
                    best, reqs = float("inf"), 0
                    for _ in range(args.repeats):
                        before, t = counter.count, time.perf_counter()
                        fn(uri, decode)
                        best = min(best, time.perf_counter() - t)
                        reqs = counter.count - before
                    cells.append(f"{reqs}, {best:.2f}")
                mb = clip.stat().st_size / 1e6
                print(f"| {clip.stem} | {mb:.1f} | {task} | {cells[0]} | {cells[1]} |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

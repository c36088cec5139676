"""Source selection: threshold on scores, warning without, held-out split disjoint and stable."""

import pyarrow as pa

from vqa.distort.selection import held_out, select_sources


def manifest(scores=True):
    ids = [f"v{i:03d}" for i in range(200)]
    cols = {"video_id": ids, "path": [f"/p/{i}.mp4" for i in ids]}
    if scores:
        cols["objective"] = [float(i % 100) for i in range(200)]
    return pa.table(cols)


def test_threshold_and_split():
    train, warn = select_sources(manifest(), "objective", 70.0, 0.12, benchmark=False)
    bench, _ = select_sources(manifest(), "objective", 70.0, 0.12, benchmark=True)
    assert warn == []
    assert all(s > 70 for s in train.column("objective").to_pylist() +
               bench.column("objective").to_pylist())
    assert train.num_rows + bench.num_rows == sum(i % 100 > 70 for i in range(200))
    assert not set(train.column("video_id").to_pylist()) & set(bench.column("video_id").to_pylist())
    assert bench.num_rows > 0


def test_no_scores_means_all_with_a_warning():
    train, warn = select_sources(manifest(False), "objective", 70.0, 0.0, benchmark=False)
    assert train.num_rows == 200 and "no 'objective' column" in warn[0]


def test_split_is_stable_and_near_the_fraction():
    ids = [f"clip{i}" for i in range(5000)]
    share = sum(held_out(v, 0.12) for v in ids) / len(ids)
    assert abs(share - 0.12) < 0.015
    assert [held_out(v, 0.12) for v in ids[:50]] == [held_out(v, 0.12) for v in ids[:50]]
    assert not any(held_out(v, 0.0) for v in ids) and all(held_out(v, 1.0) for v in ids)

"""Ray Data settings shared by the pipelines."""

from __future__ import annotations

import contextlib
from typing import Iterator


@contextlib.contextmanager
def single_stage() -> Iterator[None]:
    """Run a one-operator task pipeline (source → map) on every CPU it is given.

    Ray Data reserves a share of the cluster per operator so multi-stage pipelines cannot starve
    a downstream stage; with a single map stage there is nothing to reserve for, and on small
    clusters the reservation caps the map at about half the CPUs (measured on 2 CPUs:
    1.39× faster without it; benchmarks/ingest_scaling.py).
    """
    import ray.data

    ctx = ray.data.DataContext.get_current()
    before = ctx.op_resource_reservation_enabled
    ctx.op_resource_reservation_enabled = False
    try:
        yield
    finally:
        ctx.op_resource_reservation_enabled = before

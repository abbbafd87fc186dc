"""Independent NumPy copies and elementwise passes, shared out over threads.

NumPy releases the GIL inside its copy and ufunc loops, so a large copy split into one share
per thread runs on several cores; PyTorch runs its own elementwise kernels on all of its
threads, and the benchmark gives both the same count. The BLAS products already use their
own threads. A share must write memory no other share touches.

The thread count is OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS, else the usable cores.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# below this many elements a split costs more than it saves (a task takes ~20-50 us)
MIN_ELEMENTS = 1 << 18

_pool: ThreadPoolExecutor | None = None
_PREFIX = "cnncalc-executor"


def thread_count() -> int:
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def shares(count: int, elements: int) -> list[tuple[int, int]]:
    """`count` items as contiguous (start, stop) shares, one per thread, or one share when
    the work (`elements` in all) is too small to be worth splitting."""
    parts = min(thread_count(), count)
    if parts <= 1 or elements < MIN_ELEMENTS:
        return [(0, count)]
    return [(count * i // parts, count * (i + 1) // parts) for i in range(parts)]


def split(work: Callable[[int, int], None], count: int, elements: int) -> None:
    """Call work(start, stop) for every share of `count` items and wait for all of them;
    the first share runs on the calling thread."""
    parts = shares(count, elements)
    if len(parts) == 1 or threading.current_thread().name.startswith(_PREFIX):
        # one share, or called from a share: run here (a share waiting on the pool could
        # wait for itself)
        work(0, count)
        return
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(thread_count(), thread_name_prefix=_PREFIX)
    futures = [_pool.submit(work, start, stop) for start, stop in parts[1:]]
    work(*parts[0])
    for future in futures:
        future.result()

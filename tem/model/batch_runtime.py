"""How a batch uses the machine: memory reuse and BLAS threads (no model logic here).

Two measured effects on a 100,000-scenario batch on a 2-core machine (benchmarks/RESULTS_engine.md):

* **Freed memory is kept for reuse.** Each chunk of the engine allocates a few hundred arrays of ~1 MB. With
  glibc's defaults these come from fresh pages every time (memory above the trim threshold is handed back to
  the kernel and faulted in again): about 450,000 page faults per 100,000 scenarios, a third of the time.
  :func:`keep_freed_memory` raises glibc's mmap and trim thresholds (``mallopt``) once per process, so
  memory freed by one chunk serves the next. The process's resident size then stays near its peak after a
  batch instead of shrinking. Set ``TEM_KEEP_FREED_MEMORY=0`` to leave the allocator alone; it is a no-op on
  other C libraries.
* **BLAS runs on one thread during a batch and a Monte Carlo run** (:func:`single_threaded_blas`). OpenBLAS
  would otherwise start its own threads for the small matrix products (the IRR search, Iman-Conover, rank
  correlations) and spin them against tem's worker threads: one engine worker used two cores' worth of CPU
  time, and a 100,000-scenario Monte Carlo ran about 15% slower.

:func:`map_columns` spreads independent per-column work (sorting, inverse CDFs of Monte Carlo inputs) over
the cores.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from threadpoolctl import ThreadpoolController

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 32 * 2**20  # glibc's own maximum for its dynamic threshold
_TRIM_THRESHOLD_BYTES = 2**30
_TOP_PAD_BYTES = 64 * 2**20

_tuned: bool | None = None  # None: not tried yet


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (see the module docstring). Idempotent; returns whether the
    allocator is tuned (False on other C libraries, or with ``TEM_KEEP_FREED_MEMORY=0``)."""
    global _tuned
    if _tuned is None:
        _tuned = False
        if os.environ.get("TEM_KEEP_FREED_MEMORY", "1") != "0":
            name = ctypes.util.find_library("c")
            try:
                libc = ctypes.CDLL(name) if name else None
                mallopt = getattr(libc, "mallopt", None)
            except OSError:
                mallopt = None
            if mallopt is not None:
                mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
                ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES) == 1
                ok &= mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES) == 1
                ok &= mallopt(_M_TOP_PAD, _TOP_PAD_BYTES) == 1
                _tuned = ok
    return _tuned


def release_freed_memory() -> bool:
    """Return the memory freed so far to the operating system (glibc's ``malloc_trim``), e.g. once a streaming
    Monte Carlo has evaluated every block and its statistics start; returns whether anything was asked.

    :func:`keep_freed_memory` keeps freed memory for the next chunk; after the last chunk that memory would only
    add to the peak of what follows."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:
        trim = None
    if trim is None:
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return True


_controller: ThreadpoolController | None = None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS on one thread inside the block. OpenBLAS's own threads spin after each call and would compete with
    tem's worker threads for the cores; tem's matrix products are small. (The controller is built once: about
    0.01 ms per use.)"""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield


@contextlib.contextmanager
def batch_runtime() -> Iterator[None]:
    """Around a batch: memory kept for reuse, BLAS on one thread."""
    keep_freed_memory()
    with single_threaded_blas():
        yield


T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN_ROWS = 20_000  # below this, columns are processed in order (threads would cost more than they save)


def map_columns(fn: Callable[[T], R], items: Sequence[T], n_rows: int) -> list[R]:
    """``[fn(item) for item in items]``, on the machine's cores when the columns are long (numpy's sorts and
    array operations release the GIL). The result is the same in either case; ``fn`` must not share state."""
    workers = min(len(items), os.cpu_count() or 1)
    if n_rows < PARALLEL_MIN_ROWS or workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))

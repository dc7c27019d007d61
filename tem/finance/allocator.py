"""Freed memory kept for the next call of :func:`tem.finance.irr` (issue 15, target 6).

``irr`` on 10,000 rows allocates a few dozen arrays of 0.1-3 MB. With glibc's starting thresholds (blocks from
128 kB are mapped and unmapped on their own, the heap's free top beyond 128 kB is handed back to the kernel) each
call faults in fresh pages: about 1,000 page faults (4 MB) per call on the benchmark's flows
(benchmarks/bench_finance.py, section c), a quarter of its CPU time on a busy machine.

glibc raises both thresholds by itself once a program frees a block that was mapped on its own (``mallopt(3)``,
"M_MMAP_THRESHOLD": the threshold becomes that block's size and the trim threshold twice it, up to 32 MB): any
program that once frees a 16 MB array runs this way. :func:`keep_freed_memory` does exactly that, once per
process: it allocates one 16 MB block (never touched, so no page is faulted in) and frees it, so that memory
freed by one call (up to 32 MB) serves the next. Nothing is set explicitly and nothing changes when the program
has set the thresholds itself (``mallopt`` turns the dynamic rule off), or on other C libraries.
``TEM_KEEP_FREED_MEMORY=0`` leaves the allocator alone (the switch of :mod:`tem.model.batch_runtime`, which sets
them explicitly for batches). No result depends on it.
"""

from __future__ import annotations

import os

import numpy as np

_BLOCK_BYTES = 16 * 2**20  # mapped on its own (above any starting threshold), below glibc's 32 MB cap
_done = False


def keep_freed_memory() -> None:
    """Once per process: free one never-touched 16 MB block, so that glibc keeps freed memory for reuse."""
    global _done
    if _done:
        return
    _done = True
    if os.environ.get("TEM_KEEP_FREED_MEMORY", "1") != "0":
        block = np.empty(_BLOCK_BYTES, dtype=np.uint8)
        del block

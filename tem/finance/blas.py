"""BLAS on one thread inside :func:`tem.finance.irr` (issue 15, target 6).

The IRR's grids are matrix products (flows x powers of the rate grid), small enough that OpenBLAS's own threads
cost more than they give, and its spinning threads compete with the caller's: measured on this 2-core machine,
10,000 rows with several sign changes took 340-390 ms with BLAS on 2 threads against 160-170 ms on one. Batches
already run BLAS on one thread (:mod:`tem.model.batch_runtime`); this covers ``irr`` called on its own.

Calls may overlap (threads): the first to enter sets one thread, the last to leave restores what was there, so
overlapping calls never leave BLAS pinned. Each entry costs about 10 us. The controller (~7 ms to build) lists the
BLAS libraries loaded when it is built, so it is built again whenever modules were imported since (e.g. SciPy
bringing its own OpenBLAS after a first ``irr``): a library loaded later is pinned too.
The thread count does not change a result: each entry of a matrix product is summed by one thread.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_users = 0
_limiter: Any = None  # threadpoolctl's limiter while someone is inside
_controller: Any = None
_modules_seen = -1  # len(sys.modules) when the controller was built


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside the block (re-entrant and thread-safe; see the module docstring)."""
    global _users, _limiter, _controller, _modules_seen
    with _lock:
        if _users == 0:
            if _controller is None or _modules_seen != len(sys.modules):
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()
                _modules_seen = len(sys.modules)
            _limiter = _controller.limit(limits=1, user_api="blas")
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                _limiter.restore_original_limits()
                _limiter = None

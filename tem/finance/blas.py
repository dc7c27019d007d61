"""BLAS on one thread inside :func:`tem.finance.irr` (issue 15, target 6).

The IRR's grids are matrix products (flows x powers of the rate grid), small enough that OpenBLAS's own threads
cost more than they give, and its spinning threads compete with the caller's: measured on this 2-core machine,
10,000 rows with several sign changes took 340-390 ms with BLAS on 2 threads against 160-170 ms on one. Batches
already run BLAS on one thread (:mod:`tem.model.batch_runtime`); this covers ``irr`` called on its own.

Calls may overlap (threads): the first to enter sets one thread, the last to leave restores what was there, so
overlapping calls never leave BLAS pinned. Each entry costs about 10 us (the controller is built once, ~7 ms).
The thread count does not change a result: each entry of a matrix product is summed by one thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_users = 0
_limiter: Any = None  # threadpoolctl's limiter while someone is inside
_controller: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside the block (re-entrant and thread-safe; see the module docstring)."""
    global _users, _limiter, _controller
    with _lock:
        if _users == 0:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()
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

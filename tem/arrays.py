"""Array helpers over ``(n_scenarios, n_years)`` shared by the engine's steps."""

from __future__ import annotations

import numpy as np

_LOOP_MIN_ROWS = 64  # from here a loop over the years beats numpy's accumulate along a short last axis


def cumsum_years(x: np.ndarray) -> np.ndarray:
    """``np.cumsum(x, axis=1)``, the same numbers bit for bit (the same additions in the same order).

    numpy accumulates a C-ordered ``(S, T)`` array row by row, one short loop of T per scenario; for many
    scenarios adding whole columns year by year is about twice as fast."""
    x = np.asarray(x)
    if x.ndim != 2 or x.dtype.kind != "f" or x.shape[0] < _LOOP_MIN_ROWS or x.shape[1] < 2:
        return np.cumsum(x, axis=-1)
    out = np.empty(x.shape, dtype=x.dtype)
    out[:, 0] = x[:, 0]
    for t in range(1, x.shape[1]):
        np.add(out[:, t - 1], x[:, t], out=out[:, t])
    return out


def is_exact_zero(x: np.ndarray) -> bool:
    """True for a single number that is exactly 0 (an input the same for every scenario and year), so that
    the work it would multiply can be skipped; a per-scenario or yearly array is never taken as zero."""
    return x.size == 1 and float(x.reshape(-1)[0]) == 0.0

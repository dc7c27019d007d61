"""The IRR grid's rules (:mod:`tem.finance.grid`) read on far fewer grid points, with the same results.

Reading ``R`` (the NPV over PV(|flows|)) on each of the grid's 1,000-2,000 points costs more than the rest of
``irr``. Two certificates, both from values on every ``COARSE_EVERY``-th grid point (and the junction and both
bounds), settle which points can matter; only those are read, and the rules (``grid.classify_points``) run on
them. Why the result is the same as on every point:

1. **Several IRRs.** On points p < q where ``R`` has opposite signs, each beyond twice ZERO_TOL (so no rounding
   of the grid's sums makes either a zero point), the signs of the points between them change: the rules find
   a site (a zero point or a crossing) strictly inside, at half-step positions 2p + 1 .. 2q - 1 (both ends of a
   crossing have ``|R| < 0.2``, see ``grid._NEAR_ZERO``, so they are read). A change between p1 < q1 and another
   between p2 < q2 with p2 >= q1 + 2 give two sites at least 2 (p2 - q1) + 2 > 2 CLOSE_STEPS half-steps apart:
   status 3, whatever else the grid holds.
2. **Where R stays away from zero.** Split the aligned flows into their positive and negative parts,
   ``P = P+ - P-`` and ``PV(|flows|) = A = P+ + P-``. Below the junction both parts are polynomials in ``y`` with
   non-negative coefficients, so they do not decrease from one grid point to the next; above it they are
   polynomials in ``x = 1 / y`` and do not increase. On a cell of coarse points p < q below the junction,
   ``P >= P+(p) - P-(q)`` and ``A <= A(q)`` everywhere in it (mirrored above). Where that lower bound exceeds
   ``_CANDIDATE_MAX x A(q)`` (or the upper bound is below minus that), with a relative margin of 1e-9 for
   rounding, every grid point of the cell has ``|R| > _CANDIDATE_MAX``: none is a zero point or a candidate
   of a near touch, no crossing lies in it, and the rules compare it with nothing they use (a point next to a
   zero point or a candidate lies in a coarse cell that holds that point, which is not settled, so it is read).
   The grid points of every other coarse cell are read, both ends included.

The rules then run on the points read with ``|R| <= _NEAR_ZERO``, exactly as on the whole grid; the values are
the same sums (matrix products over fewer columns of the same powers), so a status can differ from the
whole-grid reading only where a value lies within rounding of a threshold, as between any two batch sizes (README, "Finance
contract"). tests/finance/test_certify.py compares both readings on random flows with several sign changes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tem.finance import grid as finance_grid
from tem.finance.grid import _CANDIDATE_MAX, _NEAR_ZERO, ZERO_TOL, classify_points, grid

COARSE_EVERY = 32
_MARGIN = 1e-9  # relative: far above the rounding of sums of 20-200 products of numbers at most 1


@lru_cache(maxsize=16)
def coarse_points(n_years: int) -> np.ndarray:
    """Every ``COARSE_EVERY``-th grid point from each bound side of the junction, the junction and both bounds
    (indices into ``grid(n_years).y``, increasing)."""
    g = grid(n_years)
    last = g.y.size - 1
    low, high = np.arange(0, g.junction, COARSE_EVERY), np.arange(g.junction, last, COARSE_EVERY)
    points = np.unique(np.concatenate([low, high, [last]]))
    points.flags.writeable = False
    return points


def certainly_several(value: np.ndarray, max_abs: np.ndarray, points: np.ndarray, n_years: int) -> np.ndarray:
    """Rows (S,) that the rules give several IRRs (certificate 1), from the NPV ``value`` at ``points``; False
    where the points do not prove it. ``max_abs``: each row's largest absolute flow."""
    margin = 2.0 * ZERO_TOL * n_years * max_abs  # PV(|flows|) <= T max|c|: every power is at most 1
    # laid out (points, rows): the scan along the points is one vector operation per point
    positive, negative = (value > margin[:, None]).T, (value < -margin[:, None]).T
    has = positive | negative
    # each point with a sign as 2 k + (1 if positive), else -1; carried forward: the last point with a sign
    code = np.where(has, 2 * np.arange(points.size, dtype=np.int16)[:, None] + positive, np.int16(-1))
    carried = np.maximum.accumulate(code, axis=0)
    before = np.full_like(carried, -1)
    before[1:] = carried[:-1]  # the last point with a sign strictly before each point
    change = has & (before >= 0) & ((before & 1).astype(bool) != positive)
    n_k, n_s = change.shape
    first_end = points[np.argmax(change, axis=0)]
    last_start = points[before[n_k - 1 - np.argmax(change[::-1], axis=0), np.arange(n_s)] >> 1]
    return change.any(axis=0) & (last_start - first_end >= 2)


def unsettled_cells(pos: np.ndarray, neg: np.ndarray, points: np.ndarray, junction: int) -> np.ndarray:
    """(S, cells) True where the coarse cell ``points[k] .. points[k + 1]`` may hold a point with
    ``|R| <= _CANDIDATE_MAX`` (certificate 2)."""
    up = points[:-1] >= junction  # the cell lies from the junction up: the parts do not increase along it
    start, end = slice(0, -1), slice(1, None)
    p_min = np.where(up, pos[:, end] - neg[:, start], pos[:, start] - neg[:, end])
    p_max = np.where(up, pos[:, start] - neg[:, end], pos[:, end] - neg[:, start])
    a_max = np.where(up, pos[:, start] + neg[:, start], pos[:, end] + neg[:, end])
    away = _CANDIDATE_MAX * (1.0 + _MARGIN) * a_max
    return ~((p_min > away) | (-p_max > away))


def classify_sparse(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``grid.classify`` of one chunk (status, lo, hi per row), reading the grid only where it can matter."""
    n_s, n_t = left.shape
    g = grid(n_t)
    width = g.y.size
    points = coarse_points(n_t)
    value, size = finance_grid.grid_values(left, right, points)  # through the module: tests watch its products
    status = np.full(n_s, 3, dtype=np.int8)
    lo = np.zeros(n_s, dtype=np.int64)
    hi = np.zeros(n_s, dtype=np.int64)
    rest = np.flatnonzero(~certainly_several(value, np.max(np.abs(left), axis=1), points, n_t))
    if not rest.size:
        return status, lo, hi
    left, right = left[rest], right[rest]
    pos, neg = (size[rest] + value[rest]) / 2.0, (size[rest] - value[rest]) / 2.0  # P+ and P-
    open_rows, open_cells = np.nonzero(unsettled_cells(pos, neg, points, g.junction))
    flats, ratios = [], []
    order = np.argsort(open_cells, kind="stable")
    cells, starts = np.unique(open_cells[order], return_index=True)
    groups = np.split(open_rows[order], starts[1:]) if cells.size else []
    for k, rows in zip(cells.tolist(), groups, strict=True):  # each open cell once, for the rows where it is open
        span = np.arange(points[k], points[k + 1] + 1)
        cell_value, cell_size = finance_grid.grid_values(left[rows], right[rows], span)
        near = np.abs(cell_value) <= _NEAR_ZERO * cell_size
        r_idx, p_idx = np.nonzero(near)
        flats.append(rows[r_idx] * width + span[p_idx])
        ratios.append(cell_value[near] / cell_size[near])
    flat, first = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *flats]), return_index=True)  # shared ends once
    ratio = np.concatenate([np.zeros(0), *ratios])[first]
    status[rest], lo[rest], hi[rest] = classify_points(left, right, flat, ratio)
    return status, lo, hi

"""Certificate 3 of the IRR grid's sparse reading (:mod:`tem.finance.certify`): coarse cells where ``R`` is monotone.

Notation as in :mod:`tem.finance.grid` and :mod:`tem.finance.certify`: ``R = P / A`` on the aligned flows, and
``P = P+ - P-``, ``A = P+ + P-`` with ``P+`` and ``P-`` the sums over the positive and the negative flows (each a
polynomial with non-negative coefficients, in ``y`` below the junction and in ``x = 1 / y`` from it up).

**Durations.** ``D+ = sum_t t c+_t u**t / sum_t c+_t u**t`` (``u`` = y below the junction, x above, ``c+`` the
positive parts of the aligned flows) is a mean of ``t`` weighted by ``c+_t u**t``; raising ``u`` shifts weight to
larger ``t``, so ``D+`` does not decrease in ``u`` (likewise ``D-``). On a coarse cell ``[p, q]`` (p < q, grid
indices) below the junction, ``D+`` lies in ``[D+(p), D+(q)]`` and ``D-`` in ``[D-(p), D-(q)]``; above it the
ends swap (``x`` falls as ``y`` rises). And ``dR / d ln u = 2 P+ P- (D+ - D-) / A**2``. So where
``D+(p) - D-(q) > gap`` (or ``D-(p) - D+(q) > gap``; mirrored above) with ``gap = _GAP x T**2``, ``R`` is strictly
monotone on the whole cell, ends included, and where ``|R| <= 0.3``, ``|dR / d ln y| >= 0.45 gap``.

**Rounding.** Each of ``P+-`` and ``t``-weighted sums is a sum of at most ``T`` non-negative products of numbers at
most 1 (relative error below ``(T + 3) eps`` with the rounding of the powers), so each duration (at most ``T``) is
within ``8 T**2 eps`` (about 1.8e-15 T**2) of its value: ``_GAP = 1e-9`` leaves a margin of 5e5. A grid value of
``R`` is within ``10 T eps`` of the exact ratio, a slope (:func:`tem.finance.grid.slopes`) within ``4 T**2 eps``
(of ``A**2``). A grid step is at least 0.99 ``grid_step(T) = min(0.005, 0.1 / T)`` in ``ln y``. Hence, in a
certified cell, for grid points with ``|R| <= 0.3`` (those the rules read, ``grid._NEAR_ZERO``):

(a) two neighbours' exact ratios differ by at least ``0.37 gap x 0.99 grid_step(T)`` (> 1.6e-11 for T >= 3), far
    beyond twice their rounding plus 2 ZERO_TOL: the computed values are strictly monotone in the certified
    direction, and at most one point is a zero point (``|R| <= ZERO_TOL``), whose two neighbours have non-zero
    opposite signs (so it is simple);
(b) each slope the rules compute has the certified sign (``|dR| >= 0.45 gap`` is far beyond its rounding).

**What the rules take from a certified cell** (``grid.classify_points``; ends with ``|R| > end_min``, see
:func:`end_min`, so each end's sign is exact and neither is a zero point):

1. *No near touch.* A grid cell ``(j, j + 1)`` of it whose ends have the same sign ``s`` holds a near touch (or a
   pair of roots, :func:`grid.dips`) only if ``s x d_j < 0 <= s x d_(j+1)``; by (b) ``s x d`` has one sign
   (non-zero) at both ends. So no grid cell of a certified cell is a near touch or a site from the cubic.
2. *Ends of the same sign* ("same"): the exact ``R`` lies strictly between its ends' values, so by (a) no point
   of the cell is a zero point or an end of a crossing: no site.
3. *Ends of opposite signs* ("crossing"): exactly one exact root inside; by (a) the computed signs along the cell
   read ``s, .., s, [0], -s, .., -s``: exactly one site, the crossing ``(k - 1, k)`` or the simple zero point
   ``k``, ``k`` the first point whose sign is not ``s``.

4. *Kept away from zero* (any cell, monotone or not): ``|dR / d ln u| = (1 - R**2) / 2 |D+ - D-|`` is at most
   ``L = max(D+(hi) - D-(lo), D-(hi) - D+(lo)) / 2`` on the cell (``lo``, ``hi``: its ends where ``u`` is least
   and largest; the durations' rounding added). With ends of the same sign ``s`` and ``w`` the cell's width in
   ``ln y``, ``s R >= max(s R(p) - L d_p, s R(q) - L d_q) >= (|R(p)| + |R(q)| - L w) / 2`` (``d_p, d_q`` the
   distances to the ends, ``d_p + d_q = w``); where that exceeds ``_CANDIDATE_MAX`` + 1e-9 (far above the
   rounding of ``R``), every point of the cell has ``|R| > _CANDIDATE_MAX``, as in a cell certificate 2 settles.

**Rows settled here** (:func:`classify_certified`): those whose coarse cells left open by certificate 2 are all
certified (2, 3 or 4). Every grid cell lies in one coarse cell: settled by certificate 2 or by 4 (``|R| >
_CANDIDATE_MAX`` on all its points: no zero point, no crossing, no candidate, so no near touch: certify.py, 2) or
monotone (1-3). So the whole grid's rules find no touch and no near touch, and one site per crossing cell, at
the first point ``k`` inside it whose sign is not its start's; status and bracket follow from the sites as in
``grid.classify_points`` (:func:`grid.status_of_sites`). ``k`` is found from four points around the secant's root
whose NPV's sign is certain (:func:`_guess_crossings`: a point of the start's sign next to one of the other sign
is the change, by 3, and neither is a zero point), else by reading the cell's points (:func:`_read_crossings`,
the grid's own sums and ``grid.signs``). The other rows are read as before (certify.py,
:func:`certify.classify_read`). tests/finance/test_monotone.py compares the readings with and without this
certificate, and the whole grid's, on adversarial flows, and works a certified cell by hand.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from tem.finance.grid import _CANDIDATE_MAX, ZERO_TOL, grid, status_of_sites

_GAP = 1e-9  # the durations of the two parts must be this x T**2 apart (see the docstring)
_TINY = 1e-280  # sums of the parts below this are not trusted (terms near underflow)
_DURATION_ERROR = 1e-14  # x T**2: above the rounding of a duration (8 T**2 eps)
_AWAY = _CANDIDATE_MAX + 1e-9  # a cell whose |R| provably stays above this holds nothing the rules read


def end_min(n_years: int) -> float:
    """``|R|`` beyond which a grid value's sign is exact and it is no zero point: 2 ZERO_TOL plus far more than its
    rounding (``10 T eps``)."""
    return 2.0 * ZERO_TOL + 1e-14 * n_years


@lru_cache(maxsize=64)
def _tables(n_years: int, points: tuple[int, ...]) -> np.ndarray:
    """The powers of the grid ``points`` and the same times ``t``, side by side: (T, 2 len(points))."""
    w = grid(n_years).power[:, list(points)]
    table = np.ascontiguousarray(np.concatenate([w, np.arange(n_years, dtype=float)[:, None] * w], axis=1))
    table.flags.writeable = False
    return table


def durations(coef: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``D+`` and ``D-`` of the aligned flows ``coef`` (S, T) (right-aligned below the junction, left-aligned from it
    up) at the grid ``points``, each (S, len(points)); NaN where a part is zero there."""
    n, n_s = points.size, coef.shape[0]
    parts = np.empty((2 * n_s, coef.shape[1]))
    np.maximum(coef, 0.0, out=parts[:n_s])
    np.minimum(coef, 0.0, out=parts[n_s:])  # minus the negative parts: the same ratios
    sums = parts @ _tables(coef.shape[1], tuple(points.tolist()))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.divide(sums[:, n:], sums[:, :n])
    weight = np.abs(sums[:, :n])
    if weight.min() < _TINY:  # a sum of underflown terms: unknown
        d[weight < _TINY] = np.nan
    return d[:n_s], d[n_s:]


class Crossings(NamedTuple):
    """Certificate 3's verdict on the open coarse cells of S rows: ``read`` (S,) rows with an open cell it does not
    certify (to be read further); each certified crossing cell ``cell[i]`` of row ``row[i]`` (sorted by row) with
    ``R`` at its ends, ``r_a[i]`` and ``r_b[i]``."""

    read: np.ndarray
    row: np.ndarray
    cell: np.ndarray
    r_a: np.ndarray
    r_b: np.ndarray


def certify_cells(
    left: np.ndarray,
    right: np.ndarray,
    value: np.ndarray,
    size: np.ndarray,
    opened: np.ndarray,
    points: np.ndarray,
    junction: int,
) -> Crossings:
    """Certificate 3 on the coarse cells ``points[k] .. points[k + 1]`` that are ``opened`` (S, cells), from
    ``value`` and ``size`` (S, points), NPV and PV(|flows|) at the coarse points: a cell is certified empty where
    ``R`` is proven monotone with ends of the same sign, or kept away from zero by the bound on its slope
    (docstring, 4), and a crossing where it is proven monotone with ends of opposite signs."""
    n_t = left.shape[1]
    used = np.flatnonzero(opened.any(axis=0))  # the cells open in some row
    if not used.size:
        empty = np.zeros(0, dtype=np.int64)
        return Crossings(np.zeros(opened.shape[0], dtype=bool), empty, empty, empty * 0.0, empty * 0.0)
    n_low = int(np.count_nonzero(points[used] < junction))  # those below the junction (first)
    # durations at their ends where u is smallest and largest: (p, q) below the junction, (q, p) from it up
    low = np.concatenate([used[:n_low], used[n_low:] + 1])
    high = np.concatenate([used[:n_low] + 1, used[n_low:]])
    d_pos: list[np.ndarray] = []
    d_neg: list[np.ndarray] = []
    for coef, part in ((right, slice(0, n_low)), (left, slice(n_low, None))):
        ends = np.unique(np.concatenate([low[part], high[part]]))
        if ends.size:
            d = durations(coef, points[ends])
            for out, at in ((d_pos, d[0]), (d_neg, d[1])):
                out += [at[:, np.searchsorted(ends, low[part])], at[:, np.searchsorted(ends, high[part])]]
    pos_low, pos_high = (np.concatenate(d_pos[k::2], axis=1) for k in (0, 1))
    neg_low, neg_high = (np.concatenate(d_neg[k::2], axis=1) for k in (0, 1))
    r_a = value[:, used] / size[:, used]
    r_b = value[:, used + 1] / size[:, used + 1]
    gap = _GAP * n_t * n_t
    same = np.sign(r_a) == np.sign(r_b)
    monotone = (pos_low - neg_high > gap) | (neg_low - pos_high > gap)
    least = end_min(n_t)
    monotone &= (np.abs(r_a) > least) & (np.abs(r_b) > least)
    # |dR / d ln y| <= max |D+ - D-| / 2 on the cell: the least |R| it allows between the ends
    slope = 0.5 * (np.maximum(pos_high - neg_low, neg_high - pos_low) + _DURATION_ERROR * n_t * n_t)
    width = np.diff(_log_y(n_t)[points])[used]  # of each cell, in ln y
    away = same & (np.abs(r_a) + np.abs(r_b) - slope * width > 2.0 * _AWAY)
    here = opened[:, used]
    read = (here & ~(monotone | away)).any(axis=1)
    row, at = np.nonzero(here & monotone & ~same)
    return Crossings(read, row, used[at], r_a[row, at], r_b[row, at])


def classify_certified(
    left: np.ndarray, right: np.ndarray, size: np.ndarray, points: np.ndarray, crossings: Crossings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status, lo, hi (as ``grid.classify_points``) of rows whose open coarse cells are all certified, from their
    ``crossings`` (:func:`certify_cells`; ``size``, (S, points): PV(|flows|) at the coarse ``points``): one site
    per crossing cell, at the first point inside it whose sign is not its start's (:func:`_guess_crossings`, else
    :func:`_read_crossings`)."""
    g = grid(left.shape[1])
    row, cell = crossings.row, crossings.cell
    first = _guess_crossings(left, right, size, points, crossings)
    missed = np.flatnonzero(first == 0)
    if missed.size:
        first[missed] = _read_crossings(left, right, row[missed], cell[missed], crossings.r_a[missed], points)
    k = np.abs(first)  # a zero point is marked negative
    position = np.where(first < 0, 2 * k, 2 * (k - 1) + 1)
    return status_of_sites(left.shape[0], g.y.size, row, position, np.zeros(left.shape[0], dtype=bool))


def _guess_crossings(
    left: np.ndarray, right: np.ndarray, size: np.ndarray, points: np.ndarray, crossings: Crossings
) -> np.ndarray:
    """For each certified crossing cell ``cell[i]`` of row ``row[i]``: the grid point ``k`` of its crossing ``(k - 1,
    k)`` where four points around the secant's root (in ln y, from ``R`` at the cell's ends) prove it, else 0.
    The NPV at each point is summed element-wise and its sign counted only beyond ``2 end_min x sum |flows|``
    (far above the sum's rounding; then ``|R|`` is beyond ZERO_TOL too): a point of the start's sign next to one
    of the other sign is the cell's one change of sign (docstring, 3), and no zero point. (A cell lies on one side
    of the junction, where the grid is even in ln y: the secant's root is at ``a + (b - a) R(a) / (R(a) - R(b))``.)"""
    n_t = left.shape[1]
    g = grid(n_t)
    row, r_a, r_b = crossings.row, crossings.r_a, crossings.r_b
    a, b = points[crossings.cell], points[crossings.cell + 1]
    near = np.ceil(a + (b - a) * (r_a / (r_a - r_b))).astype(np.int64)  # the first point at or past the root
    j = np.clip(near[:, None] + np.arange(-3, 1)[None, :], a[:, None], b[:, None])  # (n, 4)
    coef = right[row]
    above = np.flatnonzero(a >= g.junction)
    coef[above] = left[row[above]]
    npv = np.einsum("nt,nkt->nk", coef, g.power_by_point[j]) * np.sign(r_a)[:, None]  # > 0: the start's sign
    # the sum of the absolute flows: PV(|flows|) at the junction (y = 1, every power 1), within T eps
    sure = (2.0 * end_min(n_t)) * size[row, int(np.searchsorted(points, g.junction))][:, None]
    start, other = (npv > sure) | (j == a[:, None]), (npv < -sure) | (j == b[:, None])
    change = start[:, :-1] & other[:, 1:] & (j[:, 1:] == j[:, :-1] + 1)
    at = np.argmax(change, axis=1)
    rows = np.arange(row.size)
    return np.where(change[rows, at], j[rows, at + 1], 0)


@lru_cache(maxsize=16)
def _log_y(n_years: int) -> np.ndarray:
    out = np.log(grid(n_years).y)
    out.flags.writeable = False
    return out


def _read_crossings(
    left: np.ndarray, right: np.ndarray, row: np.ndarray, cell: np.ndarray, r_a: np.ndarray, points: np.ndarray
) -> np.ndarray:
    """For each certified crossing cell ``cell[i]`` of row ``row[i]``, read on every point (one matrix product per
    distinct cell): the first grid point ``k`` whose sign is not the start's (``grid.signs``), negative when it is
    a zero point (then its neighbours have opposite signs: docstring, 3)."""
    n_t = left.shape[1]
    g = grid(n_t)
    first = np.empty(row.size, dtype=np.int64)
    for c in np.unique(cell).tolist():
        at = np.flatnonzero(cell == c)
        a, b = int(points[c]), int(points[c + 1])
        coef = (right if a < g.junction else left)[row[at]]
        w = _inner_powers(n_t, a, b)
        npv = coef @ w  # the NPV at the points a + 1 .. b - 1: its sign is R's
        s = np.sign(r_a[at])  # R's at the start (not within end_min of zero)
        # the first point whose NPV has not the start's sign (the end, b, has not)
        k = np.argmax(np.concatenate([npv * s[:, None] <= 0.0, np.ones((at.size, 1), dtype=bool)], axis=1), axis=1)
        first[at] = a + 1 + k
        # a zero point (|R| <= ZERO_TOL, grid.signs) is the point before k or k itself (a); |R| is read only where
        # the NPV is small enough (PV(|flows|) is at most the sum of the absolute flows: every power is at most 1)
        most = 2.0 * ZERO_TOL * np.sum(np.abs(coef), axis=1)
        for j in (k - 1, k):
            inside = np.flatnonzero((j >= 0) & (j < b - a - 1))
            small = inside[np.abs(npv[inside, j[inside]]) <= most[inside]]
            if small.size:
                size = np.abs(coef[small]) @ w
                zero = small[np.abs(npv[small, j[small]] / size[np.arange(small.size), j[small]]) <= ZERO_TOL]
                zero = zero[first[at[zero]] > 0]  # the first zero point found (the one before k) stands
                first[at[zero]] = -(a + 1 + j[zero])
    return first


@lru_cache(maxsize=256)
def _inner_powers(n_years: int, a: int, b: int) -> np.ndarray:
    """The powers of the grid points ``a + 1 .. b - 1``, (T, b - a - 1), contiguous."""
    w = np.ascontiguousarray(grid(n_years).power[:, a + 1 : b])
    w.flags.writeable = False
    return w

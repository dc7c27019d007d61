"""The IRR search: a fixed grid of rates and the rules that read an IRR's status off it.

Shared by :func:`tem.finance.irr` and the workbook's IRR formulas (``tem/exports/workbook/irr.py`` writes this grid
and these rules as cell formulas), so both give the same status for the same flows.

Variables: ``y = 1 + r``. The search range is closed: ``Y_MIN <= y <= Y_MAX`` (0.05 and 11, i.e. rates from
-95% to +1000%, both bounds included). The NPV is read as the ratio

    R(y) = sum_t c_t y**(K - t) / sum_t |c_t| y**(K - t)

the NPV as a fraction of the present value of the absolute flows: in [-1, 1], the same for any ``K`` (it
cancels) and for flows scaled by any factor. ``K`` is chosen so that every power is at most 1 (no overflow):
``K`` = the first year with a non-zero flow from ``y = 1`` up, the last one below ``y = 1``. The workbook writes
``K = 0`` and ``K = T - 1``: the same ratio.

Grid: ``y_j`` log-spaced from 0.05 to 1 and from 1 to 11 (so r = 0 is a grid point) with steps of at most
``grid_step(T) = min(0.005, 0.1 / T)`` in ``ln y`` (0.5% for up to 20 years).

Rules, for flows that change sign at least twice (with one sign change there is exactly one root, which is in
range exactly when the signs of ``R`` at the two bounds differ or one is 0):

* sign of ``R_j``, where ``|R_j| <= ZERO_TOL`` counts as 0 (a root on the grid point);
* root sites: a cell whose ends have opposite signs (a crossing); a grid point of sign 0 (a zero point), simple
  when it is a range bound or its two neighbours have opposite signs, else a touch (a double root);
* near touches: at each grid point where ``|R|`` is a local minimum (a neighbour of the other sign is not
  compared), each adjacent cell with the same non-zero sign at both ends is examined; it holds a near touch
  when ``|R|`` falls at the cell's start and does not fall at its end (a minimum inside) and the cubic through
  the values and slopes ``dR/d ln y`` at its ends (Hermite; measured error below 1e-8 on these steps) comes
  within NEAR_TOL of zero or crosses it: two roots in the cell, a double root, or nearly one;
* sites: the crossings, the zero points and the near-touch cells whose cubic crosses zero (two roots there);
* status: several IRRs (3) when sites lie more than CLOSE_STEPS grid steps apart; else roots too close to
  separate (4) when there is a touch, a near touch, or two or more sites; else the IRR (0), solved inside the one
  crossing (or next to the one simple zero point); else none (2);
* after solving (both paths): status 6 unless ``|NPV| <= NPV_TOL x PV(|flows|)`` at the root, and status 4 when
  ``|dR / d ln y| < FLAT_TOL`` there (a triple root, or three roots in one cell: the rate is not determined).

Limits: a pair of roots inside one cell is caught by the cubic and a triple root (or three roots much closer
than a step) by the flatness, but three distinct roots inside one cell may be reported as one; roots just outside
the range never count, however close to a bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

Y_MIN = 0.05  # 1 + r at the lower bound: r = Y_MIN - 1 = -0.95 (the double nearest -95%)
Y_MAX = 11.0  # 1 + r at the upper bound: r = 10 (1000%)
RATE_MIN = Y_MIN - 1.0
RATE_MAX = Y_MAX - 1.0
MAX_STEP = 0.005  # in ln(1 + r)
ZERO_TOL = 1e-13  # |NPV| / PV(|flows|) at or below this counts as zero on a grid point
NEAR_TOL = 1e-6  # a cell whose NPV comes this close to zero (relative, as ZERO_TOL) holds a near-double root
CLOSE_STEPS = 2  # crossings or zero points at most this many grid steps apart are roots too close to separate
NPV_TOL = 1e-10  # every IRR returned has |NPV| <= NPV_TOL x PV(|flows|) at that rate
FLAT_TOL = 1e-6  # |dR / d ln(1 + r)| at the root below this: a multiple root (an NPV change of 1e-8 x PV(|flows|)
#                  would move it by 1%), reported as roots too close to separate
# rows classified at once: read sparsely (tem/finance/certify.py) about 1 KB a row, at worst (every grid point
# read) about 17 KB a row
_CHUNK_ROWS = 8192


def grid_step(n_years: int) -> float:
    """Largest step of the grid in ``ln(1 + r)`` for flows of ``n_years`` years."""
    return min(MAX_STEP, 0.1 / max(n_years, 1))


@dataclass(frozen=True)
class Grid:
    """The grid for flows of ``T`` years: ``y`` (M + 1,) with ``y[junction] == 1``; ``power`` (T, M + 1) holds
    ``y ** -k`` from the junction up and ``y ** k`` below it (k = 0..T-1, every entry at most 1)."""

    y: np.ndarray
    junction: int
    power: np.ndarray
    slope_weight: np.ndarray  # (T, M + 1): d power / d ln y = weight x power, i.e. -k above, +k below
    log_step: np.ndarray  # (M,): ln y[c + 1] - ln y[c], the width of cell c
    power_low: np.ndarray  # power[:, :junction] and power[:, junction:], contiguous (matrix products)
    power_high: np.ndarray
    power_by_point: np.ndarray  # (M + 1, T): power.T and (slope_weight x power).T, contiguous (gathers by point)
    slope_by_point: np.ndarray


@lru_cache(maxsize=16)
def grid(n_years: int) -> Grid:
    h = grid_step(n_years)
    n_low = math.ceil(math.log(1.0 / Y_MIN) / h)
    n_high = math.ceil(math.log(Y_MAX) / h)
    y = np.concatenate([np.geomspace(Y_MIN, 1.0, n_low + 1)[:-1], np.geomspace(1.0, Y_MAX, n_high + 1)])
    k = np.arange(n_years, dtype=float)[:, None]
    above = y[None, :] >= 1.0
    weight = np.where(above, -k, k)
    power = y[None, :] ** weight  # y ** -k from 1 up, y ** k below: each at most 1
    log_step = np.diff(np.log(y))
    low, high = np.ascontiguousarray(power[:, :n_low]), np.ascontiguousarray(power[:, n_low:])
    by_point, slope_by_point = np.ascontiguousarray(power.T), np.ascontiguousarray((weight * power).T)
    for a in (y, power, weight, log_step, low, high, by_point, slope_by_point):
        a.flags.writeable = False
    return Grid(y, n_low, power, weight, log_step, low, high, by_point, slope_by_point)


def aligned(cf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(align_left(cf), align_right(cf))``."""
    return align_left(cf), align_right(cf)


def align_left(cf: np.ndarray) -> np.ndarray:
    """Each row's flows from its first non-zero year on, zero-padded: ``left[:, k] = c[F + k]``, the
    polynomial in ``1 / y`` used from y = 1 up. Its constant term is non-zero (unless the row is all zero), so
    no power of ``1 / y <= 1`` can make a whole sum underflow."""
    return _shifted(cf, np.argmax(cf != 0, axis=1))


def align_right(cf: np.ndarray) -> np.ndarray:
    """Each row's flows reversed from its last non-zero year back, zero-padded: ``right[:, k] = c[L - k]``,
    the polynomial in ``y`` used below y = 1 (``sum_t c_t y**(L - t)``); contiguous."""
    right = np.ascontiguousarray(cf[:, ::-1])
    return _shifted(right, np.argmax(right != 0, axis=1))


def _shifted(cf: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Row ``i`` moved ``lead[i]`` places to the left, zeros entering at the right."""
    shifted = np.flatnonzero(lead > 0)
    if not shifted.size:
        return cf
    n_t = cf.shape[1]
    out = cf.copy()
    idx = lead[shifted, None] + np.arange(n_t)[None, :]
    out[shifted] = np.where(idx < n_t, np.take_along_axis(cf[shifted], np.minimum(idx, n_t - 1), axis=1), 0.0)
    return out


def signs(ratio: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 for each NPV ratio, 0 where ``|R| <= ZERO_TOL``."""
    return np.where(np.abs(ratio) <= ZERO_TOL, 0, np.sign(ratio)).astype(np.int8)


def ratio_at(coef: np.ndarray, power: np.ndarray) -> np.ndarray:
    """``R`` of each row at one point: ``coef`` (S, T) aligned flows, ``power`` (T,) its powers. Element-wise
    products summed along each row (the same additions alone or in a batch)."""
    terms = coef * power
    return np.sum(terms, axis=1) / np.sum(np.abs(terms), axis=1)


def bound_signs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signs of ``R`` at ``Y_MIN`` and at ``Y_MAX`` (as :func:`signs`)."""
    g = grid(left.shape[1])
    return signs(ratio_at(right, g.power[:, 0])), signs(ratio_at(left, g.power[:, -1]))


def grid_values(left: np.ndarray, right: np.ndarray, points: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """NPV and PV(|flows|) in the aligned forms at every grid point, each (S, M + 1), or at the grid ``points``
    (increasing indices), each (S, len(points)): their ratio is ``R``."""
    g = grid(left.shape[1])
    j = g.junction
    if points is not None:
        low, high = _point_powers(g, points)
        value = np.concatenate([right @ low, left @ high], axis=1)
        size = np.concatenate([np.abs(right) @ low, np.abs(left) @ high], axis=1)
        return value, size
    value = np.empty((left.shape[0], g.y.size))
    size = np.empty_like(value)
    np.matmul(right, g.power_low, out=value[:, :j])
    np.matmul(left, g.power_high, out=value[:, j:])
    np.matmul(np.abs(right), g.power_low, out=size[:, :j])
    np.matmul(np.abs(left), g.power_high, out=size[:, j:])
    return value, size


def grid_npv(left: np.ndarray, right: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The NPV half of :func:`grid_values` at the grid ``points``: (S, len(points))."""
    low, high = _point_powers(grid(left.shape[1]), points)
    out = np.empty((left.shape[0], points.size))
    np.matmul(right, low, out=out[:, : low.shape[1]])  # into the result: no temporaries to fault in
    np.matmul(left, high, out=out[:, low.shape[1] :])
    return out


def grid_size(left: np.ndarray, right: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The PV(|flows|) half of :func:`grid_values` at the grid ``points``: (S, len(points))."""
    return grid_npv(np.abs(left), np.abs(right), points)


def _point_powers(g: Grid, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The powers of the grid ``points`` below the junction and from it up, each (T, points there), contiguous."""
    n_low = int(np.count_nonzero(points < g.junction))
    return np.ascontiguousarray(g.power[:, points[:n_low]]), np.ascontiguousarray(g.power[:, points[n_low:]])


def slopes(left: np.ndarray, right: np.ndarray, rows: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``dR / d ln y`` of row ``rows[i]`` at grid point ``points[i]``, element-wise."""
    g = grid(left.shape[1])
    out = np.empty(rows.size)
    for start in range(0, rows.size, _SLOPE_BLOCK):  # in blocks: a few small temporaries, reused
        part = slice(start, start + _SLOPE_BLOCK)
        r, j = rows[part], points[part]
        coef = right[r]
        above = np.flatnonzero(j >= g.junction)
        coef[above] = left[r[above]]
        size = np.abs(coef)
        w, kw = g.power_by_point[j], g.slope_by_point[j]  # kw: slope_weight x power, one product as before
        product = np.multiply(coef, w)
        p = np.sum(product, axis=1)
        a = np.sum(np.multiply(size, w, out=product), axis=1)
        dp = np.sum(np.multiply(coef, kw, out=product), axis=1)
        da = np.sum(np.multiply(size, kw, out=product), axis=1)
        out[part] = (dp * a - p * da) / (a * a)
    return out


_SLOPE_BLOCK = 4096


def cubic_min(r_a: np.ndarray, r_b: np.ndarray, d_a: np.ndarray, d_b: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Minimum over a cell of ``sign x p`` where ``p`` is the cubic with values ``r_a, r_b`` and slopes
    ``d_a, d_b`` (per unit of ln y) at its ends, ``step`` apart, and ``sign`` that of ``r_a`` (= that of ``r_b``).

    ``p(s) = r_a + a s + B s**2 + C s**3`` on ``0 <= s <= 1``; its critical points solve ``a + 2 B s + 3 C s**2 =
    0``: ``q = -(B + sign(B) sqrt(B**2 - 3 a C))``, ``s1 = q / (3 C)``, ``s2 = a / q`` (0 where undefined), each
    clipped to [0, 1]; the minimum is taken over both ends and both clipped points (the workbook's formula)."""
    sign = np.sign(r_a)
    a, b = step * d_a, step * d_b
    delta = r_b - r_a
    big_b = 3.0 * delta - 2.0 * a - b
    big_c = a + b - 2.0 * delta
    disc = big_b * big_b - 3.0 * a * big_c
    real = disc >= 0
    q = -(big_b + np.where(big_b >= 0, 1.0, -1.0) * np.sqrt(np.where(real, disc, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = np.where(real & (big_c != 0), q / (3.0 * big_c), 0.0)
        s2 = np.where(real & (q != 0), a / q, 0.0)
    s1, s2 = np.clip(s1, 0.0, 1.0), np.clip(s2, 0.0, 1.0)

    def at(s: np.ndarray) -> np.ndarray:
        return sign * (r_a + s * (a + s * (big_b + s * big_c)))

    return np.minimum(np.minimum(sign * r_a, sign * r_b), np.minimum(at(s1), at(s2)))


def dips(
    r_a: np.ndarray, r_b: np.ndarray, d_a: np.ndarray, d_b: np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For cells with the same sign at both ends: whether each holds a near touch (``|R|`` falls at its start
    and does not fall at its end, ``sign x d_a < 0 <= sign x d_b``: a minimum inside, and the cell's cubic comes
    within NEAR_TOL of zero there, :func:`cubic_min`), and whether that cubic crosses zero (two roots: a site)."""
    sign = np.sign(r_a)
    inside = (sign * d_a < 0) & (sign * d_b >= 0)
    low = cubic_min(r_a, r_b, d_a, d_b, step)
    return inside & (low <= NEAR_TOL), inside & (low < 0)


def classify(
    left: np.ndarray, right: np.ndarray, max_abs: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status (0, 2, 3 or 4) of rows whose flows change sign at least twice, and for status-0 rows the grid
    bracket ``(lo, hi)`` (indices into ``grid(T).y``) holding the IRR. Chunked to bound memory; the rules are
    read only on the grid points that can matter (:mod:`tem.finance.certify`: the same results as on every
    point, :func:`classify_every_point`). ``max_abs``: each row's largest absolute flow, if the caller knows it."""
    from tem.finance.certify import classify_sparse  # it builds on this module

    n_s = left.shape[0]
    status = np.zeros(n_s, dtype=np.int8)
    lo = np.zeros(n_s, dtype=np.int64)
    hi = np.zeros(n_s, dtype=np.int64)
    for start in range(0, n_s, _CHUNK_ROWS):
        part = slice(start, min(n_s, start + _CHUNK_ROWS))
        biggest = None if max_abs is None else max_abs[part]
        status[part], lo[part], hi[part] = classify_sparse(left[part], right[part], biggest)
    return status, lo, hi


# Only grid points with |R| <= _NEAR_ZERO are looked at one by one. Why nothing is lost: |dR / d ln y| <= 2 (T - 1)
# (|P'| and |A'| are at most (T - 1) A in the aligned forms) and each step is at most 0.1 / T, so R moves by less
# than 0.2 across a cell: both ends of a crossing and the neighbours of a zero point have |R| < 0.2; the cubic
# of a cell is at least min(|R_a|, |R_b|) - 4/27 (|a| + |b|) > min(|R_a|, |R_b|) - 0.0593 (Hermite basis bounds),
# so a local minimum above _CANDIDATE_MAX cannot be a near touch, and the neighbours of one below it have
# |R| < 0.26. tests/finance/test_grid.py checks the result against the plain rules on every grid point.
_NEAR_ZERO = 0.3
_CANDIDATE_MAX = 0.06


def classify_every_point(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`classify` of one chunk read on every grid point (the reference the cheaper reading must equal)."""
    value, size = grid_values(left, right)
    flat = np.flatnonzero(np.abs(value) <= _NEAR_ZERO * size)  # sorted: by row, then grid point
    ratio = value.reshape(-1)[flat] / size.reshape(-1)[flat]
    del value, size
    return classify_points(left, right, flat, ratio)


def _maybe_inside(
    left: np.ndarray,
    right: np.ndarray,
    row: np.ndarray,
    j: np.ndarray,
    s: np.ndarray,
    candidate: np.ndarray,
    cells: np.ndarray,
) -> np.ndarray:
    """The examined ``cells`` (indices of their start among the points read) that can be near touches, found from
    the slope at the one end that is a candidate: a cell is examined only next to a candidate, and only one of
    its ends can be one (with the same sign at both, a candidate start has ``|R|`` no larger than its end, a
    candidate end a smaller one than its start). A candidate start needs ``sign x d_a < 0``, a candidate end
    ``sign x d_b >= 0`` (:func:`dips`): the cells failing that are not near touches whatever the other slope, so
    it is not computed. The slope at a point is the same number whichever cell asks (:func:`slopes`)."""
    at_start = candidate[cells]
    end = np.where(at_start, cells, cells + 1)
    d = slopes(left, right, row[end], j[end])
    sign = s[cells].astype(np.float64)
    return cells[np.where(at_start, sign * d < 0, sign * d >= 0)]


def classify_points(
    left: np.ndarray, right: np.ndarray, flat: np.ndarray, ratio: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rules on the grid points with ``|R| <= _NEAR_ZERO``: ``flat`` their indices into the rows' grid
    values flattened (row x grid size + point, sorted), ``ratio`` their ``R``. A point left out counts as one
    with ``|R|`` above _NEAR_ZERO."""
    n_rows = left.shape[0]
    g = grid(left.shape[1])
    width = g.y.size
    last = width - 1
    row, j = np.divmod(flat, width)
    s = signs(ratio)
    mag = np.abs(ratio)
    has_next = np.zeros(flat.size, dtype=bool)
    has_next[:-1] = np.diff(flat) == 1
    has_next &= j != last
    has_prev = np.zeros(flat.size, dtype=bool)
    has_prev[1:] = has_next[:-1]
    s_next, s_prev = np.zeros_like(s), np.zeros_like(s)
    s_next[:-1], s_prev[1:] = s[1:], s[:-1]
    mag_next, mag_prev = np.full(flat.size, np.inf), np.full(flat.size, np.inf)
    mag_next[:-1], mag_prev[1:] = mag[1:], mag[:-1]
    mag_next[~has_next] = np.inf
    mag_prev[~has_prev] = np.inf
    # certain sites on a half-step scale: zero point j at 2j, crossing cell c (points c, c + 1) at 2c + 1
    zero = s == 0
    cross = has_next & (s.astype(np.int16) * s_next < 0)
    simple = zero & ((j == 0) | (j == last) | (has_prev & has_next & (s_prev.astype(np.int16) * s_next < 0)))
    # near touches: local minima of |R| (a neighbour of the other sign is not compared) and their cells
    candidate = ~zero & (mag <= _CANDIDATE_MAX)
    candidate &= ((s_prev != s) | (mag < mag_prev)) & ((s_next != s) | (mag <= mag_next))
    # the cells starting at a candidate and those ending at one: no cell is both (with the same sign at both ends a
    # candidate start has |R_a| <= |R_b|, a candidate end |R_b| < |R_a|), so no cell is listed twice
    cells = np.concatenate(
        [np.flatnonzero(candidate & has_next & (s_next == s)), np.flatnonzero(candidate & has_prev & (s_prev == s)) - 1]
    )
    near = np.zeros(n_rows, dtype=bool)
    site = zero | cross
    if cells.size:
        cells = _maybe_inside(left, right, row, j, s, candidate, cells)
        r, c = row[cells], j[cells]
        d = slopes(left, right, np.concatenate([r, r]), np.concatenate([c, c + 1]))
        touches, crosses = dips(ratio[cells], ratio[cells + 1], d[: cells.size], d[cells.size :], g.log_step[c])
        near[r[touches]] = True
        site[cells[crosses]] = True  # the cubic crosses zero twice in the cell: certainly roots there
    touch = np.zeros(n_rows, dtype=bool)
    touch[row[zero & ~simple]] = True
    return status_of_sites(n_rows, width, row[site], np.where(zero, 2 * j, 2 * j + 1)[site], touch | near)


def status_of_sites(
    n_rows: int, width: int, site_row: np.ndarray, position: np.ndarray, close: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status and bracket (:func:`classify_points`) from the sites: ``site_row`` the row of each, ``position`` its
    place on the half-step scale (zero point j at 2j, crossing cell c at 2c + 1); ``close``: rows with a touch or
    a near touch; ``width``: the grid's number of points."""
    last = width - 1
    n_sites = np.bincount(site_row, minlength=n_rows)
    first = np.full(n_rows, 2 * width)
    np.minimum.at(first, site_row, position)
    final = np.full(n_rows, -1)
    np.maximum.at(final, site_row, position)
    several = (n_sites >= 2) & (final - first > 2 * CLOSE_STEPS)
    close = close | (n_sites >= 2)
    status = np.where(several, 3, np.where(close, 4, np.where(n_sites == 1, 0, 2))).astype(np.int8)
    # the bracket: the crossing cell, or the cells either side of the zero point
    is_zero = first % 2 == 0
    lo = np.where(is_zero, np.maximum(first // 2 - 1, 0), first // 2)
    hi = np.where(is_zero, np.minimum(first // 2 + 1, last), first // 2 + 1)
    return status, np.minimum(lo, last), np.minimum(hi, last)

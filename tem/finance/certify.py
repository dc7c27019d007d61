"""The IRR grid's rules (:mod:`tem.finance.grid`) read on far fewer grid points, with the same results.

Reading ``R`` (the NPV over PV(|flows|)) on each of the grid's 1,000-2,000 points costs more than the rest of
``irr``. Two certificates, from values on every ``COARSE_EVERY``-th grid point (and the junction and both
bounds) and then on every ``FINE_EVERY``-th inside the coarse cells still open, settle which points can
matter; only those are read, and the rules (``grid.classify_points``) run on them. A third
(:mod:`tem.finance.monotone`: coarse cells where ``R`` is provably monotone, or provably away from zero) settles
most rows certificate 1 leaves open without any further reading. Why the result is the same as on every point:

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
   ``_CANDIDATE_MAX x A(q)`` (or the upper bound is below minus that), with a margin of 1e-9 x A(q) for
   rounding (:func:`unsettled_cells`: one comparison in ``P`` and ``A`` at the ends), every grid point of the
   cell has ``|R| > _CANDIDATE_MAX``: none is a zero point or a candidate of a near touch, no crossing lies in
   it, and the rules compare it with nothing they use (a point next to a zero point or a candidate lies in a
   coarse cell that holds that point, which is not settled, so it is read).
   The argument holds for any cell whose ends are read, so it is applied twice: to the coarse cells, then, inside
   each coarse cell it leaves open, to the cells between every ``FINE_EVERY``-th point; the grid points of the
   fine cells left open are read, both ends included (about 30 points a row instead of 80 for the bench's flows).
3. **Points no rule reads.** Inside a fine cell, a point with ``|R| > _CANDIDATE_MAX`` whose two neighbours
   have ``|R| > _CANDIDATE_MAX`` and its sign is not a zero point, a candidate, an end of a crossing, nor a
   neighbour of a zero point or a candidate; leaving it out only unlinks it from its neighbours, which the rules
   compare with it only when one of them is a zero point or a candidate. It is left out (``_matters``).

The rules then run on the points kept with ``|R| <= _NEAR_ZERO``, exactly as on the whole grid; the values are
the same sums (matrix products over fewer columns of the same powers), so a status can differ from the
whole-grid reading only where a value lies within rounding of a threshold, as between any two batch sizes (README, "Finance
contract"). tests/finance/test_certify.py compares both readings on random flows with several sign changes.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from tem.finance import grid as finance_grid
from tem.finance import monotone
from tem.finance.grid import _CANDIDATE_MAX, _NEAR_ZERO, ZERO_TOL, classify_points, grid, signs
from tem.finance.solver import align_left_t

COARSE_EVERY = 32
FINE_EVERY = 8  # the second level: every 8th point (divides COARSE_EVERY, so the coarse points are among them)
_MARGIN = 1e-9  # relative: far above the rounding of sums of 20-200 products of numbers at most 1


@lru_cache(maxsize=16)
def coarse_points(n_years: int) -> np.ndarray:
    """Every ``COARSE_EVERY``-th grid point from each bound side of the junction, the junction and both bounds
    (indices into ``grid(n_years).y``, increasing)."""
    return _every(n_years, COARSE_EVERY)


@lru_cache(maxsize=16)
def fine_points(n_years: int) -> np.ndarray:
    """As :func:`coarse_points` with every ``FINE_EVERY``-th point (a superset of the coarse points)."""
    return _every(n_years, FINE_EVERY)


def _every(n_years: int, every: int) -> np.ndarray:
    g = grid(n_years)
    last = g.y.size - 1
    low, high = np.arange(0, g.junction, every), np.arange(g.junction, last, every)
    points = np.unique(np.concatenate([low, high, [last]]))
    points.flags.writeable = False
    return points


def certainly_several(value: np.ndarray, max_abs: np.ndarray, points: np.ndarray, n_years: int) -> np.ndarray:
    """Rows (S,) that the rules give several IRRs (certificate 1), from the NPV ``value`` (S, len(points)) at
    ``points``; False where the points do not prove it. ``max_abs``: each row's largest absolute flow.

    With the points whose sign is certain (beyond the margin): the first change of sign ends at the first point
    whose sign differs from the first sign, the last one starts at the last point whose sign differs from the
    final sign; two changes at least two grid points apart (the second starting 2 or more points after the first
    ends) are two sites more than CLOSE_STEPS apart."""
    n_s, n_k = value.shape
    margin = ((2.0 * ZERO_TOL * n_years) * max_abs)[:, None]  # PV(|flows|) <= T max|c|: every power is at most 1
    pos, neg = value > margin, value < -margin
    if n_k <= _BITS:  # each row's points of each sign as the bits of an exact double: first and last from frexp
        weight = _POWERS_OF_TWO[:n_k]
        return _several_from_bits(np.dot(pos, weight), np.dot(neg, weight), points)
    # the first change ends at the later of the first positive and the first negative point; the last one starts
    # at the earlier of the last positive and the last negative point (argmax of bools: their first True)
    rows = np.arange(n_s)
    first_pos, first_neg = np.argmax(pos, axis=1), np.argmax(neg, axis=1)
    both_signs = pos[rows, first_pos] & neg[rows, first_neg]
    last_pos = np.argmax(np.ascontiguousarray(pos[:, ::-1]), axis=1)  # from the end (contiguous: far faster)
    last_neg = np.argmax(np.ascontiguousarray(neg[:, ::-1]), axis=1)
    first_end = points[np.maximum(first_pos, first_neg)]
    last_start = points[(n_k - 1) - np.maximum(last_pos, last_neg)]
    return both_signs & (last_start - first_end >= 2)


_BITS = 52  # points a double's significand holds as bits, exactly
_POWERS_OF_TWO = 2.0 ** np.arange(_BITS)


def _several_from_bits(pos_bits: np.ndarray, neg_bits: np.ndarray, points: np.ndarray) -> np.ndarray:
    """:func:`certainly_several` from each row's points of each sign, bit k for ``points[k]`` (exact doubles)."""
    pos_int, neg_int = pos_bits.astype(np.int64), neg_bits.astype(np.int64)
    # 1 + the index of the lowest bit set (of the highest for the last), 0 where none is
    first_end = np.maximum(np.frexp((pos_int & -pos_int).astype(float))[1], np.frexp((neg_int & -neg_int).astype(float))[1])
    last_start = np.minimum(np.frexp(pos_bits)[1], np.frexp(neg_bits)[1])  # 0 unless both signs occur
    at = np.concatenate([[0], points])
    return (last_start > 0) & (at[last_start] - at[first_end] >= 2)


def sign_bits_t(c_t: np.ndarray, max_abs: np.ndarray) -> np.ndarray:
    """(2, n): for flows laid out (T, n), bit k set where the NPV at coarse point k is certainly positive (row 0)
    and certainly negative (row 1), beyond :func:`certainly_several`'s margin (at most ``_BITS`` points)."""
    n_t = c_t.shape[0]
    value_t = _coarse_npv_t(c_t)
    margin = (2.0 * ZERO_TOL * n_t) * max_abs
    weight = _POWERS_OF_TWO[: value_t.shape[0]]
    sign = np.empty_like(value_t)  # 1.0 where the sign is certain (a product of doubles: far faster than of bools)
    out = np.empty((2, c_t.shape[1]))
    np.greater(value_t, margin, out=sign, casting="unsafe")
    np.matmul(weight, sign, out=out[0])
    np.less(value_t, -margin, out=sign, casting="unsafe")
    np.matmul(weight, sign, out=out[1])
    return out


def _coarse_npv_t(c_t: np.ndarray) -> np.ndarray:
    """NPV of flows laid out (T, n) at the coarse points, (points, n): (points, T) powers times the aligned flows,
    no transposed copy. The sums may round otherwise than the grid's products, far within certificate 1's margin
    (it holds for the grid's own values: beyond the margin, a value and the grid's differ by at most
    ``T eps PV(|flows|)``)."""
    n_t = c_t.shape[0]
    low, high, low_reversed = _coarse_powers_t(n_t)
    n_low = low.shape[0]
    value_t = np.empty((n_low + high.shape[0], c_t.shape[1]))
    np.matmul(low_reversed, c_t, out=value_t[:n_low])  # the powers reversed: the flows' polynomial in y
    shift = np.flatnonzero(c_t[-1] == 0)
    if shift.size:  # flows ending in zeros: the polynomial in y starts at the last non-zero flow
        value_t[:n_low, shift] = low @ finance_grid.align_right(np.ascontiguousarray(c_t[:, shift].T)).T
    np.matmul(high, align_left_t(c_t), out=value_t[n_low:])
    return value_t


@lru_cache(maxsize=16)
def _coarse_powers_t(n_years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The powers of the coarse points below the junction and from it up, each (points there, T), and the first
    with its years reversed (``y ** (T - 1 - t)``: for the flows as they are), contiguous."""
    g, points = grid(n_years), coarse_points(n_years)
    n_low = int(np.count_nonzero(points < g.junction))
    low, high = (np.ascontiguousarray(g.power[:, p].T) for p in (points[:n_low], points[n_low:]))
    out = (low, high, np.ascontiguousarray(low[:, ::-1]))
    for a in out:
        a.flags.writeable = False
    return out


def unsettled_cells(value: np.ndarray, size: np.ndarray, points: np.ndarray, junction: int) -> np.ndarray:
    """(S, cells) True where the cell ``points[k] .. points[k + 1]`` may hold a point with
    ``|R| <= _CANDIDATE_MAX`` (certificate 2), from the NPV ``value`` and PV(|flows|) ``size`` (S, points) at
    ``points``. With ``P+- = (A +- P) / 2`` at the ends, the bound of the docstring (below the junction)
    ``P+(p) - P-(q) > c A(q)`` reads ``P(p) + P(q) > (1 + 2 c) A(q) - A(p)``, and ``P-(p) - P+(q) > c A(q)`` the
    same for ``-P``: the cell is settled where ``|P(p) + P(q)| > (1 + 2 c) A(big) - A(small)`` (``big`` = q below
    the junction, p from it up), with ``c = _CANDIDATE_MAX`` and a relative margin of 1e-9 of ``A(big)`` for the
    rounding of the sums."""
    n_low = int(np.count_nonzero(points[:-1] < junction))  # the cells below the junction: the parts increase
    big = np.concatenate([size[:, 1 : n_low + 1], size[:, n_low:-1]], axis=1)
    small = np.concatenate([size[:, :n_low], size[:, n_low + 1 :]], axis=1)
    return np.abs(value[:, :-1] + value[:, 1:]) <= _SETTLED * big - small


_SETTLED = 1.0 + 2.0 * _CANDIDATE_MAX + 1e-9


@lru_cache(maxsize=64)
def _inside(n_years: int, every: int, every_inside: int) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """For each cell between consecutive ``every``-th points (:func:`_every`): the powers (T, n) of the
    ``every_inside``-th points strictly inside it (contiguous), the number of cells of those points in it, and the
    index of its start among those points."""
    g = grid(n_years)
    outer, inner = _every(n_years, every), _every(n_years, every_inside)
    first = np.searchsorted(inner, outer)
    powers = tuple(np.ascontiguousarray(g.power[:, inner[a + 1 : b]]) for a, b in itertools.pairwise(first))
    for a in powers:
        a.flags.writeable = False
    return powers, np.diff(first), first[:-1]


def classify_sparse(
    left: np.ndarray, right: np.ndarray, max_abs: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``grid.classify`` of one chunk (status, lo, hi per row), reading the grid only where it can matter.

    Certificate 1 on the coarse points (:func:`not_several`); then (:func:`classify_open`) certificate 2 on the
    coarse cells, on the cells between every ``FINE_EVERY``-th point inside the coarse cells it leaves open,
    and the grid points inside the fine cells it leaves open are read. ``max_abs``: each row's largest absolute
    flow, if the caller knows it."""
    n_s = left.shape[0]
    status = np.full(n_s, 3, dtype=np.int8)
    lo = np.zeros(n_s, dtype=np.int64)
    hi = np.zeros(n_s, dtype=np.int64)
    rest, value = not_several(left, right, max_abs)
    if rest.size:
        status[rest], lo[rest], hi[rest] = classify_open(left[rest], right[rest], value)
    return status, lo, hi


def classify_several(c_t: np.ndarray, cols: np.ndarray, max_abs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`classify_sparse` of the scenarios ``cols`` of the flows ``c_t`` laid out (T, S), scaled so that
    ``max_abs`` is each one's largest absolute flow. Status, lo, hi per scenario of ``cols``.

    Certificate 1 (:func:`sign_bits_t`) runs on ``_CERTIFY_CHUNK`` scenarios at a time, in the flows' layout; the
    rows it leaves open are then laid out by row and read further (:func:`classify_open`) ``_OPEN_CHUNK`` at a
    time. Both sizes bound the temporaries (the coarse values are a few dozen numbers a row; the reading of an
    open row takes more, most where the NPV stays near zero over a wide range), and the rows certificate 1
    settles (most, on flows with several IRRs) leave the reading no small chunks, each costing about 0.3 ms
    besides its rows. tests/finance/test_irr_before.py compares chunk sizes."""
    n = cols.size
    n_t = c_t.shape[0]
    status = np.full(n, 3, dtype=np.int8)
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    several = np.empty(n, dtype=bool)
    bits = np.empty((2, n)) if coarse_points(n_t).size <= _BITS else None  # each row's certain signs, as bits
    for start in range(0, n, _CERTIFY_CHUNK):
        part = slice(start, start + _CERTIFY_CHUNK)
        chunk_t = _columns(c_t, cols[part])
        if bits is None:  # too many points for the bits of a double: certificate 1 by row
            value = np.ascontiguousarray(_coarse_npv_t(chunk_t).T)
            several[part] = certainly_several(value, max_abs[part], coarse_points(n_t), n_t)
        else:
            bits[:, part] = sign_bits_t(chunk_t, max_abs[part])
    if bits is not None:
        several = _several_from_bits(bits[0], bits[1], coarse_points(n_t))
    rest = np.flatnonzero(~several)
    for start in range(0, rest.size, _OPEN_CHUNK):
        idx = rest[start : start + _OPEN_CHUNK]
        c = np.ascontiguousarray(_columns(c_t, cols[idx]).T)  # the open rows laid out by row
        left, right = finance_grid.align_left(c), finance_grid.align_right(c)
        value = finance_grid.grid_npv(left, right, coarse_points(n_t))  # the grid's product
        status[idx], lo[idx], hi[idx] = classify_open(left, right, value)
    return status, lo, hi


def _columns(c_t: np.ndarray, these: np.ndarray) -> np.ndarray:
    """The columns ``these`` (increasing) of ``c_t``: a view where they are consecutive, else a gather."""
    if these[-1] - these[0] == these.size - 1:
        return c_t[:, these[0] : these[-1] + 1]
    return c_t[:, these]


_CERTIFY_CHUNK = 2048
_OPEN_CHUNK = 4096


def not_several(left: np.ndarray, right: np.ndarray, max_abs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rows certificate 1 does not settle (indices) and their NPV at the coarse points, (rows, points)."""
    n_t = left.shape[1]
    points = coarse_points(n_t)
    value = finance_grid.grid_npv(left, right, points)  # through the module: tests watch its products
    if max_abs is None:
        max_abs = np.max(np.abs(left), axis=1)
    rest = np.flatnonzero(~certainly_several(value, max_abs, points, n_t))
    return rest, value[rest]


def classify_open(left: np.ndarray, right: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status, lo, hi of rows certificate 1 leaves open (``value``: their NPV at the coarse points): certificate 2
    on the coarse cells; rows whose open cells certificate 3 proves monotone are settled by it
    (:func:`monotone.classify_certified`), the others read further (:func:`classify_read`)."""
    n_t = left.shape[1]
    g = grid(n_t)
    points = coarse_points(n_t)
    size = finance_grid.grid_size(left, right, points)
    opened = unsettled_cells(value, size, points, g.junction)
    crossings = monotone.certify_cells(left, right, value, size, opened, points, g.junction)
    read = crossings.read
    if not read.any():
        return monotone.classify_certified(left, right, size, points, crossings)
    if read.all():
        return classify_read(left, right, value, size, opened)
    status = np.empty(read.size, dtype=np.int8)
    lo, hi = np.empty(read.size, dtype=np.int64), np.empty(read.size, dtype=np.int64)
    rows = np.flatnonzero(read)
    status[rows], lo[rows], hi[rows] = classify_read(left[rows], right[rows], value[rows], size[rows], opened[rows])
    rows = np.flatnonzero(~read)
    keep = ~read[crossings.row]  # the crossings of those rows, numbered among them
    renumbered = (np.cumsum(~read) - 1)[crossings.row[keep]]
    mine = monotone.Crossings(read[rows], renumbered, *(a[keep] for a in crossings[2:]))
    status[rows], lo[rows], hi[rows] = monotone.classify_certified(left[rows], right[rows], size[rows], points, mine)
    return status, lo, hi


def classify_read(
    left: np.ndarray, right: np.ndarray, value: np.ndarray, size: np.ndarray, opened: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status, lo, hi of rows read on the fine points of their ``opened`` coarse cells (certificate 2's, (rows,
    cells)) and on every point of the fine cells left open; ``value`` and ``size``: NPV and PV(|flows|) at the
    coarse points."""
    n_t = left.shape[1]
    g = grid(n_t)
    points = coarse_points(n_t)
    both = np.concatenate([right, left])
    row, cell = np.nonzero(opened)
    ends = (value[row, cell], size[row, cell], value[row, cell + 1], size[row, cell + 1])
    # the coarse cells left open, read on their FINE_EVERY-th points: certificate 2 on those cells
    powers, n_sub, first_sub = _inside(n_t, COARSE_EVERY, FINE_EVERY)
    above = points[cell] >= g.junction
    cell_value, cell_size = _cell_values(both, row, cell, above, ends, powers, n_sub[cell], COARSE_EVERY // FINE_EVERY)
    pair, sub = np.nonzero(_open_cells(cell_value, cell_size, n_sub[cell], above))  # sorted: row, then fine cell
    row, cell, above = row[pair], first_sub[cell[pair]] + sub, above[pair]
    ends = (cell_value[pair, sub], cell_size[pair, sub], cell_value[pair, sub + 1], cell_size[pair, sub + 1])
    # the fine cells left open, read on every grid point
    powers, n_sub, _ = _inside(n_t, FINE_EVERY, 1)
    steps = n_sub[cell]
    cell_value, cell_size = _cell_values(both, row, cell, above, ends, powers, steps, FINE_EVERY)
    ratio = cell_value / cell_size
    offset = np.arange(FINE_EVERY + 1)
    used = offset[None, :] <= steps[:, None]
    # an end shared with the next open cell is read once (as that cell's start)
    at_end = np.arange(row.size), steps
    used[at_end[0][:-1], steps[:-1]] = (row[1:] != row[:-1]) | (cell[1:] != cell[:-1] + 1)
    keep = used & (np.abs(ratio) <= _NEAR_ZERO)
    keep[:, 1:-1] &= _matters(ratio)
    flat = ((row * g.y.size + fine_points(n_t)[cell])[:, None] + offset[None, :])[keep]
    return classify_points(left, right, flat, ratio[keep])


def _cell_values(
    both: np.ndarray,
    row: np.ndarray,
    cell: np.ndarray,
    above: np.ndarray,
    ends: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    powers: tuple[np.ndarray, ...],
    n_sub: np.ndarray,
    most: int,
) -> tuple[np.ndarray, np.ndarray]:
    """NPV and PV(|flows|) of row ``row[i]`` at the start of cell ``cell[i]`` (column 0), at the points inside it
    whose powers are ``powers[cell[i]]`` (columns 1 .. n_sub[i] - 1) and at its end (column n_sub[i]), each
    (len(row), most + 1); ``both``: the flows aligned right then left, stacked (2 S, T); ``ends``: the values
    and sizes at the starts and ends, ``above``: the cell lies from the junction up. One matrix product per
    distinct cell, over the rows where it is open."""
    n = row.size
    order = np.argsort(cell, kind="stable")
    sorted_cell = cell[order]
    coef = both[row[order] + np.where(above[order], both.shape[0] // 2, 0)]  # the cell's aligned flows
    coef_size = np.abs(coef)
    firsts = np.flatnonzero(sorted_cell[1:] != sorted_cell[:-1]) + 1  # where each distinct cell starts (sorted)
    cells = sorted_cell[np.concatenate([[0], firsts])] if n else sorted_cell
    bounds = [0, *firsts.tolist(), n] if n else [0]
    inside_value, inside_size = np.zeros((n, most - 1)), np.ones((n, most - 1))
    for k, a, b in zip(cells.tolist(), bounds[:-1], bounds[1:], strict=True):
        w = powers[k]
        if w.shape[1] == most - 1:
            np.matmul(coef[a:b], w, out=inside_value[a:b])
            np.matmul(coef_size[a:b], w, out=inside_size[a:b])
        elif w.shape[1]:  # a cell next to the junction or a bound: fewer points
            inside_value[a:b, : w.shape[1]] = coef[a:b] @ w
            inside_size[a:b, : w.shape[1]] = coef_size[a:b] @ w
    value, size = np.empty((n, most + 1)), np.empty((n, most + 1))
    value[:, 0], size[:, 0] = ends[0], ends[1]
    value[order, 1:most], size[order, 1:most] = inside_value, inside_size
    value[:, most], size[:, most] = 0.0, 1.0  # unused where the cell is shorter (its end is written next)
    at_end = np.arange(n), n_sub
    value[at_end], size[at_end] = ends[2], ends[3]
    return value, size


def _open_cells(value: np.ndarray, size: np.ndarray, n_sub: np.ndarray, above: np.ndarray) -> np.ndarray:
    """:func:`unsettled_cells` of the cells between consecutive columns of ``value`` and ``size`` (one cell per
    row; ``n_sub`` of them real, ``above``: from the junction up)."""
    pos, neg = (size + value) / 2.0, (size - value) / 2.0
    up = above[:, None]
    start, end = slice(0, -1), slice(1, None)
    p_min = np.where(up, pos[:, end] - neg[:, start], pos[:, start] - neg[:, end])
    p_max = np.where(up, pos[:, start] - neg[:, end], pos[:, end] - neg[:, start])
    a_max = np.where(up, pos[:, start] + neg[:, start], pos[:, end] + neg[:, end])
    away = _CANDIDATE_MAX * (1.0 + _MARGIN) * a_max
    real = np.arange(value.shape[1] - 1)[None, :] < n_sub[:, None]
    return real & ~((p_min > away) | (-p_max > away))


def _matters(ratio: np.ndarray) -> np.ndarray:
    """For the points inside each cell (columns 1 .. -2 of ``ratio``, each with both neighbours read): False where
    the rules cannot use the point. A point with ``|R| > _CANDIDATE_MAX`` whose neighbours both have
    ``|R| > _CANDIDATE_MAX`` and its sign is not a zero point, a candidate, an end of a crossing or a neighbour of
    a zero point or a candidate, so no rule reads it; leaving it out only unlinks it from its neighbours, which no
    rule compares with it either."""
    small = np.abs(ratio) <= _CANDIDATE_MAX
    s = signs(ratio)
    mid = slice(1, -1)
    return small[:, mid] | small[:, :-2] | small[:, 2:] | (s[:, mid] != s[:, :-2]) | (s[:, mid] != s[:, 2:])

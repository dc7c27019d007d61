"""The IRR solver behind :func:`tem.finance.irr`: the coarse bracket of a one-sign-change row, and Newton.

Flows are laid out ``(T, S)`` here (each year one contiguous row), so the work on every scenario is a few
vector operations per year. Every function is element-wise over scenarios (a scenario gives the same bits
alone or in a batch) except the coarse grid's matrix product, whose signs are read with a margin.
"""

from __future__ import annotations

import numpy as np

from tem.finance.grid import (
    FLAT_TOL,
    NPV_TOL,
    RATE_MAX,
    RATE_MIN,
    Y_MAX,
    Y_MIN,
    ZERO_TOL,
    align_left,
    align_right,
    bound_signs,
)

# brackets the single root of a one-sign-change row: 3% steps in (1 + r) where IRRs usually are (r from -50%
# to +100%), coarser outside; the cubic first guess inside a 3% cell is close enough for 2-3 Newton steps
COARSE_Y = np.concatenate([np.geomspace(Y_MIN, 0.5, 9)[:-1], np.geomspace(0.5, 2.0, 48), np.geomspace(2.0, Y_MAX, 9)[1:]])
_COARSE_LOW = int(np.count_nonzero(COARSE_Y < 1.0))
_coarse_tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # by T: below 1, from 1, both


def _horner(cf_t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) = sum_t cf_t x**t and f'(x) by Horner's rule, column-wise on flows laid out ``(T, S)``
    (contiguous rows, so each step is one vector operation); ``x`` shape ``(S,)``. Element-wise only: a
    scenario gives the same bits alone or in a batch."""
    f = cf_t[-1].copy()
    d = np.zeros_like(f)
    for row in cf_t[-2::-1]:
        d *= x
        d += f
        f *= x
        f += row
    return f, d


def _first_guess(
    lo: np.ndarray, hi: np.ndarray, f_lo: np.ndarray, d_lo: np.ndarray, f_hi: np.ndarray, d_hi: np.ndarray
) -> np.ndarray:
    """Root of the bracket ``[lo, hi]`` (f changes sign there) by inverse cubic Hermite interpolation: x as a
    cubic in f through both ends with slopes dx/df = 1/f'. Falls back to the secant where the slopes
    disagree with the bracket (f not monotone there) or the cubic leaves the bracket."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = f_hi - f_lo
        s = -f_lo / h  # in (0, 1): where f = 0 lies between the ends, linearly
        secant = lo + s * (hi - lo)
        s2 = s * s
        s3 = s2 * s
        x = (2 * s3 - 3 * s2 + 1) * lo + (-2 * s3 + 3 * s2) * hi + ((s3 - 2 * s2 + s) / d_lo + (s3 - s2) / d_hi) * h
    slope_sign = np.sign(h)
    monotone = (np.sign(d_lo) == slope_sign) & (np.sign(d_hi) == slope_sign)
    x = np.where(monotone & (x > lo) & (x < hi), x, secant)
    return np.where((x > lo) & (x < hi), x, np.sqrt(lo * hi))


def _newton(cf_t: np.ndarray, x: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain Newton from ``x`` on flows laid out ``(T, S)``: the fast path. A row is finished when the error
    left after a step ``s`` is below ``tol * x``: Newton's error is about ``C s**2``, with ``C`` estimated as
    ``s / previous_step**2`` (or taken as 1e6 on the first step: ``s <= 1e-3 * sqrt(tol) * x``), or when ``f``
    is exactly 0; finished rows keep their value (as they would alone) and drop out in batches.
    Returns the roots and whether each row converged (rows that did not are solved again, safeguarded)."""
    quadratic = 1e-3 * np.sqrt(tol)
    n_s = cf_t.shape[1]
    out = x.copy()
    converged = np.zeros(n_s, dtype=bool)
    idx = np.arange(n_s)
    finished = np.zeros(n_s, dtype=bool)
    previous = np.zeros(n_s)  # the last step's size (none yet)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(max_iter):
            f, d = _horner(cf_t, x)
            step = np.abs(f / d)
            nxt = np.where(f == 0, x, x - f / d)
            # after a step s Newton's error is about C s**2, and C is about s / previous**2
            done = ((step <= quadratic * x) | (step**3 <= tol * x * previous**2)) & np.isfinite(nxt)
            done |= f == 0
            x = np.where(finished, x, nxt)
            previous = step
            finished |= done
            if finished.all():
                break
            if np.count_nonzero(finished) * 4 >= finished.size:  # drop finished rows once a quarter are done
                out[idx[finished]] = x[finished]
                converged[idx[finished]] = True
                keep = ~finished
                idx, x, cf_t, finished = idx[keep], x[keep], cf_t[:, keep], finished[keep]
                previous = previous[keep]
    out[idx] = x
    converged[idx] = finished
    return out, converged


def _solve_bracketed(cf_t: np.ndarray, lo: np.ndarray, hi: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Root of each column's polynomial in ``[lo, hi]`` (a sign change there); flows laid out ``(T, S)``.

    A cubic first guess from the values and slopes at both ends, then plain Newton (:func:`_newton`). Rows
    where Newton does not converge inside the bracket are solved again by safeguarded Newton: bisection (in
    log x) whenever a Newton step would leave the bracket, until a step is below ``tol * x``."""
    f_lo, d_lo = _horner(cf_t, lo)
    f_hi, d_hi = _horner(cf_t, hi)
    x0 = _first_guess(lo, hi, f_lo, d_lo, f_hi, d_hi)
    out, converged = _newton(cf_t, x0, tol, 12)
    retry = np.flatnonzero(~(converged & (out >= lo) & (out <= hi)))
    if retry.size:
        out[retry] = _safeguarded(cf_t[:, retry], x0[retry], lo[retry], hi[retry], f_lo[retry], tol, max_iter)
    return out


def _safeguarded(
    cf_t: np.ndarray, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, f_lo: np.ndarray, tol: float, max_iter: int
) -> np.ndarray:
    """Newton kept inside ``[lo, hi]`` by bisection in log x; stops when a step is below ``tol * x``."""
    lo, hi, f_lo = lo.copy(), hi.copy(), f_lo.copy()
    finished = np.zeros(x.shape, dtype=bool)
    for _ in range(max_iter):
        f, d = _horner(cf_t, x)
        same = (f > 0) == (f_lo > 0)
        lo = np.where(same, x, lo)
        f_lo = np.where(same, f, f_lo)
        hi = np.where(same, hi, x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = x - f / d
        inside = (newton >= lo) & (newton <= hi)  # False for NaN
        exact = f == 0
        nxt = np.where(exact, x, np.where(inside, newton, np.sqrt(lo * hi)))
        done = (np.abs(nxt - x) <= tol * x) | exact
        x = np.where(finished, x, nxt)
        finished |= done
        if finished.all():
            break
    return x


def scaled(c_t: np.ndarray, biggest: np.ndarray, in_place: bool = False) -> np.ndarray:
    """Each scenario (a column of ``c_t`` (T, S)) times the power of two that puts its largest absolute flow
    (``biggest``) in [0.5, 1); all-zero scenarios kept. Exact, so the root cannot move (a product with a power
    of two is exact unless it leaves the normal range; there ``ldexp`` is used). ``in_place``: into ``c_t``."""
    _, exponent = np.frexp(biggest)
    if not exponent.any():
        return c_t
    out = c_t if in_place else None
    if np.abs(exponent).max() < 1000:
        return np.multiply(c_t, np.ldexp(1.0, -exponent)[None, :], out=out)
    return np.ldexp(c_t, -exponent[None, :], out=out)


def align_left_t(c_t: np.ndarray) -> np.ndarray:
    """:func:`tem.finance.grid.align_left` of flows laid out (T, S)."""
    shifted = np.flatnonzero(c_t[0] == 0)
    if not shifted.size:
        return c_t
    out = c_t.copy()
    out[:, shifted] = align_left(c_t[:, shifted].T).T
    return out


_ONE_FORM_YEARS = 150  # up to here the coarse grid uses one polynomial: 0.05 ** 149 ~ 1e-194 stays normal


def coarse_cell(left_t: np.ndarray, c_t: np.ndarray, cols: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """For the scenarios ``cols`` (None: all), whose flows change sign once (``left_t`` the aligned flows and
    ``c_t`` the flows of every scenario, laid out (T, S)): the index
    ``k`` of the coarse cell ``[COARSE_Y[k], COARSE_Y[k + 1]]`` holding the root, and whether the root is in
    range (the signs of ``R`` at the two bounds, as :func:`tem.finance.grid.signs`, differ or one is 0). The
    points above the root have the sign of the upper bound: the cell starts at the last point without it.

    Below ``y = 1`` the values are ``y**(T - 1) x`` the NPV (same sign, every power at most 1); up to
    ``_ONE_FORM_YEARS`` years that is one table over ``left_t``, beyond it the reversed flows are used."""
    n_t = left_t.shape[0]
    if n_t not in _coarse_tables:
        k = np.arange(n_t, dtype=float)[None, :]
        low = COARSE_Y[:_COARSE_LOW, None] ** (k[:, ::-1] if n_t <= _ONE_FORM_YEARS else k)
        high = COARSE_Y[_COARSE_LOW:, None] ** -k
        _coarse_tables[n_t] = (low, high, np.concatenate([low, high]))
    low, high, both = _coarse_tables[n_t]
    if cols is not None:
        left_t = left_t[:, cols]
    if n_t <= _ONE_FORM_YEARS:
        values = both @ left_t  # (points, S)
    else:
        rows = c_t.T if cols is None else c_t[:, cols].T
        values = np.concatenate([low @ np.ascontiguousarray(align_right(np.ascontiguousarray(rows)).T), high @ left_t])
    # rows scaled to |c| < 1 have PV(|flows|) <= T at every point: beyond ZERO_TOL x T the sign is certain
    end_signs = np.sign(values[[0, -1]]).astype(np.int8)
    unsure = np.flatnonzero((np.abs(values[[0, -1]]) <= ZERO_TOL * n_t).any(axis=0))
    if unsure.size:
        rows = np.ascontiguousarray(c_t[:, unsure if cols is None else cols[unsure]].T)
        end_signs[:, unsure] = np.stack(bound_signs(align_left(rows), align_right(rows)))
    inside = end_signs[0].astype(np.int64) * end_signs[1] <= 0
    upper = end_signs[1]

    def count(points: np.ndarray) -> np.ndarray:  # per scenario, summed as bytes (fewer than 256 points)
        return np.add.reduce(points.view(np.uint8), axis=0, dtype=np.uint8).astype(np.int64)

    if (upper < 0).all():
        n_above = count(values < 0)
    else:
        n_above = count(values > 0)
        if (upper <= 0).any():
            n_above = np.where(upper > 0, n_above, np.where(upper < 0, count(values < 0), 0))
    return np.clip(COARSE_Y.size - 1 - n_above, 0, COARSE_Y.size - 2), inside


def solve(
    left_t: np.ndarray, c_t: np.ndarray, cols: np.ndarray | None, lo: np.ndarray, hi: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rates of the roots bracketed by ``lo <= 1 + r <= hi`` for the scenarios ``cols`` (None: all; ``left_t``
    the aligned flows and ``c_t`` the flows of every scenario, laid out (T, S)) and a status for each: 0, 6 where
    ``|NPV| > NPV_TOL x PV(|flows|)`` at the root, 4 where the NPV ratio is flat there (``|dR / d ln(1 + r)| <
    FLAT_TOL``: a multiple root). Brackets reaching below 1 are solved in ``y = 1 + r`` on the reversed flows,
    the others in ``x = 1 / (1 + r)``: every power is then at most about 1."""

    def columns(a: np.ndarray) -> np.ndarray:  # the scenarios' columns of a (T, S) array (a view for all)
        return a if cols is None else a[:, cols]

    in_y = lo < 1.0
    if in_y.all():
        coef_t = columns(c_t[::-1])  # the reversed flows: the polynomial in y
    elif not in_y.any():
        coef_t = columns(left_t)
    else:  # the aligned flows, and the reversed ones where the bracket reaches below 1 (copies)
        coef_t = columns(left_t).copy() if cols is None else columns(left_t)
        below = np.flatnonzero(in_y)
        coef_t[:, below] = c_t[::-1, below if cols is None else cols[below]]
    shift = np.flatnonzero(in_y & ((c_t[-1] if cols is None else c_t[-1, cols]) == 0))
    if shift.size:  # scenarios ending in zeros: their polynomial in y starts at the last non-zero flow
        coef_t = np.array(coef_t)  # a copy: never write into the caller's flows
        coef_t[:, shift] = align_right(np.ascontiguousarray(columns(c_t)[:, shift].T)).T
    v_lo = np.where(in_y, lo, 1.0 / hi)
    v_hi = np.where(in_y, hi, 1.0 / lo)
    root = _solve_bracketed(coef_t, v_lo, v_hi, tol, max_iter)
    value, deriv = _horner(coef_t, root)
    slope = np.abs(root * deriv)  # |dNPV / d ln(1 + r)| in the solving form
    n_t = coef_t.shape[0]
    with np.errstate(invalid="ignore"):
        # PV(|flows|) is at least the constant term (aligned: non-zero) and at most T max(1, v)**(T - 1) (scaled
        # flows under 1): the exact ratio is computed only where these bounds do not settle the checks
        checked = np.abs(value) <= NPV_TOL * np.abs(coef_t[0])  # False for NaN
        steep = slope >= 2.0 * FLAT_TOL * n_t * np.maximum(root, 1.0) ** (n_t - 1)
    doubt = np.flatnonzero((~checked | ~steep) & np.isfinite(value))
    if doubt.size:
        size, size_deriv = _horner(np.abs(coef_t[:, doubt]), root[doubt])
        checked[doubt] = np.abs(value[doubt]) <= NPV_TOL * size
        # dR/du = (P' A - P A') / A**2 with ' = d / d ln(1 + r) = -x d/dx in x, +y d/dy in y (the same magnitude)
        ratio_slope = (deriv[doubt] * size - value[doubt] * size_deriv) * root[doubt] / (size * size)
        steep[doubt] = np.abs(ratio_slope) >= FLAT_TOL
    with np.errstate(divide="ignore"):
        rate = np.where(in_y, root - 1.0, 1.0 / root - 1.0)
    code = np.where(checked, np.where(steep, 0, 4), 6).astype(np.int8)
    return np.clip(rate, RATE_MIN, RATE_MAX), code

"""Vectorized finance functions over cash flows shaped ``(..., n_years)``: NPV, IRR, MIRR, payback, peak funding.

Conventions (written once, tested): money in positive, money out negative; ``cf[..., t]`` falls at the end of
year ``t`` (t = 0 is the first fiscal year) and is discounted to the start of year 0 by ``(1 + r) ** -(t + 1)``
(``(1 + r) ** -(t + 0.5)`` with the mid-year option). Hence ``npv(r, cf) == npf.npv(r, cf_row) / (1 + r)``
and, in a spreadsheet, ``=NPV(r, CF0:CFn)``.

Shapes: every function takes flows shaped ``(..., T)`` (the last axis is the years) and returns one value per
row, shaped ``(...)``; a 1-D array is one scenario and gives shape ``(1,)``. ``T = 0`` (no years) raises
``ValueError``. A row holding NaN or an infinity gives NaN (and IRR status 5, "invalid flows").

IRR contract (:func:`irr`, rules in :mod:`tem.finance_grid`, the same in the workbook's formulas):

* the IRR is the rate ``r`` that makes ``sum_t cf_t / (1 + r) ** t`` zero, searched on the closed range
  ``0.05 <= 1 + r <= 11`` (-95% to +1000%, both bounds included);
* it is reported only when exactly one root lies in that range; otherwise the rate is NaN and
  :data:`IRR_STATUS` says why: no sign change (1), no root in range (2), several roots in range (3), roots
  too close to separate: a double root, or roots within two grid steps (1% for up to 20 years) or a near
  touch of zero (4), invalid flows (5), or a solver result failing the NPV check (6);
* roots outside the range never matter; every rate returned satisfies ``|NPV(r)| <= 1e-10 x PV(|flows|, r)``
  (``NPV_TOL``: the NPV as a fraction of the present value at ``r`` of the absolute flows);
* a row's result does not change when the row is scaled by a power of two (rows are normalised that way),
  nor when it is evaluated alone or inside a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years
from tem.finance_grid import (
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
    classify,
    grid,
)

IRR_STATUS = {
    0: "ok",
    1: "no sign change in the cash flows: no IRR exists",
    2: "no IRR between -95% and 1000%",
    3: "several IRRs between -95% and 1000%; none is reported",
    4: "IRRs too close to separate (a double root, or roots within two grid steps); none is reported",
    5: "invalid cash flows (NaN or infinite)",
    6: "no rate found meets the NPV tolerance",
}
IRR_STATUS_SHORT = {  # for a KPI card or a spreadsheet cell in place of the rate
    0: "IRR found",
    1: "no IRR: flows never change sign",
    2: "no IRR in -95%..1000%",
    3: "several IRRs",
    4: "IRRs too close to separate",
    5: "invalid cash flows",
    6: "IRR not solved",
}
# brackets the single root of a one-sign-change row: 3% steps in (1 + r) where IRRs usually are (r from -50%
# to +100%), coarser outside; the cubic first guess inside a 3% cell is close enough for 2-3 Newton steps
_COARSE_Y = np.concatenate([np.geomspace(Y_MIN, 0.5, 9)[:-1], np.geomspace(0.5, 2.0, 48), np.geomspace(2.0, Y_MAX, 9)[1:]])
_COARSE_LOW = int(np.count_nonzero(_COARSE_Y < 1.0))
_coarse_tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # by T: below 1, from 1, both


def _rows(cf: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flows as ``(S, T)`` floats and the shape of the per-row results; ``ValueError`` without a year."""
    flows = np.asarray(cf, dtype=float)
    if flows.ndim == 0 or flows.shape[-1] == 0:
        raise ValueError(f"cash flows need a last axis of at least one year; got shape {flows.shape}")
    return flows.reshape(-1, flows.shape[-1]), (flows.shape[:-1] if flows.ndim > 1 else (1,))


def _per_row(x: np.ndarray | float | bool, lead: tuple[int, ...], what: str) -> np.ndarray:
    """A rate (or flag) per row: one value, one per row in any shape, or broadcastable to ``lead``."""
    a = np.asarray(x)
    n = int(np.prod(lead))
    if a.size == n:
        return a.reshape(-1)
    try:
        return np.broadcast_to(a, lead).reshape(-1)
    except ValueError:
        raise ValueError(f"{what} of shape {a.shape} does not fit cash flows with rows shaped {lead}") from None


def discount_factors(rate: np.ndarray, n_years: int, mid_year: np.ndarray | bool = False) -> np.ndarray:
    """``(1 + r) ** -(t + 1)``, or ``-(t + 0.5)`` where ``mid_year``; shape ``(S, T)``."""
    rate = np.asarray(rate, dtype=float).reshape(-1, 1)
    shift = np.where(np.asarray(mid_year, dtype=bool).reshape(-1, 1), 0.5, 1.0)
    t = np.arange(n_years, dtype=float)[None, :]
    return (1.0 + rate) ** -(t + shift)


def npv(rate: np.ndarray | float, cf: np.ndarray, mid_year: np.ndarray | bool = False) -> np.ndarray:
    """Net present value at the start of year 0 of year-end flows ``cf`` (..., T) at ``rate`` (one, or one per
    row); shape ``(...)``. NaN for a row with a NaN or infinite flow."""
    flows, lead = _rows(cf)
    r = _per_row(np.asarray(rate, dtype=float), lead, "rate")
    half = _per_row(np.asarray(mid_year, dtype=bool), lead, "mid_year")
    out = np.sum(flows * discount_factors(r, flows.shape[1], half), axis=1)
    out[~np.isfinite(flows).all(axis=1)] = np.nan
    return out.reshape(lead)


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


def sign_changes(cf: np.ndarray) -> np.ndarray:
    """Sign changes along each row of ``cf`` (S, T), zeros skipped (Descartes' rule: an upper bound on the
    number of IRRs, of the same parity). Shape ``(S,)``."""
    return _sign_changes_t(np.ascontiguousarray(np.atleast_2d(cf).T))


def _sign_changes_t(cf_t: np.ndarray) -> np.ndarray:
    """:func:`sign_changes` of flows laid out (T, S) (sums over contiguous rows are fast)."""
    negative_t = cf_t < 0
    flips = (negative_t[1:] != negative_t[:-1]).view(np.uint8)  # summed as bytes: far faster than bools
    out = np.add.reduce(flips, axis=0, dtype=np.uint16 if cf_t.shape[0] < 2**16 else np.int64).astype(np.int64)
    zero_rows = np.flatnonzero((cf_t == 0).any(axis=0))
    if zero_rows.size:  # carry the last non-zero sign across zeros
        sz = np.sign(cf_t[:, zero_rows].T)
        nonzero = sz != 0
        idx = np.where(nonzero, np.arange(cf_t.shape[0])[None, :], 0)
        filled = np.take_along_axis(sz, np.maximum.accumulate(idx, axis=1), axis=1)
        out[zero_rows] = np.sum(nonzero[:, 1:] & (filled[:, 1:] * filled[:, :-1] < 0), axis=1)
    return out


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


@dataclass(frozen=True)
class IrrResult:
    rate: np.ndarray  # (...), NaN where status != 0
    status: np.ndarray  # (...) int8, see IRR_STATUS

    def reasons(self) -> dict[str, int]:
        """How many scenarios have each status."""
        codes, counts = np.unique(self.status, return_counts=True)
        return {IRR_STATUS[int(c)]: int(n) for c, n in zip(codes, counts, strict=True)}


def irr(cf: np.ndarray, tol: float = 1e-14, max_iter: int = 100) -> IrrResult:
    """Internal rate of return of each row of ``cf`` (..., T), with a status saying why it is NaN.

    Returns rates and statuses shaped ``(...)`` (``(1,)`` for one 1-D row); see the module docstring for the
    contract (range, statuses, tolerance) and :mod:`tem.finance_grid` for the rules. Steps:

    1. rows with a NaN or infinite flow: status 5; each other row is scaled by a power of two so that its
       largest flow lies in [0.5, 1) (exact: the root cannot move);
    2. no sign change (zeros skipped): status 1. One sign change: exactly one positive root (Descartes); it is
       in range exactly when the NPV ratio's signs at the two bounds differ or one is 0, else status 2; a coarse
       grid brackets it. More sign changes: the grid rules of :func:`tem.finance_grid.classify` (statuses 0, 2,
       3, 4 and the bracket);
    3. the root is solved inside its bracket: a cubic first guess, Newton, and Newton kept in the bracket by
       bisection where plain Newton fails (steps below ``tol`` relative); polynomials in ``1 / (1 + r)`` from
       r = 0 up and in ``1 + r`` below, so no power exceeds 1 whatever the number of years;
    4. the rate is checked: ``|NPV| <= NPV_TOL x PV(|flows|)`` at the root, else status 6; it is clipped to the
       closed range (a root on a bound may come out one rounding beyond it).

    Raises ``ValueError`` for flows without a year axis (``T = 0`` or a single number).
    """
    flows, lead = _rows(cf)
    n_s, n_t = flows.shape
    rate = np.full(n_s, np.nan)
    status = np.full(n_s, 5, dtype=np.int8)
    # flows laid out (T, S): each year one contiguous row, so per-scenario work is a few vector operations
    flows_t = np.ascontiguousarray(flows.T)
    biggest = np.max(np.abs(flows_t), axis=0)  # NaN or inf for invalid rows
    rows = np.flatnonzero(np.isfinite(biggest))
    every = rows.size == n_s
    c_t = _scaled(flows_t if every else flows_t[:, rows], biggest if every else biggest[rows])
    sub_rate = np.full(rows.size, np.nan)
    sub_status = np.zeros(rows.size, dtype=np.int8)
    changes = _sign_changes_t(c_t)
    sub_status[changes == 0] = 1
    left_t = _align_left_t(c_t)
    lo = np.full(rows.size, np.nan)
    hi = np.full(rows.size, np.nan)
    single = np.flatnonzero(changes == 1)
    if single.size:
        every = single.size == rows.size
        k, inside = _coarse_cell(left_t if every else left_t[:, single], c_t if every else c_t[:, single])
        sub_status[single[~inside]] = 2
        lo[single[inside]] = _COARSE_Y[k[inside]]
        hi[single[inside]] = _COARSE_Y[k[inside] + 1]
    multi = np.flatnonzero(changes >= 2)
    if multi.size:
        c_multi = np.ascontiguousarray(c_t[:, multi].T)
        found, lo_j, hi_j = classify(align_left(c_multi), align_right(c_multi))
        sub_status[multi] = found
        y = grid(n_t).y
        lo[multi] = np.where(found == 0, y[lo_j], np.nan)
        hi[multi] = np.where(found == 0, y[hi_j], np.nan)
    solve = np.flatnonzero(sub_status == 0)
    if solve.size:
        every = solve.size == rows.size
        found_rate, code = _solve(
            left_t if every else left_t[:, solve], c_t if every else c_t[:, solve], lo[solve], hi[solve], tol, max_iter
        )
        sub_rate[solve] = np.where(code == 0, found_rate, np.nan)
        sub_status[solve] = code
    rate[rows] = sub_rate
    status[rows] = sub_status
    return IrrResult(rate.reshape(lead), status.reshape(lead))


def _scaled(c_t: np.ndarray, biggest: np.ndarray) -> np.ndarray:
    """Each scenario (a column of ``c_t`` (T, S)) times the power of two that puts its largest absolute flow
    (``biggest``) in [0.5, 1); all-zero scenarios kept. Exact, so the root cannot move (a product with a power
    of two is exact unless it leaves the normal range; there ``ldexp`` is used)."""
    _, exponent = np.frexp(biggest)
    if not exponent.any():
        return c_t
    if np.abs(exponent).max() < 1000:
        return c_t * np.ldexp(1.0, -exponent)[None, :]
    return np.ldexp(c_t, -exponent[None, :])


def _align_left_t(c_t: np.ndarray) -> np.ndarray:
    """:func:`tem.finance_grid.align_left` of flows laid out (T, S)."""
    shifted = np.flatnonzero(c_t[0] == 0)
    if not shifted.size:
        return c_t
    out = c_t.copy()
    out[:, shifted] = align_left(c_t[:, shifted].T).T
    return out


_ONE_FORM_YEARS = 150  # up to here the coarse grid uses one polynomial: 0.05 ** 149 ~ 1e-194 stays normal


def _coarse_cell(left_t: np.ndarray, c_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows with one sign change (``left_t`` their aligned flows and ``c_t`` their flows, laid out (T, S)): the index
    ``k`` of the coarse cell ``[_COARSE_Y[k], _COARSE_Y[k + 1]]`` holding the root, and whether the root is in
    range (the signs of ``R`` at the two bounds, as :func:`tem.finance_grid.signs`, differ or one is 0). The
    points above the root have the sign of the upper bound: the cell starts at the last point without it.

    Below ``y = 1`` the values are ``y**(T - 1) x`` the NPV (same sign, every power at most 1); up to
    ``_ONE_FORM_YEARS`` years that is one table over ``left_t``, beyond it the reversed flows are used."""
    n_t = left_t.shape[0]
    if n_t not in _coarse_tables:
        k = np.arange(n_t, dtype=float)[None, :]
        low = _COARSE_Y[:_COARSE_LOW, None] ** (k[:, ::-1] if n_t <= _ONE_FORM_YEARS else k)
        high = _COARSE_Y[_COARSE_LOW:, None] ** -k
        _coarse_tables[n_t] = (low, high, np.concatenate([low, high]))
    low, high, both = _coarse_tables[n_t]
    if n_t <= _ONE_FORM_YEARS:
        values = both @ left_t  # (points, S)
    else:
        values = np.concatenate([low @ np.ascontiguousarray(align_right(c_t.T).T), high @ left_t])
    # rows scaled to |c| < 1 have PV(|flows|) <= T at every point: beyond ZERO_TOL x T the sign is certain
    end_signs = np.sign(values[[0, -1]]).astype(np.int8)
    unsure = np.flatnonzero((np.abs(values[[0, -1]]) <= ZERO_TOL * n_t).any(axis=0))
    if unsure.size:
        rows = np.ascontiguousarray(c_t[:, unsure].T)
        end_signs[:, unsure] = np.stack(bound_signs(align_left(rows), align_right(rows)))
    inside = end_signs[0].astype(np.int64) * end_signs[1] <= 0
    upper = end_signs[1]
    n_above = np.add.reduce((values > 0).view(np.uint8), axis=0, dtype=np.uint8).astype(np.int64)  # < 256 points
    if (upper <= 0).any():
        n_below = np.add.reduce((values < 0).view(np.uint8), axis=0, dtype=np.uint8)
        n_above = np.where(upper > 0, n_above, np.where(upper < 0, n_below, 0))
    return np.clip(_COARSE_Y.size - 1 - n_above, 0, _COARSE_Y.size - 2), inside


def _solve(
    left_t: np.ndarray, c_t: np.ndarray, lo: np.ndarray, hi: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rates of the roots bracketed by ``lo <= 1 + r <= hi`` (``left_t`` the scenarios' aligned flows and
    ``c_t`` their flows, laid out (T, S)) and a status for each: 0, 6 where ``|NPV| > NPV_TOL x PV(|flows|)``
    at the root, 4 where the NPV ratio is flat there (``|dR / d ln(1 + r)| < FLAT_TOL``: a multiple root).
    Brackets reaching below 1 are solved in ``y = 1 + r`` on the reversed flows, the others in
    ``x = 1 / (1 + r)``: every power is then at most about 1."""
    in_y = lo < 1.0
    coef_t = left_t
    if in_y.any():
        coef_t = left_t.copy()
        coef_t[:, in_y] = align_right(np.ascontiguousarray(c_t[:, in_y].T)).T
    v_lo = np.where(in_y, lo, 1.0 / hi)
    v_hi = np.where(in_y, hi, 1.0 / lo)
    root = _solve_bracketed(coef_t, v_lo, v_hi, tol, max_iter)
    value, deriv = _horner(coef_t, root)
    slope = np.abs(root * deriv)  # |dNPV / d ln(1 + r)| in the solving form
    n_t = coef_t.shape[0]
    with np.errstate(invalid="ignore"):
        # PV(|flows|) is at least the constant term (aligned: non-zero) and below T (scaled flows under 1):
        # the exact ratio is computed only where these bounds do not settle the checks
        checked = np.abs(value) <= NPV_TOL * np.abs(coef_t[0])  # False for NaN
        steep = slope >= 2.0 * FLAT_TOL * n_t
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


def mirr(cf: np.ndarray, finance_rate: np.ndarray | float, reinvest_rate: np.ndarray | float) -> np.ndarray:
    """Modified IRR (Excel ``MIRR``) of each row of ``cf`` (..., T): negatives discounted to t=0 at the finance
    rate, positives compounded to the last year at the reinvestment rate; shape ``(...)``. NaN without both
    signs, with one year only, or with a NaN or infinite flow or rate."""
    flows, lead = _rows(cf)
    n = flows.shape[1]
    t = np.arange(n, dtype=float)[None, :]
    fr = _per_row(np.asarray(finance_rate, dtype=float), lead, "finance_rate").reshape(-1, 1)
    rr = _per_row(np.asarray(reinvest_rate, dtype=float), lead, "reinvest_rate").reshape(-1, 1)
    pv_neg = np.sum(np.where(flows < 0, flows, 0.0) * (1.0 + fr) ** -t, axis=1)
    fv_pos = np.sum(np.where(flows > 0, flows, 0.0) * (1.0 + rr) ** (n - 1 - t), axis=1)
    out = np.full(flows.shape[0], np.nan)
    if n < 2:
        return out.reshape(lead)  # one period: no MIRR
    ok = (pv_neg < 0) & (fv_pos > 0) & np.isfinite(flows).all(axis=1) & np.isfinite(pv_neg) & np.isfinite(fv_pos)
    out[ok] = (fv_pos[ok] / -pv_neg[ok]) ** (1.0 / (n - 1)) - 1.0
    return out.reshape(lead)


def payback_years(flows: np.ndarray) -> np.ndarray:
    """Years from the valuation date until the cumulative flow turns non-negative for good; shape ``(...)``
    for flows ``(..., T)``.

    Flows fall at year ends; inside the year where it turns, the flow is spread evenly (linear
    interpolation). 0 when the cumulative flow is never negative; NaN when it ends negative, or for a row with
    a NaN or infinite flow. ``ValueError`` for flows without a year (``T = 0``).
    """
    cf, lead = _rows(flows)
    cum = cumsum_years(cf)
    n_s, n_t = cum.shape
    negative = cum < 0
    out = np.zeros(n_s)
    any_neg = negative.any(axis=1)
    last_neg = n_t - 1 - np.argmax(negative[:, ::-1], axis=1)
    never = any_neg & (last_neg == n_t - 1)
    out[never] = np.nan
    ok = any_neg & ~never
    if ok.any():
        rows = np.flatnonzero(ok)
        k = last_neg[rows]
        out[rows] = (k + 1) + (-cum[rows, k]) / cf[rows, k + 1]
    out[~np.isfinite(cf).all(axis=1)] = np.nan
    return out.reshape(lead)


def peak_funding(flows: np.ndarray) -> np.ndarray:
    """``-min(0, min_t cumulative flow)``: the most cash the program needs at a year end; shape ``(...)`` for
    flows ``(..., T)``; NaN for a row with a NaN or infinite flow."""
    cf, lead = _rows(flows)
    cum = cumsum_years(cf)
    out = -np.minimum(0.0, cum.min(axis=1)) + 0.0  # + 0.0 turns -0.0 into 0.0
    out[~np.isfinite(cf).all(axis=1)] = np.nan
    return out.reshape(lead)

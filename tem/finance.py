"""Vectorized finance functions over cash flows shaped ``(n_scenarios, n_years)``.

Conventions (written once, tested): money in positive, money out negative; ``cf[:, t]`` falls at the end of
year ``t`` (t = 0 is the first fiscal year) and is discounted to the start of year 0 by ``(1 + r) ** -(t + 1)``
(``(1 + r) ** -(t + 0.5)`` with the mid-year option). Hence ``npv(r, cf) == npf.npv(r, cf_row) / (1 + r)``
and, in a spreadsheet, ``=NPV(r, CF0:CFn)``.

IRR is the rate that makes the sum of ``cf_t / (1 + irr) ** t`` zero (the same root whatever the timing
offset). It is searched on ``-0.95 < irr < 10``. Where there is no root, or more than one, the rate is NaN and
a status code says why (:data:`IRR_STATUS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years

IRR_STATUS = {
    0: "ok",
    1: "no sign change in the cash flows: no IRR exists",
    2: "no root between -95% and 1000%",
    3: "several IRRs exist (the cash flows change sign more than once); none is reported",
}
_X_MIN, _X_MAX = 1.0 / 11.0, 20.0  # x = 1 / (1 + r): r from 10 (1000%) down to -0.95
# brackets the single root of a one-sign-change row: 3% steps in (1 + r) where IRRs usually are (r from -50%
# to +100%), coarser outside; the cubic first guess inside a 3% cell is close enough for 2-3 Newton steps
_COARSE_GRID_X = np.concatenate(
    [np.geomspace(_X_MIN, 0.5, 9)[:-1], np.geomspace(0.5, 2.0, 48), np.geomspace(2.0, _X_MAX, 9)[1:]]
)
_FINE_GRID_X = np.geomspace(_X_MIN, _X_MAX, 2001)  # 0.27% steps in (1 + r): separates roots 0.5% apart
_MAX_YEARS = 200
_COARSE_POWERS = _COARSE_GRID_X[None, :] ** np.arange(_MAX_YEARS)[:, None]  # (years, grid)
_FINE_POWERS = _FINE_GRID_X[None, :] ** np.arange(_MAX_YEARS)[:, None]  # (years, grid)


def discount_factors(rate: np.ndarray, n_years: int, mid_year: np.ndarray | bool = False) -> np.ndarray:
    """``(1 + r) ** -(t + 1)``, or ``-(t + 0.5)`` where ``mid_year``; shape ``(S, T)``."""
    rate = np.asarray(rate, dtype=float).reshape(-1, 1)
    shift = np.where(np.asarray(mid_year, dtype=bool).reshape(-1, 1), 0.5, 1.0)
    t = np.arange(n_years, dtype=float)[None, :]
    return (1.0 + rate) ** -(t + shift)


def npv(rate: np.ndarray | float, cf: np.ndarray, mid_year: np.ndarray | bool = False) -> np.ndarray:
    """Net present value at the start of year 0 of year-end flows; shape ``(S,)``."""
    cf = np.atleast_2d(np.asarray(cf, dtype=float))
    r = np.broadcast_to(np.asarray(rate, dtype=float).reshape(-1), (cf.shape[0],))
    return np.sum(cf * discount_factors(r, cf.shape[1], mid_year), axis=1)


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
    """Sign changes along each row, zeros skipped (Descartes' rule: an upper bound on the number of IRRs,
    of the same parity). Shape ``(S,)``."""
    cf = np.atleast_2d(cf)
    negative_t = np.ascontiguousarray(cf.T < 0)  # (T, S): sums over contiguous rows are fast
    flips = (negative_t[1:] != negative_t[:-1]).view(np.uint8)  # summed as bytes: far faster than bools
    out = np.add.reduce(flips, axis=0, dtype=np.uint16 if cf.shape[1] < 2**16 else np.int64).astype(np.int64)
    if (cf == 0).any():
        zero_rows = np.flatnonzero((cf == 0).any(axis=1))  # carry the last non-zero sign across zeros
        sz = np.sign(cf[zero_rows])
        nonzero = sz != 0
        idx = np.where(nonzero, np.arange(cf.shape[1])[None, :], 0)
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
    rate: np.ndarray  # (S,), NaN where status != 0
    status: np.ndarray  # (S,) int8, see IRR_STATUS

    def reasons(self) -> dict[str, int]:
        """How many scenarios have each status (only non-zero counts)."""
        codes, counts = np.unique(self.status, return_counts=True)
        return {IRR_STATUS[int(c)]: int(n) for c, n in zip(codes, counts, strict=True)}


def irr(cf: np.ndarray, tol: float = 1e-14, max_iter: int = 100) -> IrrResult:
    """Internal rate of return of each row, with a status saying why it is NaN (:data:`IRR_STATUS`).

    Rows whose flows change sign once have exactly one root (Descartes); it is bracketed by the search range
    and solved by safeguarded Newton. Rows that change sign more often are scanned on a fine grid: one sign
    change there gives the IRR, none gives status 2, several (or a count of the wrong parity, which betrays
    roots the grid cannot separate) give status 3.
    """
    cf = np.atleast_2d(np.asarray(cf, dtype=float))
    n_s, n_t = cf.shape
    cf_t = np.ascontiguousarray(cf.T)
    rate = np.full(n_s, np.nan)
    status = np.zeros(n_s, dtype=np.int8)
    changes = sign_changes(cf)
    status[changes == 0] = 1
    lo = np.full(n_s, _X_MIN)
    hi = np.full(n_s, _X_MAX)

    single = np.flatnonzero(changes == 1)  # exactly one positive root: find its cell on a coarse grid
    if single.size:
        sub_t = cf_t if single.size == n_s else cf_t[:, single]
        powers = _COARSE_POWERS[:n_t] if n_t <= _MAX_YEARS else _COARSE_GRID_X[None, :] ** np.arange(n_t)[:, None]
        positive = (powers.T @ sub_t) > 0  # (grid, S)
        # one root: the sign flips once along the grid, so the cell is the count of points on the first side
        n_positive = np.add.reduce(positive.view(np.uint8), axis=0, dtype=np.uint8).astype(np.int64)  # grid < 256
        k = np.where(positive[0], n_positive, len(_COARSE_GRID_X) - n_positive) - 1
        outside = k == len(_COARSE_GRID_X) - 1
        status[single[outside]] = 2
        k = np.minimum(k, len(_COARSE_GRID_X) - 2)
        lo[single] = _COARSE_GRID_X[k]
        hi[single] = _COARSE_GRID_X[k + 1]
    multi = np.flatnonzero(changes >= 2)
    if multi.size:
        fine = _FINE_POWERS[:n_t] if n_t <= _MAX_YEARS else _FINE_GRID_X[None, :] ** np.arange(n_t)[:, None]
        vals = cf[multi] @ fine
        positive = vals > 0
        flips = positive[:, 1:] != positive[:, :-1]
        roots = np.add.reduce(flips.view(np.uint8), axis=1, dtype=np.int64)
        k = np.argmax(flips, axis=1)  # the first sign change
        touching = np.flatnonzero((vals == 0).any(axis=1))
        if touching.size:  # an exact zero on the grid counts as a root (a sign change of +, 0, + would not)
            gs = np.sign(vals[touching])
            crossing = (gs[:, 1:] * gs[:, :-1] < 0) | (gs[:, 1:] == 0)
            roots[touching] = (gs[:, 1:] * gs[:, :-1] < 0).sum(axis=1) + (gs == 0).sum(axis=1)
            k[touching] = np.argmax(crossing, axis=1)  # the first sign change or exact zero
        hidden = (changes[multi] - roots) % 2 == 1  # a root count of the wrong parity: roots too close to see
        status[multi[roots == 0]] = 2
        status[multi[(roots > 1) | hidden]] = 3
        one = (roots == 1) & ~hidden
        lo[multi[one]] = _FINE_GRID_X[k[one]]
        hi[multi[one]] = _FINE_GRID_X[k[one] + 1]
    # roots with x <= 1 (r >= 0) are solved in x; roots above 1 (r < 0) in y = 1 / x = 1 + r, on the polynomial
    # with the flows reversed (y**(T-1) f(1 / y)): there the low powers dominate and Newton needs far fewer steps
    solve = np.flatnonzero(status == 0)
    if solve.size:
        sub_t = cf_t if solve.size == n_s else cf_t[:, solve]
        lo_s, hi_s = lo[solve], hi[solve]
        in_y = hi_s > 1.0
        if in_y.any():
            sub_t = np.where(in_y[None, :], sub_t[::-1], sub_t)
            lo_s, hi_s = np.where(in_y, 1.0 / hi_s, lo_s), np.where(in_y, 1.0 / lo_s, hi_s)
        root = _solve_bracketed(sub_t, lo_s, hi_s, tol, max_iter)
        rate[solve] = np.where(in_y, root - 1.0, 1.0 / root - 1.0)
    return IrrResult(rate, status)


def mirr(cf: np.ndarray, finance_rate: np.ndarray | float, reinvest_rate: np.ndarray | float) -> np.ndarray:
    """Modified IRR (Excel ``MIRR``): negatives discounted to t=0 at the finance rate, positives compounded
    to the last year at the reinvestment rate; NaN without both signs. Shape ``(S,)``."""
    cf = np.atleast_2d(np.asarray(cf, dtype=float))
    n = cf.shape[1]
    t = np.arange(n, dtype=float)[None, :]
    fr = np.asarray(finance_rate, dtype=float).reshape(-1, 1)
    rr = np.asarray(reinvest_rate, dtype=float).reshape(-1, 1)
    pv_neg = np.sum(np.where(cf < 0, cf, 0.0) * (1.0 + fr) ** -t, axis=1)
    fv_pos = np.sum(np.where(cf > 0, cf, 0.0) * (1.0 + rr) ** (n - 1 - t), axis=1)
    out = np.full(cf.shape[0], np.nan)
    if n < 2:
        return out  # one period: no MIRR
    ok = (pv_neg < 0) & (fv_pos > 0)
    out[ok] = (fv_pos[ok] / -pv_neg[ok]) ** (1.0 / (n - 1)) - 1.0
    return out


def payback_years(flows: np.ndarray) -> np.ndarray:
    """Years from the valuation date until the cumulative flow turns non-negative for good.

    Flows fall at year ends; inside the year where it turns, the flow is spread evenly (linear
    interpolation). 0 when the cumulative flow is never negative; NaN when it ends negative.
    """
    flows = np.atleast_2d(np.asarray(flows, dtype=float))
    cum = cumsum_years(flows)
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
        out[rows] = (k + 1) + (-cum[rows, k]) / flows[rows, k + 1]
    return out


def peak_funding(flows: np.ndarray) -> np.ndarray:
    """``-min(0, min_t cumulative flow)``: the most cash the program needs at a year end. Shape ``(S,)``."""
    cum = cumsum_years(np.atleast_2d(flows))
    return -np.minimum(0.0, cum.min(axis=1)) + 0.0  # + 0.0 turns -0.0 into 0.0

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

IRR_STATUS = {
    0: "ok",
    1: "no sign change in the cash flows: no IRR exists",
    2: "no root between -95% and 1000%",
    3: "several IRRs exist (the cash flows change sign more than once); none is reported",
}
_X_MIN, _X_MAX = 1.0 / 11.0, 20.0  # x = 1 / (1 + r): r from 10 (1000%) down to -0.95
_COARSE_GRID_X = np.geomspace(_X_MIN, _X_MAX, 48)  # brackets the single root of a one-sign-change row
_FINE_GRID_X = np.geomspace(_X_MIN, _X_MAX, 2001)
_MAX_YEARS = 200
_COARSE_POWERS = (
    _COARSE_GRID_X[None, :] ** np.arange(_MAX_YEARS)[:, None]
)  # (years, grid)  # 0.27% steps in (1 + r): separates roots 0.5% apart


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


def _horner(cf: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) = sum_t cf_t x**t and f'(x) by Horner's rule, row-wise; ``x`` shape ``(S,)``."""
    f = cf[:, -1].copy()
    d = np.zeros_like(f)
    for k in range(cf.shape[1] - 2, -1, -1):
        d = d * x + f
        f = f * x + cf[:, k]
    return f, d


def sign_changes(cf: np.ndarray) -> np.ndarray:
    """Sign changes along each row, zeros skipped (Descartes' rule: an upper bound on the number of IRRs,
    of the same parity). Shape ``(S,)``."""
    negative = cf < 0
    out = np.count_nonzero(negative[:, 1:] != negative[:, :-1], axis=1)
    zero_rows = np.flatnonzero((cf == 0).any(axis=1))
    if zero_rows.size:  # carry the last non-zero sign across zeros
        sz = np.sign(cf[zero_rows])
        nonzero = sz != 0
        idx = np.where(nonzero, np.arange(cf.shape[1])[None, :], 0)
        filled = np.take_along_axis(sz, np.maximum.accumulate(idx, axis=1), axis=1)
        out[zero_rows] = np.sum(nonzero[:, 1:] & (filled[:, 1:] * filled[:, :-1] < 0), axis=1)
    return out


def _solve_bracketed(
    cf: np.ndarray, lo: np.ndarray, hi: np.ndarray, f_lo: np.ndarray, f_hi: np.ndarray, tol: float, max_iter: int
) -> np.ndarray:
    """Root of each row's polynomial in ``[lo, hi]`` (a sign change there): a secant first guess, then Newton
    steps, and bisection (in log x) whenever Newton would leave the bracket. Converged rows drop out."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = lo - f_lo * (hi - lo) / (f_hi - f_lo)
    x = np.where(np.isfinite(x) & (x > lo) & (x < hi), x, np.sqrt(lo * hi))
    lo, hi, f_lo = lo.copy(), hi.copy(), f_lo.copy()
    out = np.empty(cf.shape[0])
    idx = np.arange(cf.shape[0])
    finished = np.zeros(cf.shape[0], dtype=bool)
    for _ in range(max_iter):
        f, d = _horner(cf, x)
        same = (f > 0) == (f_lo > 0)
        lo = np.where(same, x, lo)
        f_lo = np.where(same, f, f_lo)
        hi = np.where(same, hi, x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = x - f / d
        inside = (newton >= lo) & (newton <= hi)  # False for NaN
        nxt = np.where(inside, newton, np.sqrt(lo * hi))
        exact = f == 0
        nxt = np.where(exact, x, nxt)
        done = (np.abs(nxt - x) <= tol * x) | exact
        x = np.where(finished, x, nxt)  # a converged row keeps its value, as it would alone
        finished |= done
        if finished.all():
            break
        if np.count_nonzero(finished) * 4 >= finished.size:  # drop converged rows once a quarter are done
            out[idx[finished]] = x[finished]
            keep = ~finished
            idx, x, lo, hi, f_lo, cf = idx[keep], x[keep], lo[keep], hi[keep], f_lo[keep], cf[keep]
            finished = finished[keep]
    out[idx] = x
    return out


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
    n_s = cf.shape[0]
    rate = np.full(n_s, np.nan)
    status = np.zeros(n_s, dtype=np.int8)
    changes = sign_changes(cf)
    status[changes == 0] = 1
    lo = np.full(n_s, _X_MIN)
    hi = np.full(n_s, _X_MAX)

    def bracket(rows: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sign changes of each row on ``grid`` and the index of the first one (or of an exact zero)."""
        vals = cf[rows] @ (grid[None, :] ** np.arange(cf.shape[1])[:, None])
        gs = np.sign(vals)
        crossing = (gs[:, 1:] * gs[:, :-1] < 0) | (gs[:, 1:] == 0)
        roots = (gs[:, 1:] * gs[:, :-1] < 0).sum(axis=1) + (gs == 0).sum(axis=1)
        return roots, np.argmax(crossing, axis=1)

    f_lo = np.zeros(n_s)
    f_hi = np.zeros(n_s)
    single = np.flatnonzero(changes == 1)  # exactly one positive root: find its cell on a coarse grid
    if single.size:
        sub = cf if single.size == n_s else cf[single]
        powers = (
            _COARSE_POWERS[: cf.shape[1]]
            if cf.shape[1] <= _MAX_YEARS
            else (_COARSE_GRID_X[None, :] ** np.arange(cf.shape[1])[:, None])
        )
        vals = sub @ powers
        positive = vals > 0
        # one root: the sign flips once along the grid, so the cell is the count of points on the first side
        k = np.count_nonzero(positive == positive[:, :1], axis=1) - 1
        outside = k == len(_COARSE_GRID_X) - 1
        status[single[outside]] = 2
        k = np.minimum(k, len(_COARSE_GRID_X) - 2)
        lo[single] = _COARSE_GRID_X[k]
        hi[single] = _COARSE_GRID_X[k + 1]
        # values at the cell's ends by Horner (element-wise, so a row gives the same bits alone or in a batch)
        f_lo[single], _ = _horner(sub, lo[single])
        f_hi[single], _ = _horner(sub, hi[single])
    multi = np.flatnonzero(changes >= 2)
    if multi.size:
        roots, k = bracket(multi, _FINE_GRID_X)
        hidden = (changes[multi] - roots) % 2 == 1  # a root count of the wrong parity: roots too close to see
        status[multi[roots == 0]] = 2
        status[multi[(roots > 1) | hidden]] = 3
        one = (roots == 1) & ~hidden
        lo[multi[one]] = _FINE_GRID_X[k[one]]
        hi[multi[one]] = _FINE_GRID_X[k[one] + 1]
        f_lo[multi], _ = _horner(cf[multi], lo[multi])
        f_hi[multi], _ = _horner(cf[multi], hi[multi])
    solve = np.flatnonzero(status == 0)
    if solve.size:
        sub = cf if solve.size == n_s else cf[solve]
        x = _solve_bracketed(sub, lo[solve], hi[solve], f_lo[solve], f_hi[solve], tol, max_iter)
        rate[solve] = 1.0 / x - 1.0
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
    cum = np.cumsum(flows, axis=1)
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
    cum = np.cumsum(np.atleast_2d(flows), axis=1)
    return -np.minimum(0.0, cum.min(axis=1)) + 0.0  # + 0.0 turns -0.0 into 0.0

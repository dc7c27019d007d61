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
_IRR_GRID_X = np.geomspace(1.0 / 11.0, 20.0, 121)  # x = 1 / (1 + r): r from 10 down to -0.95


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


def _poly(cf: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) = sum_t cf_t x**t and f'(x), row-wise; ``x`` shape ``(S,)``."""
    t = np.arange(cf.shape[1], dtype=float)
    p = x[:, None] ** t
    f = np.sum(cf * p, axis=1)
    d = np.sum(cf[:, 1:] * t[1:] * p[:, :-1], axis=1)
    return f, d


@dataclass(frozen=True)
class IrrResult:
    rate: np.ndarray  # (S,), NaN where status != 0
    status: np.ndarray  # (S,) int8, see IRR_STATUS

    def reasons(self) -> dict[str, int]:
        """How many scenarios have each status (only non-zero counts)."""
        codes, counts = np.unique(self.status, return_counts=True)
        return {IRR_STATUS[int(c)]: int(n) for c, n in zip(codes, counts, strict=True)}


def irr(cf: np.ndarray, tol: float = 1e-13, max_iter: int = 100) -> IrrResult:
    """Internal rate of return of each row: bracketed on a grid, then safeguarded Newton/bisection."""
    cf = np.atleast_2d(np.asarray(cf, dtype=float))
    n_s = cf.shape[0]
    rate = np.full(n_s, np.nan)
    status = np.zeros(n_s, dtype=np.int8)
    signs = np.sign(cf)
    has_pos = (signs > 0).any(axis=1)
    has_neg = (signs < 0).any(axis=1)
    status[~(has_pos & has_neg)] = 1

    grid_vals = cf @ (_IRR_GRID_X[None, :] ** np.arange(cf.shape[1])[:, None])  # (S, G)
    gs = np.sign(grid_vals)
    changes = np.sum((gs[:, 1:] * gs[:, :-1]) < 0, axis=1)
    exact = gs == 0
    status[(status == 0) & (changes == 0) & ~exact.any(axis=1)] = 2
    status[(status == 0) & ((changes > 1) | ((changes >= 1) & exact.any(axis=1)))] = 3
    only_exact = (status == 0) & (changes == 0) & (exact.sum(axis=1) == 1)
    if only_exact.any():
        rate[only_exact] = 1.0 / _IRR_GRID_X[np.argmax(exact[only_exact], axis=1)] - 1.0
    solve = (status == 0) & (changes == 1)
    if solve.any():
        idx = np.flatnonzero(solve)
        k = np.argmax((gs[idx, 1:] * gs[idx, :-1]) < 0, axis=1)
        lo, hi = _IRR_GRID_X[k].copy(), _IRR_GRID_X[k + 1].copy()
        f_lo = grid_vals[idx, k]
        sub = cf[idx]
        x = 0.5 * (lo + hi)
        active = np.ones(idx.size, dtype=bool)
        for _ in range(max_iter):
            a = np.flatnonzero(active)
            if a.size == 0:
                break
            f, d = _poly(sub[a], x[a])
            same = np.sign(f) == np.sign(f_lo[a])
            lo[a] = np.where(same, x[a], lo[a])
            f_lo[a] = np.where(same, f, f_lo[a])
            hi[a] = np.where(same, hi[a], x[a])
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = x[a] - f / d
            inside = np.isfinite(newton) & (newton > lo[a]) & (newton < hi[a])
            nxt = np.where(inside, newton, 0.5 * (lo[a] + hi[a]))
            done = (np.abs(nxt - x[a]) <= tol * np.abs(x[a])) | (f == 0)
            x[a] = np.where(f == 0, x[a], nxt)
            active[a[done]] = False
        rate[idx] = 1.0 / x - 1.0
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
    ok = (pv_neg < 0) & (fv_pos > 0) & (n > 1)
    out = np.full(cf.shape[0], np.nan)
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

"""Vectorized finance functions over cash flows shaped ``(..., n_years)``: NPV, IRR, MIRR, payback, peak funding.

Conventions (written once, tested): money in positive, money out negative; ``cf[..., t]`` falls at the end of
year ``t`` (t = 0 is the first fiscal year) and is discounted to the start of year 0 by ``(1 + r) ** -(t + 1)``
(``(1 + r) ** -(t + 0.5)`` with the mid-year option). Hence ``npv(r, cf) == npf.npv(r, cf_row) / (1 + r)``
and, in a spreadsheet, ``=NPV(r, CF0:CFn)``.

Shapes: every function takes flows shaped ``(..., T)`` (the last axis is the years) and returns one value per
row, shaped ``(...)``; a 1-D array is one scenario and gives shape ``(1,)``. ``T = 0`` (no years) raises
``ValueError``. A row holding NaN or an infinity gives NaN (and IRR status 5, "invalid flows").

IRR contract (:func:`irr`, rules in :mod:`tem.finance.grid`, the same in the workbook's formulas):

* the IRR is the rate ``r`` that makes ``sum_t cf_t / (1 + r) ** t`` zero, searched on the closed range
  ``0.05 <= 1 + r <= 11`` (-95% to +1000%, both bounds included);
* it is reported only when exactly one root lies in that range; otherwise the rate is NaN and
  :data:`IRR_STATUS` says why: no sign change (1), no root in range (2), several roots in range, more than two
  grid steps apart (3), roots too close to separate (4: a double root, roots within two grid steps, i.e. 1%
  in ``1 + r`` for up to 20 years, an NPV that comes within 1e-6 of PV(|flows|) of zero between grid points, or
  a root where the NPV is flat), invalid flows (5: NaN or infinite), a solver result failing the NPV check (6);
* roots outside the range never matter; every rate returned satisfies ``|NPV(r)| <= 1e-10 x PV(|flows|, r)``
  (``NPV_TOL``: the NPV as a fraction of the present value at ``r`` of the absolute flows);
* a row's result does not change when the row is scaled by a power of two (rows are normalised that way),
  nor when it is evaluated alone or inside a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years
from tem.finance import certify
from tem.finance.allocator import keep_freed_memory
from tem.finance.blas import one_blas_thread
from tem.finance.grid import NPV_TOL as NPV_TOL  # re-exported: the tolerance of the contract
from tem.finance.grid import grid as search_grid
from tem.finance.solver import COARSE_Y, align_left_t, coarse_cell, scaled, solve

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
    contract (range, statuses, tolerance) and :mod:`tem.finance.grid` for the rules. Steps:

    1. rows with a NaN or infinite flow: status 5; each other row is scaled by a power of two so that its
       largest flow lies in [0.5, 1) (exact: the root cannot move);
    2. no sign change (zeros skipped): status 1. One sign change: exactly one positive root (Descartes); it is
       in range exactly when the NPV ratio's signs at the two bounds differ or one is 0, else status 2; a coarse
       grid brackets it. More sign changes: the grid rules of :mod:`tem.finance.grid` (statuses 0, 2,
       3, 4 and the bracket);
    3. the root is solved inside its bracket: a cubic first guess, Newton, and Newton kept in the bracket by
       bisection where plain Newton fails (steps below ``tol`` relative); polynomials in ``1 / (1 + r)`` from
       r = 0 up and in ``1 + r`` below, so no power exceeds 1 whatever the number of years;
    4. the rate is checked: ``|NPV| <= NPV_TOL x PV(|flows|)`` at the root, else status 6; where the NPV ratio
       is flat there (``|dR / d ln(1 + r)| < FLAT_TOL``, a multiple root) status 4; the rate is clipped to the
       closed range (a root on a bound may come out one rounding beyond it).

    BLAS runs on one thread inside (:mod:`tem.finance.blas`: the grids' matrix products are small). The first call
    in a process lets glibc keep freed memory for the next one (:mod:`tem.finance.allocator`; no result depends
    on it; ``TEM_KEEP_FREED_MEMORY=0`` turns it off).

    Raises ``ValueError`` for flows without a year axis (``T = 0`` or a single number).
    """
    keep_freed_memory()
    with one_blas_thread():
        return _irr(cf, tol, max_iter)


def _irr(cf: np.ndarray, tol: float, max_iter: int) -> IrrResult:
    flows, lead = _rows(cf)
    n_s, n_t = flows.shape
    rate = np.full(n_s, np.nan)
    status = np.full(n_s, 5, dtype=np.int8)
    # flows laid out (T, S): each year one contiguous row, so per-scenario work is a few vector operations
    flows_t = np.ascontiguousarray(flows.T)
    biggest = np.maximum(flows_t.max(axis=0), -flows_t.min(axis=0))  # max |flow|: NaN or inf for invalid rows
    rows = np.flatnonzero(np.isfinite(biggest))
    every = rows.size == n_s
    # scaled in place where flows_t is a copy of ours (not a view of the caller's array): one array less to fault in
    mine = not every or not np.shares_memory(flows_t, cf)
    c_t = scaled(flows_t if every else flows_t[:, rows], biggest if every else biggest[rows], in_place=mine)
    sub_rate = np.full(rows.size, np.nan)
    sub_status = np.zeros(rows.size, dtype=np.int8)
    changes = _sign_changes_t(c_t)
    sub_status[changes == 0] = 1
    left_t = align_left_t(c_t)
    lo = np.full(rows.size, np.nan)
    hi = np.full(rows.size, np.nan)
    single = np.flatnonzero(changes == 1)
    if single.size:
        k, inside = coarse_cell(left_t, c_t, None if single.size == rows.size else single)
        sub_status[single[~inside]] = 2
        lo[single[inside]] = COARSE_Y[k[inside]]
        hi[single[inside]] = COARSE_Y[k[inside] + 1]
    multi = np.flatnonzero(changes >= 2)
    if multi.size:
        largest = np.frexp(biggest[rows[multi]])[0]  # each scaled row's largest |flow|, exactly (scaling is exact)
        grid_status, lo_j, hi_j = certify.classify_several(c_t, multi, largest)
        sub_status[multi] = grid_status
        y = search_grid(n_t).y
        lo[multi] = np.where(grid_status == 0, y[lo_j], np.nan)
        hi[multi] = np.where(grid_status == 0, y[hi_j], np.nan)
    found = np.flatnonzero(sub_status == 0)
    if found.size:
        cols = None if found.size == rows.size else found
        found_rate, code = solve(left_t, c_t, cols, lo[found], hi[found], tol, max_iter)
        sub_rate[found] = np.where(code == 0, found_rate, np.nan)
        sub_status[found] = code
    rate[rows] = sub_rate
    status[rows] = sub_status
    return IrrResult(rate.reshape(lead), status.reshape(lead))


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

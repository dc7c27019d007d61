"""Corporate tax [INR crore/yr], ``(S, T)``: standalone (losses carried forward) or within the parent (losses
relieved in the year).

``taxable = profit before depreciation - tax depreciation``; the profit before depreciation is EBITDA
(incentives included) plus any subsidy taxed on receipt. Indian law (Income-tax Act 1961, s.72 and s.32(2))
keeps two pools of a loss year's loss, tracked apart:

* **business loss** = ``max(0, -profit before depreciation)``: set off against the profits of years v+1 .. v+N
  (N = ``loss_carry_forward_years``), oldest first; what is left of it expires at the end of year v+N;
* **unabsorbed depreciation** = the part of the year's tax depreciation the profit did not absorb,
  ``depreciation - min(max(profit before depreciation, 0), depreciation)``: carried forward without time limit.

In a profit year the brought-forward business losses are set off first (they can expire), then unabsorbed
depreciation (s.72(2)). ``tax = rate x max(0, taxable - set off)``: never negative.

``within_parent``: the business is a division of a profitable parent, whose other income absorbs a loss in the
year it arises: ``tax = rate x taxable``, negative in a loss year (a saving to the parent); nothing is carried.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years, is_exact_zero


@dataclass(frozen=True)
class TaxResult:
    taxable_before_losses: np.ndarray
    business_loss: np.ndarray  # arising in the year
    unabsorbed_depreciation: np.ndarray  # arising in the year
    business_losses_used: np.ndarray
    unabsorbed_depreciation_used: np.ndarray
    losses_used: np.ndarray  # both pools
    losses_expired: np.ndarray  # business losses whose last usable year has ended
    business_loss_pool_end: np.ndarray  # business losses still usable in a later year, at year end
    unabsorbed_depreciation_pool_end: np.ndarray
    loss_pool_end: np.ndarray  # both pools
    tax: np.ndarray


def compute_tax(
    profit_before_depreciation: np.ndarray,
    depreciation: np.ndarray,
    rate: np.ndarray,
    carry_years: np.ndarray,
    within_parent: np.ndarray | float = 0.0,
) -> TaxResult:
    """Tax on ``profit_before_depreciation - depreciation`` (both ``(S|1, T)`` [INR crore]); ``rate`` and
    ``carry_years`` per scenario (``(S,)``, ``(S, 1)`` or scalars). See the module docstring for the rules.

    Scenarios that never make a profit after a loss cannot set anything off; they skip the year-by-year
    loop (their business-loss pool is a moving sum of the last N years' losses).
    """
    before, dep = np.broadcast_arrays(
        np.atleast_2d(np.asarray(profit_before_depreciation, dtype=float)),
        np.atleast_2d(np.asarray(depreciation, dtype=float)),
    )
    n_s, n_t = before.shape
    taxable = before - dep
    rate_col = np.asarray(rate, dtype=float)
    rate_col = rate_col.reshape(-1, 1) if rate_col.ndim == 1 else rate_col
    parent = np.asarray(within_parent, dtype=float).reshape(-1, 1)  # 1: within the parent, per scenario
    if parent.size == 1 and parent[0, 0] == 1.0:
        zeros = np.zeros((n_s, n_t))
        return TaxResult(taxable, zeros, zeros, zeros, zeros, zeros, zeros, zeros, zeros, zeros, rate_col * taxable)
    if not is_exact_zero(parent):  # a batch mixing the two structures: each row as it would be alone
        alone = compute_tax(before, dep, rate, carry_years, 0.0)
        inside = parent > 0.5
        fields = [np.where(inside, 0.0, getattr(alone, f)) for f in TaxResult.__dataclass_fields__]
        fields[0] = taxable
        fields[-1] = np.where(inside, rate_col * taxable, alone.tax)
        return TaxResult(*fields)
    business = np.maximum(-before, 0.0)
    unabsorbed = dep - np.minimum(np.maximum(before, 0.0), dep)
    profit = np.maximum(taxable, 0.0)
    n_carry = np.broadcast_to(np.asarray(carry_years, dtype=float).reshape(-1), (n_s,))
    loss = business + unabsorbed
    had_loss_before = cumsum_years(loss) - loss > 0
    needs_loop = np.any(had_loss_before & (profit > 0), axis=1)
    uniform = n_s == 0 or bool(np.all(n_carry == n_carry[0]))
    if n_s and (not uniform or needs_loop.all()):  # every row sets off: no rows to pick out and put back
        used, ud_used, expired, pool_end, ud_pool = _set_off(business, unabsorbed, profit, n_carry)
        return _result(taxable, profit, business, unabsorbed, used, ud_used, expired, pool_end, ud_pool, rate_col)
    used = np.zeros((n_s, n_t))
    ud_used = np.zeros((n_s, n_t))
    expired = np.zeros((n_s, n_t))
    pool_end = np.zeros((n_s, n_t))
    ud_pool = cumsum_years(unabsorbed)  # right where nothing is ever set off
    simple = np.flatnonzero(~needs_loop) if uniform else np.zeros(0, dtype=np.intp)
    if simple.size:  # nothing is ever set off: the pool holds the business losses of years t-N+1 .. t
        n = int(n_carry[0])
        cum = cumsum_years(business[simple])
        lagged = np.zeros(np.shape(cum))
        if n < n_t:
            lagged[:, n:] = cum[:, : n_t - n]
        pool_end[simple] = cum - lagged
        if n < n_t:
            expired[simple, n:] = business[simple, : n_t - n]
    loop_rows = np.flatnonzero(needs_loop) if uniform else np.arange(n_s)
    if loop_rows.size:
        u, d, e, p, q = _set_off(business[loop_rows], unabsorbed[loop_rows], profit[loop_rows], n_carry[loop_rows])
        used[loop_rows], ud_used[loop_rows], expired[loop_rows], pool_end[loop_rows], ud_pool[loop_rows] = u, d, e, p, q
    return _result(taxable, profit, business, unabsorbed, used, ud_used, expired, pool_end, ud_pool, rate_col)


def _result(
    taxable: np.ndarray,
    profit: np.ndarray,
    business: np.ndarray,
    unabsorbed: np.ndarray,
    used: np.ndarray,
    ud_used: np.ndarray,
    expired: np.ndarray,
    pool_end: np.ndarray,
    ud_pool: np.ndarray,
    rate_col: np.ndarray,
) -> TaxResult:
    """The standalone :class:`TaxResult` from the set-off's lines: tax on the profit left after both pools."""
    tax = rate_col * np.maximum(profit - used - ud_used, 0.0)
    return TaxResult(
        taxable, business, unabsorbed, used, ud_used, used + ud_used, expired, pool_end, ud_pool, pool_end + ud_pool, tax
    )


def _set_off(
    business: np.ndarray, unabsorbed: np.ndarray, profit: np.ndarray, n_carry: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year-by-year set-off: (business losses used, unabsorbed depreciation used, business losses expired,
    business-loss pool and unabsorbed-depreciation pool at year end), each ``(S, T)``.

    First-in first-out means the business-loss vintages are consumed in order, so their state is one number per
    scenario: the frontier along the cumulative losses ``C_t`` (losses of years up to t) below which every loss
    is used or expired. In year t, ``min(profit_t, C_{t-1} - frontier)`` is set off and the frontier moves on by
    that much; then the unabsorbed depreciation brought forward absorbs what profit is left; at the year end the
    vintages v <= t - N (year t was the last they could be used in) expire: the frontier moves up to ``C`` of
    the last of them (the move is the amount expired); the pool, the losses still usable in later years, is
    ``C_t - frontier``. O(T) vector steps instead of one per vintage and year.
    """
    n_s, n_t = business.shape
    n_first = float(n_carry[0]) if n_s else 0.0
    if n_s and np.isfinite(n_first) and n_first >= 0 and bool(np.all(n_carry == n_first)):
        stale_floor = None  # one carry for every row: the vintage that expires in year t is t - N for all
    else:
        cum = cumsum_years(business)
        # the last vintage that expires at the end of year t: the largest v with v <= t - N
        last_stale = np.floor(np.arange(n_t)[None, :] - n_carry[:, None]).astype(np.intp)
        stale_floor = np.where(last_stale >= 0, np.take_along_axis(cum, np.clip(last_stale, 0, n_t - 1), axis=1), 0.0)
    used = np.empty((n_s, n_t))
    ud_used = np.empty((n_s, n_t))
    used[:, 0] = ud_used[:, 0] = 0.0
    expired = np.empty((n_s, n_t))  # every column is written below
    pool_end = np.empty((n_s, n_t))
    ud_pool_end = np.empty((n_s, n_t))
    frontier = np.zeros(n_s)
    ud_pool = np.zeros(n_s)
    ud_taken = np.zeros(n_s)
    # a column of an (S, T) array is read or written once a year (strided access is what costs here); the
    # cumulative losses C_t are kept by year as contiguous columns (C_t = C_{t-1} + loss_t, as np.cumsum adds)
    cum_by_year: list[np.ndarray] = []
    for t in range(n_t):
        if t:
            cum_prev = cum_by_year[t - 1]
            available = np.maximum(cum_prev - frontier, 0.0)
            gain = profit[:, t].copy()
            all_of_it = gain >= available
            taken = np.where(all_of_it, available, gain)
            used[:, t] = taken
            frontier = np.where(all_of_it, np.maximum(cum_prev, frontier), frontier + taken)
            ud_taken = np.minimum(ud_pool, gain - taken)
            ud_used[:, t] = ud_taken
        ud_pool = ud_pool - ud_taken + unabsorbed[:, t]
        ud_pool_end[:, t] = ud_pool
        cum_by_year.append(business[:, t].copy() if not t else cum_by_year[t - 1] + business[:, t])
        if stale_floor is not None:
            moved = np.maximum(frontier, stale_floor[:, t])
        else:
            last_stale = int(np.floor(t - n_first))
            moved = np.maximum(frontier, cum_by_year[last_stale] if last_stale >= 0 else 0.0)
        expired[:, t] = moved - frontier
        frontier = moved
        pool_end[:, t] = np.maximum(cum_by_year[t] - frontier, 0.0)
    return used, ud_used, expired, pool_end, ud_pool_end


def set_off_by_vintage(business_loss: np.ndarray, profit: np.ndarray, carry_years: int) -> np.ndarray:
    """For one scenario, the business loss of year v set off in year t, ``takes[v, t]`` [INR crore] (FIFO,
    expiring after ``carry_years``, against ``profit`` = taxable income where positive). Its column sums equal
    ``compute_tax(...).business_losses_used``; used by the workbook."""
    loss = np.asarray(business_loss, dtype=float).reshape(-1)
    gain = np.asarray(profit, dtype=float).reshape(-1)
    n_t = loss.size
    takes = np.zeros((n_t, n_t))
    remaining = loss.copy()
    for t in range(n_t):
        left = max(gain[t], 0.0)
        for v in range(max(0, t - carry_years), t):
            take = min(remaining[v], left)
            takes[v, t] = take
            remaining[v] -= take
            left -= take
    return takes

"""Corporate tax with losses carried forward first-in first-out, expiring after N years [INR crore/yr].

``taxable = EBITDA (incentives included) - tax depreciation``. A loss of year v can be set off against profits
of years v+1 .. v+N (N = ``loss_carry_forward_years``), oldest first. ``tax = rate x max(0, taxable - set off)``;
tax is never negative. (Unabsorbed depreciation, which Indian law carries forward without limit, is treated
like any other loss here: a conservative simplification.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years


@dataclass(frozen=True)
class TaxResult:
    taxable_before_losses: np.ndarray
    losses_used: np.ndarray
    losses_expired: np.ndarray
    loss_pool_end: np.ndarray  # losses still available at the end of each year
    tax: np.ndarray


def compute_tax(taxable: np.ndarray, rate: np.ndarray, carry_years: np.ndarray) -> TaxResult:
    """Tax on ``taxable`` ``(S, T)`` with losses set off first-in first-out; ``rate`` and ``carry_years``
    are per scenario (``(S,)``, ``(S, 1)`` or scalars).

    Scenarios that never make a profit after a loss cannot set anything off; they skip the year-by-year
    loop (their loss pool is a moving sum of the last N years' losses).
    """
    n_s, n_t = taxable.shape
    n_carry = np.broadcast_to(np.asarray(carry_years, dtype=float).reshape(-1), (n_s,))
    loss = np.maximum(-taxable, 0.0)
    profit = np.maximum(taxable, 0.0)
    used = np.zeros((n_s, n_t))
    expired = np.zeros((n_s, n_t))
    pool_end = np.zeros((n_s, n_t))
    had_loss_before = cumsum_years(loss) - loss > 0
    needs_loop = np.any(had_loss_before & (profit > 0), axis=1)
    uniform = n_s == 0 or bool(np.all(n_carry == n_carry[0]))
    simple = np.flatnonzero(~needs_loop) if uniform else np.zeros(0, dtype=np.intp)
    if simple.size:  # nothing is ever set off: the pool holds the losses of years t-N .. t
        n = int(n_carry[0])
        cum = cumsum_years(loss[simple])
        lagged = np.zeros_like(cum)
        if n + 1 < n_t:
            lagged[:, n + 1 :] = cum[:, : n_t - n - 1]
        pool_end[simple] = cum - lagged
        if n + 1 < n_t:
            expired[simple, n + 1 :] = loss[simple, : n_t - n - 1]
    loop_rows = np.flatnonzero(needs_loop) if uniform else np.arange(n_s)
    if loop_rows.size:
        u, e, p = _fifo(taxable[loop_rows], n_carry[loop_rows])
        used[loop_rows], expired[loop_rows], pool_end[loop_rows] = u, e, p
    rate_col = np.asarray(rate, dtype=float)
    rate_col = rate_col.reshape(-1, 1) if rate_col.ndim == 1 else rate_col
    tax = rate_col * np.maximum(profit - used, 0.0)
    return TaxResult(taxable, used, expired, pool_end, tax)


def _fifo(taxable: np.ndarray, n_carry: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year-by-year set-off: (losses used, losses expired, pool at year end), each ``(S, T)``.

    First-in first-out means the vintages are consumed in order, so the state is one number per scenario: the
    frontier along the cumulative losses ``C_t`` (losses of years up to t) below which every loss is used or
    expired. At year t the vintages v < t - N expire: the frontier moves up to ``C`` of the last of them (the
    move is the amount expired); then ``min(profit_t, C_{t-1} - frontier)`` is set off and the frontier moves
    on by that much; the pool is ``C_t - frontier``. O(T) vector steps instead of one per vintage and year.
    """
    n_s, n_t = taxable.shape
    loss = np.maximum(-taxable, 0.0)
    profit = np.maximum(taxable, 0.0)
    cum = cumsum_years(loss)
    # the last expired vintage at year t: the largest v with v < t - N
    last_stale = np.ceil(np.arange(n_t)[None, :] - n_carry[:, None]).astype(np.intp) - 1
    stale_floor = np.where(last_stale >= 0, np.take_along_axis(cum, np.clip(last_stale, 0, n_t - 1), axis=1), 0.0)
    used = np.zeros((n_s, n_t))
    expired = np.zeros((n_s, n_t))
    pool_end = np.zeros((n_s, n_t))
    frontier = np.zeros(n_s)
    for t in range(n_t):
        moved = np.maximum(frontier, stale_floor[:, t])
        expired[:, t] = moved - frontier
        frontier = moved
        if t:
            available = np.maximum(cum[:, t - 1] - frontier, 0.0)
            all_of_it = profit[:, t] >= available
            used[:, t] = np.where(all_of_it, available, profit[:, t])
            frontier = np.where(all_of_it, np.maximum(cum[:, t - 1], frontier), frontier + used[:, t])
        pool_end[:, t] = np.maximum(cum[:, t] - frontier, 0.0)
    return used, expired, pool_end


def set_off_by_vintage(taxable: np.ndarray, carry_years: int) -> np.ndarray:
    """For one scenario, the loss of year v set off in year t, ``takes[v, t]`` [INR crore] (FIFO, expiring
    after ``carry_years``). Its column sums equal ``compute_tax(...).losses_used``; used by the workbook."""
    row = np.asarray(taxable, dtype=float).reshape(-1)
    n_t = row.size
    takes = np.zeros((n_t, n_t))
    remaining = np.maximum(-row, 0.0)
    for t in range(n_t):
        left = max(row[t], 0.0)
        for v in range(max(0, t - carry_years), t):
            take = min(remaining[v], left)
            takes[v, t] = take
            remaining[v] -= take
            left -= take
    return takes

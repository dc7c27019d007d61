"""Corporate tax with losses carried forward first-in first-out, expiring after N years [INR crore/yr].

``taxable = EBITDA (incentives included) - tax depreciation``. A loss of year v can be set off against profits
of years v+1 .. v+N (N = ``loss_carry_forward_years``), oldest first. ``tax = rate x max(0, taxable - set off)``;
tax is never negative. (Unabsorbed depreciation, which Indian law carries forward without limit, is treated
like any other loss here: a conservative simplification.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TaxResult:
    taxable_before_losses: np.ndarray
    losses_used: np.ndarray
    losses_expired: np.ndarray
    loss_pool_end: np.ndarray  # losses still available at the end of each year
    tax: np.ndarray


def compute_tax(taxable: np.ndarray, rate: np.ndarray, carry_years: np.ndarray) -> TaxResult:
    """Tax on ``taxable`` ``(S, T)`` with losses set off first-in first-out; ``rate`` and ``carry_years``
    are per scenario (``(S,)``, ``(S, 1)`` or scalars)."""
    n_s, n_t = taxable.shape
    n_carry = np.broadcast_to(np.asarray(carry_years, dtype=float).reshape(-1), (n_s,))
    uniform = bool(np.all(n_carry == n_carry[0])) if n_s else True
    max_carry = int(np.max(n_carry)) if n_s else 0
    pool = np.zeros((n_s, n_t))  # remaining loss by vintage (year of the loss)
    used = np.zeros((n_s, n_t))
    expired = np.zeros((n_s, n_t))
    pool_end = np.zeros((n_s, n_t))
    for t in range(n_t):
        # a loss of year v can be set off in years v+1 .. v+N; at year t vintages v < t - N have expired
        if uniform:
            v_old = t - int(n_carry[0]) - 1 if n_s else -1
            if v_old >= 0:
                expired[:, t] = pool[:, v_old]
                pool[:, v_old] = 0.0
        elif t:
            stale = np.arange(t)[None, :] < t - n_carry[:, None]
            expired[:, t] = np.sum(np.where(stale, pool[:, :t], 0.0), axis=1)
            pool[:, :t] = np.where(stale, 0.0, pool[:, :t])
        profit = np.maximum(taxable[:, t], 0.0)
        lo = max(0, t - max_carry)
        if t > lo:
            avail = pool[:, lo:t]
            before = np.cumsum(avail, axis=1) - avail  # losses of older vintages, used first
            take = np.clip(profit[:, None] - before, 0.0, avail)
            pool[:, lo:t] = avail - take
            used[:, t] = np.minimum(take.sum(axis=1), profit)  # rounding never sets off more than the profit
        pool[:, t] = np.maximum(-taxable[:, t], 0.0)
        pool_end[:, t] = pool[:, lo : t + 1].sum(axis=1)
    rate_col = np.asarray(rate, dtype=float)
    rate_col = rate_col.reshape(-1, 1) if rate_col.ndim == 1 else rate_col
    tax = rate_col * np.maximum(np.maximum(taxable, 0.0) - used, 0.0)
    return TaxResult(taxable, used, expired, pool_end, tax)

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
    n_s, n_t = taxable.shape
    n_carry = np.broadcast_to(np.asarray(carry_years, dtype=float).reshape(-1), (n_s,))
    pool = np.zeros((n_s, n_t))  # remaining loss by vintage
    used = np.zeros((n_s, n_t))
    expired = np.zeros((n_s, n_t))
    pool_end = np.zeros((n_s, n_t))
    vintages = np.arange(n_t)
    max_carry = int(np.max(n_carry)) if n_s else 0
    for t in range(n_t):
        # a loss of year v is usable in years v+1 .. v+N; drop vintages older than that
        stale = vintages[None, :t] < t - n_carry[:, None]
        if t:
            expired[:, t] = np.sum(np.where(stale, pool[:, :t], 0.0), axis=1)
            pool[:, :t] = np.where(stale, 0.0, pool[:, :t])
        profit = np.maximum(taxable[:, t], 0.0)
        left = profit.copy()
        for v in range(max(0, t - max_carry), t):  # older vintages have expired
            take = np.minimum(pool[:, v], left)
            pool[:, v] -= take
            left -= take
        used[:, t] = profit - left
        pool[:, t] = np.maximum(-taxable[:, t], 0.0)
        pool_end[:, t] = pool[:, : t + 1].sum(axis=1)
    tax = np.asarray(rate) * (np.maximum(taxable, 0.0) - used)
    return TaxResult(taxable, used, expired, pool_end, tax)

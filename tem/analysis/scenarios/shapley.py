"""Shapley and sequential arithmetic of a bridge: pure functions on a value per subset of groups (players).

Shapley value: Shapley (1953), "A value for n-person games"; sampled over random orders with the standard error
of the mean marginal contribution (Castro, Gomez and Tejada 2009)."""

from __future__ import annotations

import math

import numpy as np


def shapley_exact(values: np.ndarray, k: int) -> np.ndarray:
    """Shapley values of ``k`` players from ``values[mask]`` for every subset ``mask`` in ``0 .. 2**k - 1``
    (bit ``i`` set: player ``i`` in the subset)."""
    masks = np.arange(2**k)
    size = np.array([bin(m).count("1") for m in masks])
    weight = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0 for s in range(k + 1)]
    )
    phi = np.empty(k)
    for i in range(k):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = np.sum(weight[size[without]] * (values[without | (1 << i)] - values[without]))
    return phi


def permutation_masks(orders: np.ndarray) -> np.ndarray:
    """Subsets along each order ``(P, k)``: ``(P, k + 1)`` masks from the empty set to all players."""
    bits = np.left_shift(np.int64(1), orders.astype(np.int64))
    return np.concatenate([np.zeros((orders.shape[0], 1), dtype=np.int64), np.cumsum(bits, axis=1)], axis=1)


def shapley_from_orders(orders: np.ndarray, values_along: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean marginal contribution of each player over the given orders, and its standard error.

    ``values_along[p, j]`` is the value of the first ``j`` players of order ``p``; each order's contributions
    telescope to ``v(all) - v(none)``, so the means sum to it too.
    """
    marginal = np.diff(values_along, axis=1)  # (P, k): contribution of orders[p, j]
    per_player = np.empty_like(marginal)
    rows = np.arange(orders.shape[0])[:, None]
    per_player[rows, orders] = marginal
    n = orders.shape[0]
    se = per_player.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(k, np.nan)
    return per_player.mean(axis=0), se

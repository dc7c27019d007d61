"""Loss set-off by vintage (used by the workbook) agrees with the engine's tax calculation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.model.tax import compute_tax, set_off_by_vintage


def test_hand_case() -> None:
    # losses 100 (year 0) and 50 (year 1); profits 120 (year 2) and 80 (year 3); losses usable for 2 years
    row = np.array([-100.0, -50.0, 120.0, 80.0])
    takes = set_off_by_vintage(np.maximum(-row, 0), np.maximum(row, 0), 2)
    # year 2: the oldest loss first (100), then 20 of year 1's; year 3: year 0's loss has expired (3 > 0 + 2),
    # year 1's remaining 30 is used
    assert takes[0].tolist() == [0.0, 0.0, 100.0, 0.0]
    assert takes[1].tolist() == [0.0, 0.0, 20.0, 30.0]


@settings(deadline=None, max_examples=200)
@given(st.lists(st.floats(-500, 500), min_size=1, max_size=25), st.integers(0, 10))
def test_vintages_sum_to_losses_used(taxable: list[float], carry: int) -> None:
    row = np.array(taxable)
    takes = set_off_by_vintage(np.maximum(-row, 0), np.maximum(row, 0), carry)
    used = compute_tax(row[None, :], 0.0, np.array([0.25]), np.array([carry])).losses_used[0]
    np.testing.assert_allclose(takes.sum(axis=0), used, rtol=1e-12, atol=1e-9)
    assert np.all(takes >= 0)
    # a loss is never set off beyond its size, nor after it expires
    assert np.all(takes.sum(axis=1) <= np.maximum(-row, 0) + 1e-9)
    v, t = np.nonzero(takes)
    assert np.all((t > v) & (t - v <= carry))

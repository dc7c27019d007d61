"""Tests for capex spend and depreciation (tem.model.capex), tax with loss carry-forward (tem.model.tax) and learning curves
(tem.model.unit_costs). Arrays are ``(n_scenarios, n_years)``; scalars per scenario are ``(S, 1)`` as tem.model.inputs
builds them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tem.model.capex import spend_schedule, straight_line, written_down_value
from tem.model.tax import compute_tax
from tem.model.unit_costs import conversion_learning_factor, learning_curve_price

_money = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_subnormal=False)
_signed_money = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_subnormal=False)


def _col(*values: float) -> np.ndarray:
    """Per-scenario scalars as an ``(S, 1)`` column."""
    return np.array(values, dtype=float).reshape(-1, 1)


# ---------------------------------------------------------------------------------------------------------
# spend schedule
# ---------------------------------------------------------------------------------------------------------


class TestSpendSchedule:
    def test_hand_case(self) -> None:
        # capex 100 with profile 20/30/50 commissioning in year index 4: the three years ending with year 4
        # are 2, 3, 4 -> [0, 0, 20, 30, 50, 0].
        out = spend_schedule(_col(100.0), np.array([[0.2, 0.3, 0.5]]), np.array([[4]]), 6)
        np.testing.assert_allclose(out, [[0.0, 0.0, 20.0, 30.0, 50.0, 0.0]], rtol=1e-15)

    def test_per_scenario_capex_and_commissioning(self) -> None:
        # scenario 2: capex 200 commissioning in year 2: years 0, 1, 2 -> 40, 60, 100.
        out = spend_schedule(_col(100.0, 200.0), np.array([[0.2, 0.3, 0.5]]), np.array([[4], [2]]), 6)
        np.testing.assert_allclose(out, [[0.0, 0.0, 20.0, 30.0, 50.0, 0.0], [40.0, 60.0, 100.0, 0.0, 0.0, 0.0]], rtol=1e-15)

    @settings(deadline=None, max_examples=200)
    @given(
        capex=st.floats(min_value=1.0, max_value=1e5),
        weights=st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=1, max_size=5),
        data=st.data(),
    )
    def test_spends_all_and_nothing_after_commissioning(
        self, capex: float, weights: list[float], data: st.DataObject
    ) -> None:
        profile = np.array([weights]) / sum(weights)
        n_l = profile.shape[1]
        n_years = data.draw(st.integers(min_value=n_l, max_value=25))
        comm = data.draw(st.integers(min_value=n_l - 1, max_value=n_years - 1))
        out = spend_schedule(_col(capex), profile, np.array([[comm]]), n_years)
        assert out.shape == (1, n_years)
        assert out.sum() == pytest.approx(capex, rel=1e-12)
        assert (out[:, comm + 1 :] == 0).all()
        assert (out[:, : comm - n_l + 1] == 0).all()
        assert out[0, comm] == pytest.approx(capex * profile[0, -1], rel=1e-15)


# ---------------------------------------------------------------------------------------------------------
# book depreciation: straight line
# ---------------------------------------------------------------------------------------------------------


class TestStraightLine:
    def test_hand_case(self) -> None:
        # cost 100, life 4, residual 5%: (100 - 5) / 4 = 23.75 a year for 4 years, from the year in service.
        out = straight_line(np.array([[100.0, 0, 0, 0, 0, 0]]), _col(4), _col(0.05))
        np.testing.assert_allclose(out, [[23.75, 23.75, 23.75, 23.75, 0.0, 0.0]], rtol=1e-15)

    def test_overlapping_additions(self) -> None:
        # 100 in year 0 and 40 in year 2, life 4, no residual: 25 in years 0-3, plus 10 in years 2-5.
        out = straight_line(np.array([[100.0, 0, 40, 0, 0, 0, 0]]), _col(4), _col(0.0))
        np.testing.assert_allclose(out, [[25.0, 25.0, 35.0, 35.0, 10.0, 10.0, 0.0]], rtol=1e-15)

    def test_per_scenario_life_and_residual(self) -> None:
        additions = np.array([[100.0, 0, 0, 0], [100.0, 0, 0, 0]])
        out = straight_line(additions, _col(2, 4), _col(0.0, 0.2))
        # hand: 100/2 for 2 years; (100 - 20)/4 = 20 for 4 years
        np.testing.assert_allclose(out, [[50.0, 50.0, 0.0, 0.0], [20.0, 20.0, 20.0, 20.0]], rtol=1e-15)

    def test_one_row_of_additions_with_per_scenario_lives(self) -> None:
        # additions that vary by no scenario (one row) with lives that do: one row per life
        out = straight_line(np.array([[100.0, 0, 0, 0]]), _col(2, 4), _col(0.0))
        np.testing.assert_allclose(out, [[50.0, 50.0, 0.0, 0.0], [25.0, 25.0, 25.0, 25.0]], rtol=1e-15)

    @settings(deadline=None, max_examples=200)
    @given(
        additions=hnp.arrays(np.float64, st.tuples(st.integers(2, 4), st.integers(1, 12)), elements=_money),
        life=st.integers(min_value=1, max_value=15),
        residual=st.floats(min_value=0.0, max_value=0.3),
    )
    def test_one_life_and_per_scenario_lives_agree(self, additions: np.ndarray, life: int, residual: float) -> None:
        # a single life takes the shift path; a column of equal lives takes the per-row path
        one = straight_line(additions, _col(life), _col(residual))
        per_row = straight_line(additions, _col(*[life] * additions.shape[0]), _col(residual))
        np.testing.assert_allclose(one, per_row, rtol=1e-12, atol=1e-9)

    def test_life_beyond_horizon_is_cut_off(self) -> None:
        out = straight_line(np.array([[100.0, 0, 0]]), _col(10), _col(0.0))
        np.testing.assert_allclose(out, [[10.0, 10.0, 10.0]], rtol=1e-15)

    @settings(deadline=None, max_examples=200)
    @given(
        additions=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12), elements=_money),
        data=st.data(),
    )
    def test_sums_to_depreciable_cost(self, additions: np.ndarray, data: st.DataObject) -> None:
        n_s = additions.shape[0]
        life = np.array([[data.draw(st.integers(min_value=1, max_value=15))] for _ in range(n_s)])
        residual = np.array([[data.draw(st.floats(min_value=0.0, max_value=0.3))] for _ in range(n_s)])
        # a horizon long enough for the last addition to be written off completely
        padded = np.hstack([additions, np.zeros((n_s, int(life.max())))])
        dep = straight_line(padded, life, residual)
        expected = additions.sum(axis=1) * (1.0 - residual[:, 0])
        np.testing.assert_allclose(dep.sum(axis=1), expected, rtol=1e-9, atol=1e-6)
        assert (dep >= -1e-9).all()

    def test_does_not_mutate_input(self) -> None:
        additions = np.array([[100.0, 0, 40, 0]])
        before = additions.copy()
        straight_line(additions, _col(3), _col(0.1))
        assert np.array_equal(additions, before)


# ---------------------------------------------------------------------------------------------------------
# tax depreciation: written-down value
# ---------------------------------------------------------------------------------------------------------


class TestWrittenDownValue:
    def test_hand_case(self) -> None:
        # 100 at 15%: 15; (100 - 15) x 15% = 12.75; (85 - 12.75) x 15% = 10.8375
        out = written_down_value(np.array([[100.0, 0.0, 0.0]]), np.array([0.15]))
        np.testing.assert_allclose(out, [[15.0, 12.75, 10.8375]], rtol=1e-15)

    def test_addition_in_later_year(self) -> None:
        # 100 then 50, at 15%: 15; (85 + 50) x 15% = 20.25
        out = written_down_value(np.array([[100.0, 50.0]]), np.array([0.15]))
        np.testing.assert_allclose(out, [[15.0, 20.25]], rtol=1e-15)

    def test_rate_as_column_or_vector(self) -> None:
        additions = np.array([[100.0, 0.0], [100.0, 0.0]])
        expected = [[15.0, 12.75], [40.0, 24.0]]  # hand: 40% -> 40, (60 x 40%) = 24
        np.testing.assert_allclose(written_down_value(additions, np.array([0.15, 0.4])), expected, rtol=1e-15)
        np.testing.assert_allclose(written_down_value(additions, _col(0.15, 0.4)), expected, rtol=1e-15)

    @settings(deadline=None, max_examples=200)
    @given(
        additions=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=20), elements=_money),
        rate=st.floats(min_value=0.0, max_value=1.0),
    )
    def test_block_never_negative_and_matches_closed_form(self, additions: np.ndarray, rate: float) -> None:
        dep = written_down_value(additions, np.full(additions.shape[0], rate))
        block = np.cumsum(additions, axis=1) - np.cumsum(dep, axis=1)
        assert (dep >= 0).all()
        assert (block >= -1e-9 * max(1.0, additions.sum())).all()
        # closed form: an addition A in year s gives A x rate x (1 - rate) ** (t - s) in each year t >= s
        n_t = additions.shape[1]
        lag = np.arange(n_t)[:, None] - np.arange(n_t)[None, :]  # t - s
        kernel = np.where(lag >= 0, rate * (1.0 - rate) ** np.maximum(lag, 0), 0.0)
        np.testing.assert_allclose(dep, additions @ kernel.T, rtol=1e-9, atol=1e-9)

    def test_does_not_mutate_input(self) -> None:
        additions = np.array([[100.0, 50.0]])
        before = additions.copy()
        written_down_value(additions, np.array([0.15]))
        assert np.array_equal(additions, before)

    def test_regression_integer_additions_are_not_truncated(self) -> None:
        # np.empty_like(additions) once kept an integer dtype: [[15, 12, 10]]
        out = written_down_value(np.array([[100, 0, 0]]), np.array([0.15]))
        np.testing.assert_allclose(out, [[15.0, 12.75, 10.8375]], rtol=1e-15)

    def test_one_row_of_additions_with_per_scenario_rates(self) -> None:
        # additions that vary by no scenario (one row) with rates that do: one row per rate
        out = written_down_value(np.array([[100.0, 0.0]]), _col(0.15, 0.4))
        np.testing.assert_allclose(out, [[15.0, 12.75], [40.0, 24.0]], rtol=1e-15)


# ---------------------------------------------------------------------------------------------------------
# corporate tax with losses carried forward FIFO and expiring
# ---------------------------------------------------------------------------------------------------------


def _reference_tax(taxable: list[float], rate: float, carry: int) -> tuple[list[float], list[float], list[float]]:
    """Plain-Python reference: a FIFO queue of (vintage, loss); a loss of year v is usable in v+1 .. v+carry and
    what is left of it expires at the end of year v+carry. Returns (tax, used, expired, pool at year end)."""
    queue: list[list[float]] = []
    tax, used, expired, pool = [], [], [], []
    for t, x in enumerate(taxable):
        profit = max(x, 0.0)
        left = profit
        for item in queue:  # oldest first
            take = min(item[1], left)
            item[1] -= take
            left -= take
        used.append(profit - left)
        tax.append(rate * left)
        if x < 0:
            queue.append([t, -x])
        expired.append(math.fsum(a for v, a in queue if v <= t - carry))
        queue = [item for item in queue if item[0] > t - carry]
        pool.append(math.fsum(a for _, a in queue))
    return tax, used, expired, pool


class TestComputeTax:
    def test_loss_then_profits(self) -> None:
        # loss 100 in year 0; profits 30, 50, 40 set it off (30 + 50 + 20); tax only on the last 20:
        # 25% x (40 - 20) = 5.
        r = compute_tax(np.array([[-100.0, 30.0, 50.0, 40.0]]), 0.0, _col(0.25), _col(8))
        np.testing.assert_allclose(r.losses_used, [[0.0, 30.0, 50.0, 20.0]], rtol=1e-15)
        np.testing.assert_allclose(r.tax, [[0.0, 0.0, 0.0, 5.0]], rtol=1e-15)
        np.testing.assert_allclose(r.loss_pool_end, [[100.0, 70.0, 20.0, 0.0]], rtol=1e-15)
        np.testing.assert_allclose(r.losses_expired, 0.0)
        np.testing.assert_array_equal(r.taxable_before_losses, [[-100.0, 30.0, 50.0, 40.0]])

    def test_loss_expires_after_n_years(self) -> None:
        # a loss of year 0 with N = 2 is usable in years 1 and 2 only; the year-3 profit of 50 is taxed in full:
        # 25% x 50 = 12.5, and the 100 expires at the end of year 2, its last usable year (issue 12, A4: the pool
        # at the end of year 2 no longer shows it).
        r = compute_tax(np.array([[-100.0, 0.0, 0.0, 50.0]]), 0.0, _col(0.25), _col(2))
        np.testing.assert_allclose(r.losses_used, 0.0)
        np.testing.assert_allclose(r.losses_expired, [[0.0, 0.0, 100.0, 0.0]])
        np.testing.assert_allclose(r.tax, [[0.0, 0.0, 0.0, 12.5]], rtol=1e-15)
        np.testing.assert_allclose(r.loss_pool_end, [[100.0, 100.0, 0.0, 0.0]])

    def test_loss_still_usable_in_year_n(self) -> None:
        # same flows with N = 3: year 3 = 0 + 3 is the last year the loss is usable; 50 set off, no tax.
        r = compute_tax(np.array([[-100.0, 0.0, 0.0, 50.0]]), 0.0, _col(0.25), _col(3))
        np.testing.assert_allclose(r.losses_used, [[0.0, 0.0, 0.0, 50.0]])
        np.testing.assert_allclose(r.tax, 0.0)
        np.testing.assert_allclose(r.loss_pool_end, [[100.0, 100.0, 100.0, 0.0]])
        np.testing.assert_allclose(r.losses_expired, [[0.0, 0.0, 0.0, 50.0]])

    def test_first_in_first_out(self) -> None:
        # losses 100 (year 0) and 50 (year 1), N = 4; profit 120 in year 4 uses the 100 of year 0 first, then 20 of
        # year 1. The 30 left of year 1 is usable to year 5 and expires at the end of year 5. (Last-in first-out
        # would leave 30 of year 0, expiring at the end of year 4.)
        r = compute_tax(np.array([[-100.0, -50.0, 0.0, 0.0, 120.0, 0.0, 0.0]]), 0.0, _col(0.3), _col(4))
        np.testing.assert_allclose(r.losses_used, [[0, 0, 0, 0, 120.0, 0, 0]])
        np.testing.assert_allclose(r.losses_expired, [[0, 0, 0, 0, 0, 30.0, 0]])
        np.testing.assert_allclose(r.loss_pool_end, [[100.0, 150.0, 150.0, 150.0, 30.0, 0.0, 0.0]])
        np.testing.assert_allclose(r.tax, 0.0)

    def test_zero_carry_forward_sets_off_nothing(self) -> None:
        # N = 0: a loss is never set off (it expires at the end of its own year); 25% x 50 = 12.5
        r = compute_tax(np.array([[-100.0, 50.0]]), 0.0, _col(0.25), _col(0))
        np.testing.assert_allclose(r.tax, [[0.0, 12.5]])
        np.testing.assert_allclose(r.losses_expired, [[100.0, 0.0]])
        np.testing.assert_allclose(r.loss_pool_end, 0.0)

    def test_per_scenario_rate_and_carry(self) -> None:
        taxable = np.array([[-100.0, 0.0, 0.0, 50.0], [-100.0, 0.0, 0.0, 50.0]])
        r = compute_tax(taxable, 0.0, _col(0.25, 0.3), _col(2, 3))
        np.testing.assert_allclose(r.tax, [[0.0, 0.0, 0.0, 12.5], [0.0, 0.0, 0.0, 0.0]], rtol=1e-15)

    @settings(deadline=None, max_examples=200)
    @given(
        taxable=hnp.arrays(
            np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=15), elements=_signed_money
        ),
        rate=st.floats(min_value=0.0, max_value=0.5),
        carry=st.integers(min_value=0, max_value=16),
    )
    def test_matches_reference_and_is_never_negative(self, taxable: np.ndarray, rate: float, carry: int) -> None:
        r = compute_tax(taxable, 0.0, _col(*[rate] * taxable.shape[0]), _col(*[carry] * taxable.shape[0]))
        assert (r.tax >= 0).all()
        assert (r.losses_used <= np.maximum(taxable, 0.0) + 1e-9).all()
        for i, row in enumerate(taxable.tolist()):
            tax, used, expired, pool = _reference_tax(row, rate, carry)
            np.testing.assert_allclose(r.tax[i], tax, rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(r.losses_used[i], used, rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(r.losses_expired[i], expired, rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(r.loss_pool_end[i], pool, rtol=1e-12, atol=1e-9)
        # every loss is used, expired, or still in the pool at the end
        losses = np.maximum(-taxable, 0.0).sum(axis=1)
        accounted = r.losses_used.sum(axis=1) + r.losses_expired.sum(axis=1) + r.loss_pool_end[:, -1]
        np.testing.assert_allclose(accounted, losses, rtol=1e-12, atol=1e-9)

    @settings(deadline=None, max_examples=200)
    @given(
        taxable=hnp.arrays(
            np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=15), elements=_signed_money
        ),
        rate=st.floats(min_value=0.0, max_value=0.5),
    )
    def test_without_expiry_tax_is_rate_times_positive_cumulative_income(self, taxable: np.ndarray, rate: float) -> None:
        # with N >= horizon nothing expires, and the cumulative set-off is the most the losses allow:
        # cumulative taxed income = max over t of (cumulative taxable up to t), clipped at 0
        # (the running peak of cumulative profit) -- a hand-checkable identity for FIFO with no expiry.
        n_s, n_t = taxable.shape
        r = compute_tax(taxable, 0.0, _col(*[rate] * n_s), _col(*[n_t] * n_s))
        cum = np.cumsum(taxable, axis=1)
        running_peak = np.maximum.accumulate(np.maximum(cum, 0.0), axis=1)
        np.testing.assert_allclose(np.cumsum(r.tax, axis=1), rate * running_peak, rtol=1e-9, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------
# learning curves
# ---------------------------------------------------------------------------------------------------------


class TestLearningCurvePrice:
    def test_cumulative_doubling_each_year(self) -> None:
        # learning rate 20%, cumulative volume doubles every year (g = 1): (2 ** t) ** log2(0.8) = 0.8 ** t,
        # so 100, 80, 64, 51.2.
        out = learning_curve_price(_col(100.0), _col(0.2), _col(1.0), _col(0.0), 4)
        np.testing.assert_allclose(out, [[100.0, 80.0, 64.0, 51.2]], rtol=1e-14)

    def test_price_halves_per_doubling_at_50_percent(self) -> None:
        # learning rate 50%, volume quadruples every year (g = 3): (4 ** t) ** log2(0.5) = 4 ** -t = 0.25 ** t.
        out = learning_curve_price(_col(100.0), _col(0.5), _col(3.0), _col(0.0), 3)
        np.testing.assert_allclose(out, [[100.0, 25.0, 6.25]], rtol=1e-14)

    def test_floor(self) -> None:
        # 100, 50, 25 -> floored at 30: 100, 50, 30, 30
        out = learning_curve_price(_col(100.0), _col(0.5), _col(1.0), _col(30.0), 4)
        np.testing.assert_allclose(out, [[100.0, 50.0, 30.0, 30.0]], rtol=1e-14)

    def test_no_learning_or_no_growth_is_flat(self) -> None:
        np.testing.assert_allclose(learning_curve_price(_col(100.0), _col(0.0), _col(1.0), _col(0.0), 3), 100.0)
        np.testing.assert_allclose(learning_curve_price(_col(100.0), _col(0.2), _col(0.0), _col(0.0), 3), 100.0)

    @settings(deadline=None, max_examples=200)
    @given(start=st.floats(1.0, 1e3), lr=st.floats(0.0, 0.5), g=st.floats(0.0, 2.0), floor=st.floats(0.0, 1e3))
    def test_non_increasing_and_floored(self, start: float, lr: float, g: float, floor: float) -> None:
        out = learning_curve_price(_col(start), _col(lr), _col(g), _col(floor), 15)[0]
        assert (out >= floor).all()
        assert (np.diff(out) <= 1e-12 * start).all()
        assert out[0] == max(start, floor)


class TestConversionLearningFactor:
    def test_hand_case(self) -> None:
        # reference 10 GWh, learning rate 20%; output 5, 5, 10, 20 -> cumulative 5, 10, 20, 40
        # -> factor 1 (below reference), 1 (at it), 2 ** log2(0.8) = 0.8, 4 ** log2(0.8) = 0.64
        out = conversion_learning_factor(np.array([[5.0, 5.0, 10.0, 20.0]]), _col(0.2), _col(10.0))
        np.testing.assert_allclose(out, [[1.0, 1.0, 0.8, 0.64]], rtol=1e-14)

    def test_no_output_is_one(self) -> None:
        np.testing.assert_array_equal(conversion_learning_factor(np.zeros((2, 5)), _col(0.2), _col(10.0)), 1.0)

    @settings(deadline=None, max_examples=200)
    @given(
        output=hnp.arrays(np.float64, (1, 12), elements=st.floats(0.0, 100.0)),
        lr=st.floats(0.0, 0.5),
        reference=st.floats(0.1, 100.0),
    )
    def test_between_zero_and_one_and_non_increasing(self, output: np.ndarray, lr: float, reference: float) -> None:
        out = conversion_learning_factor(output, _col(lr), _col(reference))
        assert (out <= 1.0).all()
        assert (out > 0.0).all()
        assert (np.diff(out, axis=1) <= 1e-15).all()

"""Tests for tem.finance: golden values with their source, invariants, and agreement with numpy-financial.

Conventions under test (tem/finance.py docstring): money in positive, money out negative; ``cf[:, t]`` falls
at the end of year ``t`` and is discounted to the start of year 0 by ``(1 + r) ** -(t + 1)``
(``-(t + 0.5)`` with the mid-year option). Hence ``tem.npv(r, cf) == npf.npv(r, cf) / (1 + r)``, which is
Excel's ``=NPV(r, CF0:CFn)``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tem import finance
from tem.finance import IRR_STATUS, discount_factors, irr, mirr, npv, payback_years, peak_funding
from tem.finance import solver as finance_solver

# ---------------------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------------------

_amount = st.floats(min_value=0.01, max_value=1000.0, allow_nan=False, allow_infinity=False)
_rate = st.floats(min_value=-0.5, max_value=2.0, allow_nan=False, allow_infinity=False)


@st.composite
def one_sign_change(draw: st.DrawFn, max_len: int = 30) -> np.ndarray:
    """A block of outflows then a block of inflows (zeros allowed in the inflow block), or its mirror
    image (a loan: money in first). Exactly one sign change, so exactly one IRR exists (Descartes)."""
    n = draw(st.integers(min_value=2, max_value=max_len))
    n_neg = draw(st.integers(min_value=1, max_value=min(6, n - 1)))
    neg = [-draw(_amount) for _ in range(n_neg)]
    pos = [draw(st.one_of(st.just(0.0), _amount)) for _ in range(n - n_neg)]
    assume(max(pos) > 0)
    cf = np.array(neg + pos)
    return -cf if draw(st.booleans()) else cf


# any signs, magnitudes 0 or between 0.01 and 1000 (no pathological near-underflow values)
_flow = st.one_of(st.just(0.0), _amount, _amount.map(lambda a: -a))
cash_flows = st.lists(_flow, min_size=2, max_size=25)


def _valued(cf: np.ndarray, rate: float) -> float:
    """sum_t cf_t / (1 + rate) ** t, the IRR equation, evaluated by plain Python."""
    return math.fsum(c / (1.0 + rate) ** t for t, c in enumerate(cf))


# ---------------------------------------------------------------------------------------------------------
# discount factors and NPV
# ---------------------------------------------------------------------------------------------------------


class TestDiscountFactors:
    def test_year_end(self) -> None:
        # hand: 1/1.1, 1/1.1**2, 1/1.1**3
        np.testing.assert_allclose(discount_factors(np.array([0.1]), 3), [[1 / 1.1, 1 / 1.21, 1 / 1.331]], rtol=1e-15)

    def test_mid_year(self) -> None:
        # hand: (1 + r) ** -(t + 0.5) for t = 0, 1, 2
        expected = [[1.1**-0.5, 1.1**-1.5, 1.1**-2.5]]
        np.testing.assert_allclose(discount_factors(np.array([0.1]), 3, mid_year=True), expected, rtol=1e-15)

    def test_per_scenario_rate_and_mid_year_flag(self) -> None:
        df = discount_factors(np.array([0.1, 0.2]), 2, mid_year=np.array([False, True]))
        np.testing.assert_allclose(df, [[1.1**-1, 1.1**-2], [1.2**-0.5, 1.2**-1.5]], rtol=1e-15)

    def test_zero_rate_is_one(self) -> None:
        assert np.array_equal(discount_factors(np.array([0.0]), 5), np.ones((1, 5)))


class TestNpv:
    def test_textbook_hand_value(self) -> None:
        # Hand: outlay 100 and two receipts of 60, at the ends of years 0, 1, 2, valued at the start of year 0
        # at 10%: -100/1.1 + 60/1.1**2 + 60/1.1**3 = (-100*1.21 + 60*1.1 + 60) / 1.331 = 5 / 1.331
        #       = 3.756574004507889...
        assert npv(0.1, np.array([[-100.0, 60.0, 60.0]]))[0] == pytest.approx(5 / 1.331, rel=1e-14)

    def test_excel_npv_example_1(self) -> None:
        # Microsoft Excel docs, NPV function, example 1: =NPV(10%, -10000, 3000, 4200, 6800) = $1,188.44
        # (the initial cost falls one year from today, exactly tem's year-end convention for year 0).
        assert npv(0.1, np.array([-10000.0, 3000.0, 4200.0, 6800.0]))[0] == pytest.approx(1188.44, abs=0.005)

    @pytest.mark.parametrize(
        ("flows", "excel"),
        [
            # Microsoft Excel docs, NPV function, example 2: rate 8%, initial investment 40,000 at the start,
            # =NPV(8%, A4:A8) + A3 = $1,922.06 and, with a 9,000 loss in year 6, = -$3,749.47.
            ([-40000.0, 8000.0, 9200.0, 10000.0, 12000.0, 14500.0], 1922.06),
            ([-40000.0, 8000.0, 9200.0, 10000.0, 12000.0, 14500.0, -9000.0], -3749.47),
        ],
    )
    def test_excel_npv_example_2_through_the_mapping(self, flows: list[float], excel: float) -> None:
        # Excel's =NPV(r, CF1:CFn) + CF0 does not discount CF0, like npf.npv; tem discounts it one year more:
        # tem.npv * (1 + r) == NPV(r, CF1:CFn) + CF0.
        assert npv(0.08, np.array([flows]))[0] * 1.08 == pytest.approx(excel, abs=0.005)

    @settings(deadline=None, max_examples=200)
    @given(rate=_rate, flows=cash_flows)
    def test_equals_numpy_financial_over_one_plus_rate(self, rate: float, flows: list[float]) -> None:
        cf = np.array(flows)
        expected = npf.npv(rate, cf) / (1.0 + rate)
        scale = float(np.sum(np.abs(cf) * (1.0 + rate) ** -np.arange(1, cf.size + 1)))
        assert npv(rate, cf[None, :])[0] == pytest.approx(expected, rel=1e-12, abs=1e-12 * scale)

    @settings(deadline=None, max_examples=200)
    @given(rate=_rate, flows=cash_flows)
    def test_mid_year_is_half_a_year_less_discount(self, rate: float, flows: list[float]) -> None:
        # (1 + r) ** -(t + 0.5) == (1 + r) ** -(t + 1) * (1 + r) ** 0.5 for every t
        cf = np.array([flows])
        scale = float(npv(rate, np.abs(cf), mid_year=True)[0])
        assert npv(rate, cf, mid_year=True)[0] == pytest.approx(
            npv(rate, cf)[0] * (1.0 + rate) ** 0.5, rel=1e-12, abs=1e-12 * scale
        )

    def test_per_scenario_rates(self) -> None:
        cf = np.array([[-100.0, 60.0, 60.0], [-100.0, 60.0, 60.0]])
        out = npv(np.array([0.1, 0.0]), cf)
        assert out.shape == (2,)
        assert out[0] == pytest.approx(5 / 1.331, rel=1e-14)
        assert out[1] == pytest.approx(20.0, rel=1e-15)  # undiscounted sum

    def test_scalar_rate_broadcasts_over_scenarios(self) -> None:
        cf = np.array([[-100.0, 60.0, 60.0], [-50.0, 30.0, 30.0]])
        np.testing.assert_allclose(npv(0.1, cf), [5 / 1.331, 2.5 / 1.331], rtol=1e-14)

    def test_does_not_mutate_input(self) -> None:
        cf = np.array([[-100.0, 60.0, 60.0]])
        before = cf.copy()
        npv(0.1, cf, mid_year=True)
        assert np.array_equal(cf, before)


# ---------------------------------------------------------------------------------------------------------
# IRR
# ---------------------------------------------------------------------------------------------------------


class TestIrrGolden:
    @pytest.mark.parametrize(
        ("flows", "rounded"),
        [
            # numpy-financial 1.0.0 docstring of npf.irr (one sign change each):
            ([-100.0, 39.0, 59.0, 55.0, 20.0], 0.28095),
            ([-100.0, 0.0, 0.0, 74.0], -0.0955),
            ([-100.0, 100.0, 0.0, 7.0], 0.06206),
        ],
    )
    def test_numpy_financial_docstring(self, flows: list[float], rounded: float) -> None:
        result = irr(np.array([flows]))
        assert result.status[0] == 0
        assert round(float(result.rate[0]), 5) == rounded
        assert result.rate[0] == pytest.approx(npf.irr(flows), abs=1e-12)

    @pytest.mark.parametrize(
        ("n_flows", "rounded"),
        [
            # Microsoft Excel docs, IRR function: -70,000 then 12,000, 15,000, 18,000, 21,000, 26,000.
            (5, -0.021),  # =IRR(A2:A6): after four years -2.1%
            (6, 0.087),  # =IRR(A2:A7): after five years 8.7%
            (3, -0.444),  # =IRR(A2:A4, -10%): after two years -44.4%
        ],
    )
    def test_excel_docs(self, n_flows: int, rounded: float) -> None:
        flows = [-70000.0, 12000.0, 15000.0, 18000.0, 21000.0, 26000.0][:n_flows]
        result = irr(np.array(flows))
        assert result.status[0] == 0
        assert round(float(result.rate[0]), 3) == rounded
        assert result.rate[0] == pytest.approx(npf.irr(flows), abs=1e-12)

    def test_two_flows_hand(self) -> None:
        # hand: -100 + 110 / (1 + r) = 0  =>  r = 10%
        assert irr(np.array([[-100.0, 110.0]])).rate[0] == pytest.approx(0.1, abs=1e-14)

    def test_leading_zero_does_not_change_the_root(self) -> None:
        # hand: 0 - 100/(1+r) + 110/(1+r)**2 = 0  =>  r = 10%
        assert irr(np.array([[0.0, -100.0, 110.0]])).rate[0] == pytest.approx(0.1, abs=1e-14)

    def test_loan_shape_mirror_has_same_root(self) -> None:
        # multiplying every flow by -1 does not move the root
        assert irr(np.array([[100.0, -110.0]])).rate[0] == pytest.approx(0.1, abs=1e-14)


class TestIrrStatus:
    @pytest.mark.parametrize(
        "flows",
        [[100.0, 20.0, 30.0], [-100.0, -20.0, -30.0], [0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [-1.0, 0.0, -2.0]],
    )
    def test_one_sign_is_nan_with_status_1(self, flows: list[float]) -> None:
        result = irr(np.array([flows]))
        assert np.isnan(result.rate[0])
        assert result.status[0] == 1

    @pytest.mark.parametrize(
        "flows",
        [
            # hand: -100 + 230 x - 132 x**2 = 0 with x = 1/(1+r): (1+r)**2 * 100 - 230 (1+r) + 132 = 0,
            # 1 + r = (230 +- sqrt(230**2 - 4*100*132)) / 200 = (230 +- 10) / 200  =>  r = 10% and 20%.
            [-100.0, 230.0, -132.0],
            # numpy-financial docstring examples with several sign changes (npf reports the root nearest 0;
            # tem reports none): roots of -100 + 100 x - 7 x**3 at r = -8.3% and r = -67.9%.
            [-100.0, 100.0, 0.0, -7.0],
            [-5.0, 10.5, 1.0, -8.0, 1.0],
        ],
    )
    def test_several_roots_is_nan_with_status_3(self, flows: list[float]) -> None:
        result = irr(np.array([flows]))
        assert np.isnan(result.rate[0])
        assert result.status[0] == 3

    @pytest.mark.parametrize(
        "flows",
        [
            [-1.0, 20.0],  # hand: r = 20/1 - 1 = 1900%, above the 1000% bound
            [-100.0, 1.0],  # hand: r = 1/100 - 1 = -99%, below the -95% bound
        ],
    )
    def test_root_outside_search_range_is_status_2(self, flows: list[float]) -> None:
        result = irr(np.array([flows]))
        assert np.isnan(result.rate[0])
        assert result.status[0] == 2

    def test_reasons_counts_each_status(self) -> None:
        result = irr(np.array([[-100.0, 110.0], [-100.0, 120.0], [1.0, 1.0], [-100.0, 230.0]]))
        assert result.reasons() == {IRR_STATUS[0]: 3, IRR_STATUS[1]: 1}
        result = irr(np.array([[-100.0, 230.0, -132.0], [5.0, 5.0, 5.0], [-1.0, 20.0, 0.0]]))
        assert result.reasons() == {IRR_STATUS[3]: 1, IRR_STATUS[1]: 1, IRR_STATUS[2]: 1}

    def test_status_dtype_and_shapes(self) -> None:
        result = irr(np.zeros((4, 6)))
        assert result.rate.shape == (4,)
        assert result.status.shape == (4,)
        assert result.status.dtype == np.int8

    def test_regression_three_roots_two_close_is_not_reported_as_unique(self) -> None:
        # (1+r - 1.04)(1+r - 1.06)(1+r - 1.5) expanded in y = 1 + r and scaled by -10,000:
        # -10000 y**3 + 36000 y**2 - 42524 y + 16536 = 0, i.e. flows [-10000, 36000, -42524, 16536]
        # have IRRs 4%, 6% and 50%; the docstring promises NaN when there is more than one.
        result = irr(np.array([[-10000.0, 36000.0, -42524.0, 16536.0]]))
        for r in (0.04, 0.06, 0.5):
            assert _valued([-10000.0, 36000.0, -42524.0, 16536.0], r) == pytest.approx(0.0, abs=1e-8)
        assert result.status[0] == 3
        assert np.isnan(result.rate[0])

    def test_regression_two_close_roots_is_status_3_not_2(self) -> None:
        # hand: 100 y**2 - 210 y + 110.24 = 0 with y = 1 + r: y = (210 +- sqrt(44100 - 44096)) / 200
        #     = 1.04 or 1.06, so r = 4% and 6%, both inside (-95%, 1000%).
        result = irr(np.array([[-10000.0, 21000.0, -11024.0]]))
        assert np.isnan(result.rate[0])
        assert result.status[0] == 3


class TestIrrProperties:
    @settings(deadline=None, max_examples=200)
    @given(cf=one_sign_change())
    def test_agrees_with_numpy_financial(self, cf: np.ndarray) -> None:
        expected = npf.irr(cf)
        result = irr(cf[None, :])
        # one sign change: npf's root is the unique one. Keep clear of the (-95%, 1000%) search bounds.
        if -0.9 < expected < 9.0:
            assert result.status[0] == 0
            assert abs(result.rate[0] - expected) <= 1e-9
        elif np.isnan(expected) or expected < -0.97 or expected > 11.0:
            assert result.status[0] == 2
            assert np.isnan(result.rate[0])

    @settings(deadline=None, max_examples=200)
    @given(cf=one_sign_change())
    def test_npv_at_irr_is_zero(self, cf: np.ndarray) -> None:
        result = irr(cf[None, :])
        assume(result.status[0] == 0)
        r = float(result.rate[0])
        assume(-0.9 < r < 9.0)
        # relative to the size of the discounted flows (the IRR equation has no natural scale)
        scale = float(npv(r, np.abs(cf)[None, :])[0])
        assert abs(npv(r, cf[None, :])[0]) <= 1e-9 * scale
        assert abs(npv(r, cf[None, :], mid_year=True)[0]) <= 1e-9 * scale * (1.0 + r) ** 0.5
        assert abs(_valued(cf, r)) <= 1e-9 * scale * (1.0 + r)

    @settings(deadline=None, max_examples=200)
    @given(flows=cash_flows)
    def test_status_and_rate_agree(self, flows: list[float]) -> None:
        result = irr(np.array([flows]))
        assert result.status[0] in IRR_STATUS
        assert np.isnan(result.rate[0]) == (result.status[0] != 0)
        if result.status[0] == 0:
            assert -0.95 <= result.rate[0] <= 10.0

    @settings(deadline=None, max_examples=200)
    @given(cf=one_sign_change(), factor=st.floats(min_value=1e-3, max_value=1e3))
    def test_scale_invariant(self, cf: np.ndarray, factor: float) -> None:
        a, b = irr(cf[None, :]), irr(cf[None, :] * factor)
        assume(a.status[0] == 0 and -0.9 < a.rate[0] < 9.0)
        assert b.status[0] == 0
        assert abs(a.rate[0] - b.rate[0]) <= 1e-9

    @settings(deadline=None, max_examples=100)
    @given(rows=st.lists(one_sign_change(max_len=20).map(lambda c: np.pad(c, (0, 20 - c.size))), min_size=1, max_size=12))
    def test_batch_equals_rows_alone_bit_for_bit(self, rows: list[np.ndarray]) -> None:
        stacked = irr(np.array(rows))
        for i, row in enumerate(rows):
            alone = irr(row[None, :])
            assert alone.status[0] == stacked.status[i]
            assert np.array_equal(alone.rate, stacked.rate[i : i + 1], equal_nan=True)

    @settings(deadline=None, max_examples=100)
    @given(cf=one_sign_change())
    def test_safeguarded_fallback_finds_the_same_root(self, cf: np.ndarray) -> None:
        """The fast path (plain Newton) and the fallback (Newton kept in the bracket by bisection) agree: force
        every row onto the fallback by making the fast path report no convergence."""
        fast = irr(cf[None, :])
        assume(fast.status[0] == 0 and -0.9 < fast.rate[0] < 9.0)
        original = finance_solver._newton
        finance_solver._newton = lambda cf_t, x, tol, max_iter: (x, np.zeros(x.shape, dtype=bool))
        try:
            slow = irr(cf[None, :])
        finally:
            finance_solver._newton = original
        assert slow.status[0] == 0
        assert abs(slow.rate[0] - fast.rate[0]) <= 1e-10 * max(1.0, abs(fast.rate[0]))


# ---------------------------------------------------------------------------------------------------------
# MIRR
# ---------------------------------------------------------------------------------------------------------

_EXCEL_MIRR_FLOWS = [-120000.0, 39000.0, 30000.0, 21000.0, 37000.0, 46000.0]


class TestMirr:
    def test_excel_docs_example(self) -> None:
        # Microsoft Excel docs, MIRR function: =MIRR(A2:A7, 10%, 12%) = 12.6094...% (shown as 13%)
        assert mirr(np.array([_EXCEL_MIRR_FLOWS]), 0.10, 0.12)[0] == pytest.approx(0.126094, abs=5e-7)

    @pytest.mark.parametrize(
        ("n_flows", "reinvest", "rounded"),
        [
            (4, 0.12, -0.048),  # Excel docs: =MIRR(A2:A5, A8, A9), after three years -4.8% (shown as -5%)
            (6, 0.14, 0.135),  # Excel docs: =MIRR(A2:A7, A8, 14%) = 13.5% (shown as 13%)
        ],
    )
    def test_excel_docs_other_examples(self, n_flows: int, reinvest: float, rounded: float) -> None:
        flows = _EXCEL_MIRR_FLOWS[:n_flows]
        assert round(float(mirr(np.array([flows]), 0.10, reinvest)[0]), 3) == rounded

    def test_hand_value(self) -> None:
        # hand: -100 then 0 then 121; PV of outflows = -100; FV of inflows at year 2 = 121;
        # MIRR = (121 / 100) ** (1 / 2) - 1 = 10% whatever the rates (no flow is moved).
        assert mirr(np.array([[-100.0, 0.0, 121.0]]), 0.05, 0.2)[0] == pytest.approx(0.1, abs=1e-15)

    @settings(deadline=None, max_examples=200)
    @given(flows=cash_flows, fin=st.floats(0.0, 0.5), rei=st.floats(0.0, 0.5))
    def test_agrees_with_numpy_financial(self, flows: list[float], fin: float, rei: float) -> None:
        cf = np.array(flows)
        expected = npf.mirr(cf, fin, rei)
        got = mirr(cf[None, :], fin, rei)[0]
        if np.isnan(expected):
            assert np.isnan(got)
        else:
            assert got == pytest.approx(expected, rel=1e-11, abs=1e-12)

    @pytest.mark.parametrize("flows", [[100.0, 20.0], [-100.0, -20.0], [0.0, 0.0]])
    def test_nan_without_both_signs(self, flows: list[float]) -> None:
        assert np.isnan(mirr(np.array([flows]), 0.1, 0.1)[0])

    def test_regression_single_year_is_nan_not_zero_division(self) -> None:
        # one year of flows: no MIRR (the guard `n > 1` in tem.finance.mirr means NaN)
        assert np.isnan(mirr(np.array([[-100.0]]), 0.1, 0.1)[0])

    def test_per_scenario_rates(self) -> None:
        cf = np.array([_EXCEL_MIRR_FLOWS, _EXCEL_MIRR_FLOWS])
        out = mirr(cf, np.array([0.10, 0.10]), np.array([0.12, 0.14]))
        assert out[0] == pytest.approx(npf.mirr(_EXCEL_MIRR_FLOWS, 0.10, 0.12), rel=1e-13)
        assert out[1] == pytest.approx(npf.mirr(_EXCEL_MIRR_FLOWS, 0.10, 0.14), rel=1e-13)


# ---------------------------------------------------------------------------------------------------------
# payback and peak funding
# ---------------------------------------------------------------------------------------------------------


class TestPayback:
    """Flow t falls at the end of year t, i.e. t + 1 years after the valuation date; inside the year where the
    cumulative flow turns non-negative for good, that year's flow is spread evenly. With k the last index
    whose cumulative flow is negative: payback = (k + 1) + (-cum[k]) / flow[k + 1]."""

    @pytest.mark.parametrize(
        ("flows", "expected"),
        [
            # cum = -100, -70, -30, 20: last negative k = 2 (end of year 2 = 3 years in); year 3 brings 50
            # spread evenly, of which 30 are needed: payback = 3 + 30/50 = 3.6 years.
            ([-100.0, 30.0, 40.0, 50.0], 3.6),
            # cum = -100, 0: k = 0; year 1 brings 100, all needed: 1 + 100/100 = 2 years.
            ([-100.0, 100.0, 0.0, 0.0], 2.0),
            # cum = -100, 20: k = 0: 1 + 100/120 = 1.8333... years.
            ([-100.0, 120.0], 1.0 + 100.0 / 120.0),
            # money first: cum = 50, -50, 30: k = 1: 2 + 50/80 = 2.625 years.
            ([50.0, -100.0, 80.0], 2.625),
        ],
    )
    def test_hand_cases(self, flows: list[float], expected: float) -> None:
        assert payback_years(np.array([flows]))[0] == pytest.approx(expected, rel=1e-15)

    def test_for_good(self) -> None:
        # cum = -100, 50, -50, 30: positive at k = 1 but negative again at k = 2; the last negative is k = 2:
        # 3 + 50/80 = 3.625 years (not 1 + 100/150).
        assert payback_years(np.array([[-100.0, 150.0, -100.0, 80.0]]))[0] == pytest.approx(3.625, rel=1e-15)

    @pytest.mark.parametrize("flows", [[-100.0, 10.0, 10.0, 10.0], [-100.0, 150.0, -60.0], [-1.0, -1.0]])
    def test_never_recovers_is_nan(self, flows: list[float]) -> None:
        assert np.isnan(payback_years(np.array([flows]))[0])

    @pytest.mark.parametrize("flows", [[10.0, 20.0, 30.0], [0.0, 0.0, 0.0], [0.0, 5.0, -5.0]])
    def test_never_negative_is_zero(self, flows: list[float]) -> None:
        assert payback_years(np.array([flows]))[0] == 0.0

    @settings(deadline=None, max_examples=200)
    @given(flows=cash_flows)
    def test_bounds(self, flows: list[float]) -> None:
        cf = np.array([flows])
        p = payback_years(cf)[0]
        cum = np.cumsum(cf)
        if cum[-1] < 0:
            assert np.isnan(p)
        elif (cum >= 0).all():
            assert p == 0.0
        else:
            # strictly after the end of the last negative year, at most one year later
            k = int(np.flatnonzero(cum < 0)[-1])
            assert k + 1 <= p <= k + 2 + 1e-12


class TestPeakFunding:
    def test_hand_case(self) -> None:
        # cum = -100, -70, -110, -60, 40: the deepest point is -110 at the end of year 2.
        assert peak_funding(np.array([[-100.0, 30.0, -40.0, 50.0, 100.0]]))[0] == 110.0

    def test_never_negative_is_zero(self) -> None:
        out = peak_funding(np.array([[1.0, 2.0, 3.0]]))
        assert out[0] == 0.0
        assert not np.signbit(out[0])  # 0.0, not -0.0 (which formats as "-0")

    @settings(deadline=None, max_examples=200)
    @given(flows=cash_flows)
    def test_is_minus_the_lowest_cumulative_point(self, flows: list[float]) -> None:
        cum = np.cumsum(flows)
        assert peak_funding(np.array([flows]))[0] == pytest.approx(max(0.0, -float(cum.min())), abs=1e-9)


# ---------------------------------------------------------------------------------------------------------
# vectorization: a batch equals row-by-row
# ---------------------------------------------------------------------------------------------------------


def _mixed_batch(n_rows: int = 400, n_years: int = 20, seed: int = 20240601) -> np.ndarray:
    """One-sign-change rows, multi-sign rows, all-positive rows and some rows with zeros."""
    rng = np.random.default_rng(seed)
    cf = rng.uniform(1.0, 100.0, (n_rows, n_years))
    n_neg = rng.integers(1, 5, n_rows)
    cf[np.arange(n_years)[None, :] < n_neg[:, None]] *= -15.0
    cf[::7, -3:] *= -4.0  # late outflows: several sign changes
    cf[::11] = np.abs(cf[::11])  # no sign change
    cf[::13, 5:9] = 0.0
    return cf


class TestVectorization:
    def test_irr_batch_equals_rows(self) -> None:
        cf = _mixed_batch()
        batch = irr(cf)
        rows = [irr(cf[i : i + 1]) for i in range(cf.shape[0])]
        assert np.array_equal(batch.rate, np.concatenate([r.rate for r in rows]), equal_nan=True)
        assert np.array_equal(batch.status, np.concatenate([r.status for r in rows]))
        assert len(set(batch.status.tolist())) >= 2  # the batch really mixes cases

    def test_npv_mirr_payback_peak_batch_equal_rows(self) -> None:
        cf = _mixed_batch()
        rates = np.linspace(0.0, 0.3, cf.shape[0])
        n = npv(rates, cf)
        nm = npv(rates, cf, mid_year=True)
        m = mirr(cf, rates, rates[::-1])
        p = payback_years(cf)
        f = peak_funding(cf)
        for i in range(cf.shape[0]):
            row = cf[i : i + 1]
            assert n[i] == npv(rates[i], row)[0]
            assert nm[i] == npv(rates[i], row, mid_year=True)[0]
            assert np.array_equal(m[i : i + 1], mirr(row, rates[i], rates[::-1][i]), equal_nan=True)
            assert np.array_equal(p[i : i + 1], payback_years(row), equal_nan=True)
            assert f[i] == peak_funding(row)[0]

    def test_one_dimensional_input_is_one_scenario(self) -> None:
        cf = np.array([-100.0, 39.0, 59.0, 55.0, 20.0])
        assert irr(cf).rate.shape == (1,)
        assert irr(cf).rate[0] == irr(cf[None, :]).rate[0]
        assert npv(0.1, cf)[0] == npv(0.1, cf[None, :])[0]
        assert payback_years(cf)[0] == payback_years(cf[None, :])[0]
        assert peak_funding(cf)[0] == peak_funding(cf[None, :])[0]


# ---------------------------------------------------------------------------------------------------------
# issue 10: the edges (every example of the issue is a test; the contract is in tem/finance.py's docstring)
# ---------------------------------------------------------------------------------------------------------


def _pv_ratio(cf: np.ndarray, rate: float) -> float:
    """|sum_t c_t (1 + r)**-t| / sum_t |c_t| (1 + r)**-t: the NPV as a fraction of PV(|flows|), summed exactly."""
    terms = [float(c) * (1.0 + rate) ** -t for t, c in enumerate(cf)]
    return abs(math.fsum(terms)) / math.fsum(abs(x) for x in terms)


def _real_roots(cf: list[float]) -> list[float]:
    """Real roots 1 + r of sum_t c_t (1 + r)**-t = 0, by numpy's companion matrix (an outside witness):
    multiplied by y**(T - 1) the equation is the polynomial with coefficients c, highest power first."""
    return sorted(float(z.real) for z in np.roots(cf) if abs(z.imag) < 1e-9 * max(1.0, abs(z)))


class TestIrrOtherRootsOutsideTheRange:
    def test_second_root_below_minus_95_percent(self) -> None:
        # hand: -100 + 250 / y - 1 / y**2 = 0  <=>  -100 y**2 + 250 y - 1 = 0  <=>  y = (250 +- sqrt(62100)) / 200:
        # y = 2.49599... (r = 149.6%) and y = 0.0040064 (r = -99.6%, outside the range)
        result = irr(np.array([-100.0, 250.0, -1.0]))
        assert result.status[0] == 0
        assert result.rate[0] == pytest.approx((250.0 + math.sqrt(62100.0)) / 200.0 - 1.0, rel=1e-14)
        assert result.rate[0] == pytest.approx(1.49599357943771, rel=1e-14)  # issue 10, 50-digit root

    def test_realistic_final_year_cost(self) -> None:
        flows = [-1000.0, 300.0, 300.0, 300.0, 300.0, 300.0, -10.0]
        result = irr(np.array(flows))
        assert result.status[0] == 0
        assert result.rate[0] == pytest.approx(0.150561667381574, rel=1e-14)  # issue 10, 50-digit root
        inside = [y for y in _real_roots(flows) if 0.05 <= y <= 11.0]
        assert len(inside) == 1
        assert len(_real_roots(flows)) == 2

    def test_only_root_outside_is_status_2_not_3(self) -> None:
        flows = [-1.0, 1.0, -40.0, 1.0]
        assert _real_roots(flows) == [pytest.approx(1 - 0.974984747268678, rel=1e-12)]  # r = -97.5% (issue 10)
        result = irr(np.array(flows))
        assert result.status[0] == 2
        assert np.isnan(result.rate[0])

    def test_random_rows_agree_with_the_roots_of_numpy(self) -> None:
        """Rows with several sign changes whose roots are clear (none within 3% of another root or of a bound,
        no complex pair within 3% of the real axis in the range): the status follows from the roots inside the
        range, and the one root is found."""
        rng = np.random.default_rng(7)
        checked = 0
        for row in np.round(rng.normal(size=(3000, 7)) * 100) / 100:
            if row[0] == 0 or row[-1] == 0 or sign_changes_of(row) < 2:
                continue
            zs = np.roots(row)
            real = sorted(float(z.real) for z in zs if abs(z.imag) < 1e-9)
            cplx = [z for z in zs if abs(z.imag) >= 1e-9]
            ys = real + [abs(z) for z in cplx]
            if any(abs(math.log(y / b)) < 0.03 for y in real if y > 0 for b in (0.05, 11.0)):
                continue
            if any(0.05 < abs(z) < 11 and abs(z.imag) < 0.03 * abs(z) for z in cplx):
                continue
            pos = sorted(y for y in real if y > 0)
            if any(abs(math.log(b / a)) < 0.03 for a, b in itertools.pairwise(pos)) or not ys:
                continue
            inside = [y for y in pos if 0.05 <= y <= 11.0]
            result = irr(row)
            expected = 0 if len(inside) == 1 else (2 if not inside else 3)
            assert result.status[0] == expected, row.tolist()
            if expected == 0:
                assert result.rate[0] == pytest.approx(inside[0] - 1.0, rel=1e-9, abs=1e-12)
            checked += 1
        assert checked > 1000


def sign_changes_of(row: np.ndarray) -> int:
    s = np.sign(row[row != 0])
    return int(np.sum(s[1:] != s[:-1]))


class TestIrrLongFlows:
    @pytest.mark.parametrize("n_zeros", [236, 1000])
    def test_trailing_zeros(self, n_zeros: int) -> None:
        # hand: -100 + 110 / (1 + r) = 0 => r = 10%, whatever the zeros after it (no overflow)
        result = irr(np.array([-100.0, 110.0] + [0.0] * n_zeros))
        assert result.status[0] == 0
        assert result.rate[0] == pytest.approx(0.1, rel=1e-14)

    def test_leading_zeros(self) -> None:
        result = irr(np.array([0.0] * 1000 + [-100.0, 110.0]))
        assert result.status[0] == 0
        assert result.rate[0] == pytest.approx(0.1, rel=1e-14)

    def test_long_row_with_several_sign_changes(self) -> None:
        # (y - 1.1)(y - 1.5) = y**2 - 2.6 y + 1.65: roots 10% and 50%, several IRRs, then 300 zeros
        result = irr(np.array([1.0, -2.6, 1.65] + [0.0] * 300))
        assert result.status[0] == 3

    def test_the_check_catches_a_wrong_rate(self) -> None:
        """A solver result that does not make the NPV zero gets status 6, not a rate: make the fallback solver
        return the bracket's end."""
        original = finance_solver._solve_bracketed
        finance_solver._solve_bracketed = lambda cf_t, lo, hi, tol, max_iter: hi.copy()
        try:
            result = irr(np.array([[-100.0, 110.0], [-100.0, 121.0]]))
        finally:
            finance_solver._solve_bracketed = original
        assert result.status.tolist() == [6, 6]
        assert np.isnan(result.rate).all()


class TestInvalidFlows:
    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_irr_status_5_and_the_batch_is_unaffected(self, bad: float) -> None:
        cf = np.array([[-100.0, bad, 60.0, 60.0], [-100.0, 110.0, 0.0, 0.0]])
        result = irr(cf)
        assert result.status.tolist() == [5, 0]
        assert np.isnan(result.rate[0])
        assert result.rate[1] == pytest.approx(0.1, rel=1e-14)
        assert IRR_STATUS[5].startswith("invalid")

    def test_mirr_npv_payback_peak_give_nan(self) -> None:
        cf = np.array([-100.0, math.nan, 60.0, 60.0])
        assert np.isnan(mirr(cf, 0.1, 0.1)[0])  # was 0.0801 (the NaN dropped)
        assert np.isnan(payback_years(np.array([math.nan, -100.0, 60.0, 60.0]))[0])  # was 0.0
        assert np.isnan(npv(0.1, np.array([-100.0, math.inf, 60.0]))[0])
        assert np.isnan(peak_funding(cf)[0])
        good = np.array([-100.0, 30.0, 40.0, 50.0])
        assert payback_years(np.stack([cf, good]))[1] == pytest.approx(3.6)  # the other rows are unaffected


class TestRangeBounds:
    """The range is closed: 0.05 <= 1 + r <= 11. A root on a bound is inside, alone or in any batch."""

    @pytest.mark.parametrize(("flows", "rate"), [([-1.0, 11.0], 10.0), ([-1.0, 0.05], 0.05 - 1.0)])
    def test_root_on_a_bound_alone_and_in_batches(self, flows: list[float], rate: float) -> None:
        alone = irr(np.array(flows))
        assert alone.status[0] == 0
        assert alone.rate[0] == rate
        others = _mixed_batch(50, 2)
        for at in (0, 17, 50):
            batch = irr(np.insert(others, at, flows, axis=0))
            assert batch.status[at] == 0
            assert batch.rate[at] == rate

    @pytest.mark.parametrize("flows", [[-1.0, 11.000001], [-1.0, 0.0499999], [-1.0, 20.0], [-100.0, 1600.0]])
    def test_just_outside_is_status_2(self, flows: list[float]) -> None:
        result = irr(np.array([flows, flows]))
        assert result.status.tolist() == [2, 2]


class TestScaleInvariance:
    def test_extreme_magnitudes(self) -> None:
        # hand: -a + 2a / (1 + r) = 0 => r = 100% for any a, subnormal or huge
        for a in (1e-320, 1e-300, 1.0, 1e300):
            result = irr(np.array([-a, 2 * a]))
            assert result.status[0] == 0
            assert result.rate[0] == 1.0

    @settings(deadline=None, max_examples=300)
    @given(flows=cash_flows, power=st.integers(min_value=-200, max_value=200))
    def test_a_power_of_two_never_moves_the_root(self, flows: list[float], power: int) -> None:
        cf = np.array(flows)
        a, b = irr(cf), irr(np.ldexp(cf, power))
        assert a.status[0] == b.status[0]
        assert np.array_equal(a.rate, b.rate, equal_nan=True)


class TestCloseRoots:
    @pytest.mark.parametrize(
        "flows",
        [
            [-1.0, 2.0, -1.0],  # hand: -(1 - 1/y)**2: a double root at r = 0
            [-1.0, 2.202, -1.2122],  # hand: -(y - 1.1)(y - 1.102) / y**2: roots 10.0% and 10.2%
            [-1.0, 2.0, -1.0000000001],  # a complex pair 1e-5 off the real axis: the NPV touches 1e-10 of zero
            [-1.0, 3.3, -3.63, 1.331],  # hand: (y - 1.1)**3 / y**3: a triple root at 10%
            [0.0, -1.0, 2.0, -1.0, 0.0],  # the double root again, with zeros around it
        ],
    )
    def test_status_4(self, flows: list[float]) -> None:
        result = irr(np.array(flows))
        assert result.status[0] == 4
        assert np.isnan(result.rate[0])
        assert "too close" in IRR_STATUS[4]

    def test_clear_complex_pair_is_no_root(self) -> None:
        # -1 + 2/y - 1.01/y**2 = 0 <=> y**2 - 2 y + 1.01 = 0: y = 1 +- 0.1i, no real root: status 2
        assert irr(np.array([-1.0, 2.0, -1.01])).status[0] == 2

    def test_roots_two_percent_apart_are_several(self) -> None:
        # hand: (y - 1.1)(y - 1.125) = y**2 - 2.225 y + 1.2375: 10% and 12.5%, more than two 0.5% steps apart
        assert irr(np.array([-1.0, 2.225, -1.2375])).status[0] == 3


class TestShapes:
    def test_three_dimensional_flows(self) -> None:
        cf = _mixed_batch(24, 8).reshape(2, 3, 4, 8)
        result = irr(cf)
        assert result.rate.shape == (2, 3, 4)
        assert result.status.shape == (2, 3, 4)
        flat = irr(cf.reshape(-1, 8))
        assert np.array_equal(result.rate.reshape(-1), flat.rate, equal_nan=True)
        assert np.array_equal(result.status.reshape(-1), flat.status)
        assert mirr(cf, 0.1, 0.1).shape == (2, 3, 4)
        assert npv(0.1, cf).shape == (2, 3, 4)
        assert payback_years(cf).shape == (2, 3, 4)
        assert peak_funding(cf).shape == (2, 3, 4)

    def test_no_scenarios(self) -> None:
        result = irr(np.zeros((0, 5)))
        assert result.rate.shape == (0,)
        assert result.status.shape == (0,)

    @pytest.mark.parametrize(
        "fn", [irr, payback_years, peak_funding, lambda cf: npv(0.1, cf), lambda cf: mirr(cf, 0.1, 0.1)]
    )
    @pytest.mark.parametrize("flows", [np.array([]), np.zeros((3, 0)), np.float64(5.0)])
    def test_no_year_is_a_clear_error(self, fn: object, flows: np.ndarray) -> None:
        with pytest.raises(ValueError, match="at least one year"):
            fn(flows)  # type: ignore[operator]


class TestIrrContract:
    @settings(deadline=None, max_examples=300)
    @given(flows=cash_flows)
    def test_every_rate_returned_makes_the_npv_zero(self, flows: list[float]) -> None:
        result = irr(np.array(flows))
        if result.status[0] == 0:
            assert _pv_ratio(np.array(flows), float(result.rate[0])) <= finance.NPV_TOL
            assert -0.95 <= result.rate[0] <= 10.0

    @settings(deadline=None, max_examples=150)
    @given(rows=st.lists(st.lists(_flow, min_size=6, max_size=6), min_size=1, max_size=10), at=st.integers(0, 40))
    def test_a_row_alone_equals_the_row_in_a_batch(self, rows: list[list[float]], at: int) -> None:
        others = _mixed_batch(40, 6)
        batch = irr(np.insert(others, at, np.array(rows), axis=0))
        for i, row in enumerate(rows):
            alone = irr(np.array(row))
            assert alone.status[0] == batch.status[at + i]
            assert np.array_equal(alone.rate, batch.rate[at + i : at + i + 1], equal_nan=True)

    def test_statuses_listed_and_documented(self) -> None:
        assert sorted(IRR_STATUS) == list(range(7)) == sorted(finance.IRR_STATUS_SHORT)
        assert finance.__doc__ is not None
        assert "1e-10" in finance.__doc__
        assert "-95%" in finance.__doc__

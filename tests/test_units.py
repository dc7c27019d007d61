"""Tests for tem.units: one hand value per conversion and round trips.

Factors (tem/units.py docstring): 1 crore = 1e7 INR; 1 GWh = 1e6 kWh; 1 million = 1e6.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.units import (
    INR_CR_PER_GWH_X_INR_PER_KWH,
    INR_PER_CRORE,
    KWH_PER_GWH,
    USD_PER_MILLION,
    gwh_x_inr_per_kwh_to_inr_cr,
    gwh_x_usd_per_kwh_to_usd_m,
    inr_cr_per_gwh_to_inr_per_kwh,
    inr_cr_to_usd_m,
    inr_to_usd,
    units_kwh_to_gwh,
    usd_m_to_inr_cr,
    usd_to_inr,
)

_positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
_amount = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False, allow_subnormal=False)
_fx = st.floats(min_value=10.0, max_value=200.0)  # INR per USD


class TestFactors:
    def test_named_factors(self) -> None:
        assert INR_PER_CRORE == 1.0e7
        assert KWH_PER_GWH == 1.0e6
        assert USD_PER_MILLION == 1.0e6
        # 1 GWh x 1 INR/kWh = 1e6 INR = 0.1 crore
        factor = INR_CR_PER_GWH_X_INR_PER_KWH
        assert factor == pytest.approx(0.1, rel=1e-15)


class TestHandValues:
    def test_usd_to_inr(self) -> None:
        # hand: 120 USD/kWh x 83 INR/USD = 9,960 INR/kWh
        assert usd_to_inr(120.0, 83.0) == pytest.approx(9960.0, rel=1e-15)

    def test_inr_to_usd(self) -> None:
        # hand: 9,960 INR / 83 INR/USD = 120 USD
        assert inr_to_usd(9960.0, 83.0) == pytest.approx(120.0, rel=1e-15)

    def test_gwh_x_inr_per_kwh_to_inr_cr(self) -> None:
        # hand: 20 GWh = 2e7 kWh; x 9,000 INR/kWh = 1.8e11 INR = 1.8e11 / 1e7 = 18,000 crore
        assert gwh_x_inr_per_kwh_to_inr_cr(20.0, 9000.0) == pytest.approx(18000.0, rel=1e-15)

    def test_inr_cr_per_gwh_to_inr_per_kwh(self) -> None:
        # hand: 18,000 crore = 1.8e11 INR over 20 GWh = 2e7 kWh -> 9,000 INR/kWh
        assert inr_cr_per_gwh_to_inr_per_kwh(18000.0, 20.0) == pytest.approx(9000.0, rel=1e-15)

    def test_gwh_x_usd_per_kwh_to_usd_m(self) -> None:
        # hand: 20 GWh = 2e7 kWh x 110 USD/kWh = 2.2e9 USD = 2,200 USD million
        assert gwh_x_usd_per_kwh_to_usd_m(20.0, 110.0) == pytest.approx(2200.0, rel=1e-15)

    def test_inr_cr_to_usd_m(self) -> None:
        # hand: 8,300 crore = 8.3e10 INR / 83 INR/USD = 1e9 USD = 1,000 USD million
        assert inr_cr_to_usd_m(8300.0, 83.0) == pytest.approx(1000.0, rel=1e-15)

    def test_usd_m_to_inr_cr(self) -> None:
        # hand: 1,000 USD million = 1e9 USD x 83 = 8.3e10 INR = 8,300 crore
        assert usd_m_to_inr_cr(1000.0, 83.0) == pytest.approx(8300.0, rel=1e-15)

    def test_units_kwh_to_gwh(self) -> None:
        # hand: 250,000 cars x 40 kWh = 1e7 kWh = 10 GWh
        assert units_kwh_to_gwh(250000.0, 40.0) == pytest.approx(10.0, rel=1e-15)


class TestArrays:
    def test_broadcast_over_scenarios_and_years(self) -> None:
        volume_gwh = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])  # (S, T)
        price = np.array([[100.0], [200.0]])  # (S, 1) INR/kWh
        out = gwh_x_inr_per_kwh_to_inr_cr(volume_gwh, price)
        assert out.shape == (2, 3)
        np.testing.assert_allclose(out, [[10.0, 20.0, 30.0], [200.0, 400.0, 600.0]], rtol=1e-15)

    def test_inputs_not_mutated(self) -> None:
        a = np.array([[1.0, 2.0]])
        before = a.copy()
        usd_to_inr(a, 83.0)
        inr_cr_to_usd_m(a, 83.0)
        assert np.array_equal(a, before)


class TestRoundTrips:
    @settings(deadline=None, max_examples=200)
    @given(amount=_amount, fx=_fx)
    def test_inr_usd(self, amount: float, fx: float) -> None:
        assert inr_to_usd(usd_to_inr(amount, fx), fx) == pytest.approx(amount, rel=1e-14, abs=1e-300)
        assert usd_to_inr(inr_to_usd(amount, fx), fx) == pytest.approx(amount, rel=1e-14, abs=1e-300)

    @settings(deadline=None, max_examples=200)
    @given(amount=_amount, fx=_fx)
    def test_inr_cr_usd_m(self, amount: float, fx: float) -> None:
        assert usd_m_to_inr_cr(inr_cr_to_usd_m(amount, fx), fx) == pytest.approx(amount, rel=1e-14, abs=1e-300)
        assert inr_cr_to_usd_m(usd_m_to_inr_cr(amount, fx), fx) == pytest.approx(amount, rel=1e-14, abs=1e-300)

    @settings(deadline=None, max_examples=200)
    @given(volume_gwh=_positive, price=_positive)
    def test_gwh_x_price_and_back(self, volume_gwh: float, price: float) -> None:
        # GWh x INR/kWh -> INR crore -> INR/kWh returns the price
        inr_cr = gwh_x_inr_per_kwh_to_inr_cr(volume_gwh, price)
        assert inr_cr_per_gwh_to_inr_per_kwh(inr_cr, volume_gwh) == pytest.approx(price, rel=1e-14)

    @settings(deadline=None, max_examples=200)
    @given(volume_gwh=_positive, price_usd=_positive, fx=_fx)
    def test_usd_and_inr_paths_commute(self, volume_gwh: float, price_usd: float, fx: float) -> None:
        # GWh x USD/kWh -> USD m -> INR cr equals GWh x (USD/kWh -> INR/kWh) -> INR cr
        via_usd = usd_m_to_inr_cr(gwh_x_usd_per_kwh_to_usd_m(volume_gwh, price_usd), fx)
        via_inr = gwh_x_inr_per_kwh_to_inr_cr(volume_gwh, usd_to_inr(price_usd, fx))
        assert via_usd == pytest.approx(via_inr, rel=1e-14)

    @settings(deadline=None, max_examples=200)
    @given(units=_positive, kwh_per_unit=st.floats(min_value=0.1, max_value=500.0))
    def test_units_to_gwh_is_kwh_over_a_million(self, units: float, kwh_per_unit: float) -> None:
        assert units_kwh_to_gwh(units, kwh_per_unit) * 1e6 == pytest.approx(units * kwh_per_unit, rel=1e-14)

"""A percent where a fraction belongs, and absurd sizes, are refused wherever they enter (reviewer defect 3): a
growth path's growth (any yearly input), a markup, a price premium, a capex escalation, a Monte Carlo drift, an
amount in INR crore or an exit multiple; each message names the value, what is allowed and, for a likely
percent, the fraction meant. Values inside the bounds still load."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.analysis.montecarlo.resolve import resolve_spec
from tem.analysis.montecarlo.spec import MonteCarloSpec
from tem.assumptions.fields import MAX_INR_CR, MAX_MULTIPLE
from tem.assumptions.loader import load
from tem.assumptions.yearly import MAX_GROWTH
from tem.errors import AssumptionError

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"


def message(overrides: dict[str, object]) -> str:
    with pytest.raises(AssumptionError) as info:
        load(BASE, overrides)
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert problem.path == next(iter(overrides))
    return problem.message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"timeline.inr_per_usd": {"start": 90, "growth": 15}},
            "growth 15 is above 1 (100% a year); a growth rate is a fraction a year; use 0.15 for 15%",
        ),
        ({"cells.imported.logistics_inr_per_kwh": {"start": 80, "growth": 4.5}}, "use 0.045 for 4.5%"),
        ({"timeline.inr_per_usd": {"start": 90, "growth": 1e300}}, "growth 1e+300 is above 1 (100% a year)"),
        ({"timeline.inr_per_usd": {"start": 90, "growth": float("nan")}}, "growth is nan, not a finite number"),
        ({"timeline.inr_per_usd": {"start": float("inf"), "growth": 0.01}}, "start is inf, not a finite number"),
        (
            {"demand.captive.markup": 15},
            "15 is outside [0, 1] (a fraction): this is a fraction, not a percent; use 0.15 for 15%",
        ),
        ({"demand.external_oem.price_premium": 3}, "3 is outside (-1, 1] (a fraction: 0.05 = 5%)"),
        ({"demand.external_oem.price_premium": -1}, "-1 is outside (-1, 1]"),
        ({"capex.escalation_rate": 2}, "use 0.02 for 2%"),
        ({"capex.escalation_rate": {"FY27": 0.05, "FY30": 4}}, "4 is outside (-1, 1]"),
        ({"capex.phases.pack_line_1.capex_inr_cr": 1e20}, "less than or equal to 1000000"),
        ({"capex.phases.pack_line_1.fixed_opex_inr_cr": 2e6}, "less than or equal to 1000000"),
        ({"valuation.terminal_ebitda_multiple": 1e9}, "less than or equal to 1000"),
    ],
)
def test_refused_with_what_is_allowed(overrides: dict[str, object], expected: str) -> None:
    assert expected in message(overrides)


@settings(max_examples=25, deadline=None)
@given(
    growth=st.floats(-0.99, MAX_GROWTH),
    markup=st.floats(0.0, 1.0),
    premium=st.floats(-0.99, 1.0),
    capex=st.floats(0.0, MAX_INR_CR),
    multiple=st.floats(0.0, MAX_MULTIPLE),
)
def test_values_inside_the_bounds_load(growth: float, markup: float, premium: float, capex: float, multiple: float) -> None:
    a = load(
        BASE,
        {
            "cells.imported.logistics_inr_per_kwh": {"start": 80.0, "growth": growth},
            "demand.captive.markup": markup,
            "demand.external_oem.price_premium": premium,
            "capex.phases.pack_line_1.capex_inr_cr": capex,
            "valuation.terminal_ebitda_multiple": multiple,
        },
    )
    assert a.capex.phases[0].capex_inr_cr == capex


def test_a_monte_carlo_drift_above_100_percent_a_year_is_refused() -> None:
    a = tem.load(BASE)
    spec = MonteCarloSpec.model_validate(
        {
            "n": 100,
            "inputs": [{"path": "timeline.inr_per_usd", "mode": "drift", "distribution": "uniform", "low": 0, "high": 15}],
        }
    )
    with pytest.raises(
        AssumptionError, match=r"drifts up to 15 a year can be drawn; .* at most 1 \(100%\); use 0\.15 for 15%"
    ):
        resolve_spec(spec, a)
    ok = MonteCarloSpec.model_validate(
        {
            "n": 100,
            "inputs": [{"path": "timeline.inr_per_usd", "mode": "drift", "distribution": "uniform", "low": 0, "high": 0.02}],
        }
    )
    assert resolve_spec(ok, a).inputs[0].mode == "drift"

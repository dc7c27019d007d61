"""Capex in real terms (issue 12): phase amounts in base-FY prices, escalated to the year spent; maintenance on the
nominal cost; replacement at the end of the book life as an option. Hand-worked on the toy case, plus invariants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.model.capex import capex_price_index
from tem.model.inputs import build_inputs

TOY = Path(__file__).parents[1] / "data" / "toy.yaml"
BASE = Path(__file__).parents[2] / "assumptions" / "base.yaml"
FYS = ["FY26", "FY27", "FY28", "FY29"]


def run(**overrides: Any) -> tem.Result:
    return tem.run(tem.load(TOY, overrides=overrides))


def line(r: tem.Result, key: str) -> np.ndarray:
    return r.statement.loc[key, FYS].to_numpy(float)


def test_price_index_hand_case() -> None:
    # 10% a year, prices of FY27: FY26 is 1/1.1 of them, FY28 1.1x, FY29 1.21x
    inp = build_inputs(tem.load(TOY, overrides={"capex.escalation_rate": 0.1, "capex.price_base_fy": 2027}))
    np.testing.assert_allclose(capex_price_index(inp)[0], [1 / 1.1, 1.0, 1.1, 1.21], rtol=1e-15)


def test_spend_maintenance_and_depreciation_at_the_prices_of_the_year() -> None:
    """The toy line (Rs 100 crore, spent and commissioned in FY26) stated in FY28 prices at 10% a year costs
    100 / 1.21 = 82.64 in FY26; everything that follows the cost (book and tax depreciation) follows it."""
    r = run(**{"capex.escalation_rate": 0.1, "capex.price_base_fy": 2028})
    cost = 100 / 1.21
    assert line(r, "capex_pack_line") == pytest.approx([-cost, 0, 0, 0])
    assert line(r, "book_depreciation") == pytest.approx([-cost / 4] * 4)  # 4-year life, no residual
    assert line(r, "tax_depreciation")[0] == pytest.approx(-0.25 * cost)
    assert r.kpis["total_capex_inr_cr"] == pytest.approx(cost)
    # maintenance: rate x nominal cost x (1 + inflation)^age (the toy has no inflation)
    m = run(
        **{"capex.escalation_rate": 0.1, "capex.price_base_fy": 2028, "capex.phases.pack_line.maintenance_capex_rate": 0.05}
    )
    assert line(m, "maintenance_capex") == pytest.approx([0, -0.05 * cost, -0.05 * cost, -0.05 * cost])


def test_replacement_at_the_end_of_the_book_life() -> None:
    """A 2-year book life with replacement: bought again in FY28 at FY28 prices (100 x 1.1^2 = 121 with 10% a year
    from FY26), depreciated again; the rule off (the default), maintenance capex carries the line on."""
    args = {"capex.escalation_rate": 0.1, "capex.phases.pack_line.book_life_years": 2}
    r = run(**args, **{"capex.replacement": "replace_at_end_of_life"})
    assert line(r, "replacement_capex") == pytest.approx([0, 0, -121.0, 0])
    assert line(r, "book_depreciation") == pytest.approx([-50, -50, -60.5, -60.5])
    assert r.kpis["replacement_capex_inr_cr"] == pytest.approx(121.0)
    off = run(**args)
    assert line(off, "replacement_capex") == pytest.approx([0, 0, 0, 0])
    fcf_gap = line(off, "free_cash_flow") - line(r, "free_cash_flow")
    tax_gap = line(r, "tax") - line(off, "tax")  # less tax with more depreciation (statement: tax negative)
    np.testing.assert_allclose(fcf_gap, np.array([0, 0, 121.0, 0]) - tax_gap, rtol=1e-12, atol=1e-9)


@settings(deadline=None, max_examples=20)
@given(st.floats(-0.05, 0.1), st.integers(2026, 2045))
def test_escalation_scales_each_phase_by_the_index(rate: float, base_fy: int) -> None:
    plain = build_inputs(tem.load(BASE, overrides={"capex.escalation_rate": 0.0}))
    esc = tem.load(BASE, overrides={"capex.escalation_rate": rate, "capex.price_base_fy": base_fy})
    from tem.model.engine import evaluate

    o0, o1 = evaluate(plain), evaluate(build_inputs(esc))
    index = (1 + rate) ** (np.arange(20) - (base_fy - 2026))
    for name, spend in o0.capex.spend_by_phase.items():
        np.testing.assert_allclose(o1.capex.spend_by_phase[name][0], spend[0] * index, rtol=1e-12, atol=1e-12)


def test_batch_mixing_escalation_equals_single_runs() -> None:
    """A batch where some scenarios escalate capex and some do not: each scenario's KPIs are its single run's."""
    a = tem.load(BASE)
    rates = np.array([0.0, 0.03, -0.01])
    batch = tem.run_batch(a, {"capex.escalation_rate": np.broadcast_to(rates[:, None], (3, 20)).copy()})
    for i, rate in enumerate(rates):
        one = tem.run(tem.load(BASE, overrides={"capex.escalation_rate": float(rate)}))
        assert batch["npv_inr_cr"].iloc[i] == one.kpis["npv_inr_cr"]
        assert batch["total_capex_inr_cr"].iloc[i] == one.kpis["total_capex_inr_cr"]

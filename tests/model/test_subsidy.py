"""State capital subsidy (issue 12): instalments after commissioning, eligibility by phase, a cap on the total, and
its tax treatment (lowers the asset's tax block, the excess taxed; or taxed when received). Hand-worked values,
hypothesis invariants, and the engine's cash flow and tax wired to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.model.capex import written_down_value, written_down_value_reduced
from tem.model.engine import evaluate
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"
S = "incentives.state_capital_subsidy."


def _run(**overrides: Any) -> tem.Result:
    return tem.run(tem.load(BASE, overrides=overrides))


class TestWrittenDownValueReduced:
    def test_hand_case(self) -> None:
        # 100 at 20%: 20; then 10 of subsidy comes off the block of 80 -> 70, 20% = 14; then 20% of 56 = 11.2
        dep, excess = written_down_value_reduced(
            np.array([[100.0, 0.0, 0.0]]), np.array([0.2]), None, np.array([[0.0, 10.0, 0.0]])
        )
        np.testing.assert_allclose(dep, [[20.0, 14.0, 11.2]], rtol=1e-15)
        np.testing.assert_allclose(excess, 0.0)

    def test_excess_over_the_block_is_returned(self) -> None:
        # the block of 80 absorbs 80 of a 200 subsidy; 120 is left over (taxable); nothing left to depreciate
        dep, excess = written_down_value_reduced(np.array([[100.0, 0.0]]), np.array([0.2]), None, np.array([[0.0, 200.0]]))
        np.testing.assert_allclose(dep, [[20.0, 0.0]])
        np.testing.assert_allclose(excess, [[0.0, 120.0]])

    @settings(deadline=None, max_examples=60)
    @given(
        st.lists(st.floats(0, 1e4), min_size=1, max_size=12),
        st.floats(0.05, 0.6),
        st.data(),
    )
    def test_block_absorbs_or_returns_every_rupee(self, additions: list[float], rate: float, data: st.DataObject) -> None:
        n = len(additions)
        cuts = np.array([data.draw(st.lists(st.floats(0, 5e3), min_size=n, max_size=n))])
        add = np.array([additions])
        dep, excess = written_down_value_reduced(add, np.array([rate]), None, cuts)
        plain = written_down_value(add, np.array([rate]))
        assert (dep >= -1e-9).all()
        assert (excess >= -1e-12).all()
        assert (excess <= cuts + 1e-12).all()
        assert (np.cumsum(dep) <= np.cumsum(plain) + 1e-6).all()  # a subsidy never adds depreciation
        if not cuts.any():
            np.testing.assert_allclose(dep, plain, rtol=1e-12, atol=1e-9)


def test_instalments_hand_case() -> None:
    """pack_line_1: Rs 450 crore in FY26 prices, spent 20% in FY26, 50% in FY27 and 30% in FY28 at capex prices +2% a
    year: 450 x (0.2 + 0.5 x 1.02 + 0.3 x 1.02^2) = 459.954 nominal; 20% of it in 15 instalments from the year after
    commissioning (FY28): Rs 6.133 crore a year FY29-FY43. The recycling line is not an eligible kind: nothing."""
    o = evaluate(build_inputs(tem.load(BASE)))
    paid = o.capex.subsidy_by_phase["pack_line_1"][0]
    fys = 2026 + np.arange(20)
    want = np.where((fys >= 2029) & (fys <= 2043), 0.2 * 459.954 / 15, 0.0)
    np.testing.assert_allclose(paid, want, rtol=1e-14)
    assert "recycling_line" not in o.capex.subsidy_by_phase
    # cell_plant_2 (Rs 1,650 crore, spent 30/40/30% FY32-FY34, FY34): instalments FY35-FY49, so only FY35-FY45 (11)
    # fall in the horizon
    nominal = 1650.0 * (0.3 * 1.02**6 + 0.4 * 1.02**7 + 0.3 * 1.02**8)
    assert o.capex.subsidy_by_phase["cell_plant_2"][0].sum() == pytest.approx(0.2 * nominal / 15 * 11, rel=1e-12)


def test_cap_stops_payments_and_eligibility_override() -> None:
    r = _run(**{S + "cap_inr_cr": 100.0, "capex.phases.recycling_line.subsidy_eligible_share": 0.5})
    paid = r.statement.loc["state_capital_subsidy", r.fiscal_years].to_numpy(float)
    assert paid.sum() == pytest.approx(100.0, rel=1e-12)
    assert r.kpis["state_subsidy_inr_cr"] == pytest.approx(100.0, rel=1e-12)
    # uncapped, the recycling line (Rs 150 crore in FY26 prices, spent 50/50 in FY32-FY33) now earns 0.5 x 20% of its
    # nominal cost over 15 years
    o = evaluate(build_inputs(tem.load(BASE, overrides={"capex.phases.recycling_line.subsidy_eligible_share": 0.5})))
    nominal = 150.0 * (0.5 * 1.02**6 + 0.5 * 1.02**7)
    assert o.capex.subsidy_by_phase["recycling_line"][0].max() == pytest.approx(0.5 * 0.2 * nominal / 15, rel=1e-12)


@settings(deadline=None, max_examples=25)
@given(
    share=st.floats(0.0, 0.5),
    n=st.integers(1, 20),
    lag=st.integers(0, 5),
    cap=st.one_of(st.none(), st.floats(0.0, 2000.0)),
)
def test_never_more_than_the_entitlement_or_the_cap(share: float, n: int, lag: int, cap: float | None) -> None:
    o = evaluate(
        build_inputs(
            tem.load(
                BASE,
                overrides={
                    S + "share_of_eligible_capex": share,
                    S + "instalments": n,
                    S + "first_instalment_after_years": lag,
                    S + "cap_inr_cr": cap,
                },
            )
        )
    )
    total = o.capex.subsidy[0].sum()
    eligible = sum(o.capex.spend_by_phase[k][0].sum() for k in o.capex.subsidy_by_phase)
    assert total <= share * eligible * (1 + 1e-12) + 1e-9
    if cap is not None:
        assert total <= cap * (1 + 1e-12) + 1e-9
    assert (o.capex.subsidy >= 0).all()


def test_cash_flow_and_tax_treatments() -> None:
    """The subsidy is a cash inflow of its own statement line; with ``taxable`` it is taxable income in the year
    received (within the parent, so tax moves by exactly rate x subsidy); with ``reduces_block`` it lowers the
    tax depreciation instead and is not taxed while the block absorbs it."""
    on, off = _run(), _run(**{S + "enabled": False})
    fys = on.fiscal_years
    sub = on.statement.loc["state_capital_subsidy", fys].to_numpy(float)
    assert sub.sum() > 0
    assert on.statement.loc["state_subsidy_taxable", fys].abs().sum() == 0.0
    fcf_gap = (on.statement.loc["free_cash_flow", fys] - off.statement.loc["free_cash_flow", fys]).to_numpy(float)
    tax_gap = (on.statement.loc["tax", fys] - off.statement.loc["tax", fys]).to_numpy(float)
    np.testing.assert_allclose(fcf_gap, sub + tax_gap, rtol=1e-9, atol=1e-9)
    assert (on.statement.loc["tax_depreciation", fys] >= off.statement.loc["tax_depreciation", fys] - 1e-9).all()
    parent = {"tax.structure": "within_parent", S + "tax_treatment": "taxable"}
    taxed, untaxed = _run(**parent), _run(**parent, **{S + "enabled": False})
    gap = (taxed.statement.loc["tax", fys] - untaxed.statement.loc["tax", fys]).to_numpy(float)
    np.testing.assert_allclose(-gap, 0.25168 * sub, rtol=1e-9, atol=1e-9)

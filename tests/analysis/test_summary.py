"""The board summary (issue 14 item 1): each figure against a value worked out independently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tem
from tem.analysis.summary import FOB, board_summary

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"


@pytest.fixture(scope="module")
def base() -> tuple[tem.Assumptions, tem.Result, object]:
    a = tem.load(BASE)
    r = tem.run(a)
    return a, r, board_summary(a, r)


def test_decisions_and_increment(base: tuple) -> None:
    _, r, s = base
    k = r.kpis
    program, pack, local = s.decisions
    assert program.npv_inr_cr == k["npv_inr_cr"]
    assert pack.npv_inr_cr == k["npv_import_only_inr_cr"]
    assert local.npv_inr_cr == pytest.approx(program.npv_inr_cr - pack.npv_inr_cr, rel=1e-12)
    # the increment's IRR zeroes the NPV of (scenario FCF - import-only FCF), year-end flows (statement rows)
    st, cf = r.statement, r.counterfactual
    fys = r.fiscal_years
    diff = st.loc["free_cash_flow", fys].to_numpy(dtype=float) - np.asarray(cf.cash.free_cash_flow, dtype=float)[0]
    t = np.arange(len(fys))
    assert abs(np.sum(diff * (1 + local.irr) ** -(t + 1.0))) < 1e-6 * np.abs(diff).sum()
    assert local.dva_share == pytest.approx(program.dva_share - pack.dva_share, rel=1e-12)


def test_funding_split_adds_up_and_price_against_cost(base: tuple) -> None:
    _, r, s = base
    assert s.peak_funding_inr_cr == r.kpis["peak_funding_inr_cr"]
    assert [n for n, _ in s.funding_split_inr_cr] == ["capex", "working capital", "operating losses after tax"]
    assert sum(x for _, x in s.funding_split_inr_cr) == pytest.approx(s.peak_funding_inr_cr, rel=1e-12)
    capex_to_peak = -r.statement.loc["capex_total", [f for f in r.fiscal_years if int(f[2:]) <= s.peak_funding_fy % 100]]
    assert dict(s.funding_split_inr_cr)["capex"] == pytest.approx(float(capex_to_peak.sum()), rel=1e-12)
    st = r.statement
    df = st.loc["discount_factor", r.fiscal_years].to_numpy(dtype=float)
    revenue = st.loc["revenue_total", r.fiscal_years].to_numpy(dtype=float)
    kwh = (st.loc["pack_output_gwh", r.fiscal_years] + st.loc["bought_in_packs_gwh", r.fiscal_years]).to_numpy(dtype=float)
    assert s.levelized_price_inr_per_kwh == pytest.approx(np.sum(revenue * df) / np.sum(kwh * df) * 10.0, rel=1e-12)


def test_breakevens_are_where_the_kpi_hits_its_target(base: tuple) -> None:
    a, _r, s = base
    local, program, hurdle = s.breakevens[:3]
    assert local.base_value == 52.0  # README: FOB USD 52/kWh in FY26
    for b, kpi, target in (
        (local, "incremental_npv_vs_import_inr_cr", 0.0),
        (program, "npv_inr_cr", 0.0),
        (hurdle, "irr", s.hurdle_rate),
    ):
        assert b.value is not None
        at = tem.run_batch(a, {FOB: [b.value]})[kpi][0]
        assert at == pytest.approx(target, abs=1e-3 if kpi != "irr" else 1e-6), b.question
    # dearer imports make local cells pay: the localization breakeven is above today's price
    assert local.value > local.base_value


def test_verdict_built_from_the_numbers(base: tuple) -> None:
    _, r, s = base
    assert "destroys value (NPV -5,571 INR crore)" in s.verdict
    assert "below the 14.5% hurdle" in s.verdict
    assert f"costs {abs(r.kpis['incremental_npv_vs_import_inr_cr']):,.0f} INR crore" in s.verdict

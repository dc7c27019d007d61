"""The four places where the engine contradicted its documentation (issue 12, A1-A4), each decided once and
checked with the issue's reproducer against values worked out here from the statement rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.model.engine import evaluate
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"


def _run(**overrides: object) -> tem.Result:
    return tem.run(tem.load(BASE, overrides=dict(overrides)))


@pytest.fixture(scope="module")
def base() -> tem.Result:
    return _run()


def test_a1_full_cost_counts_the_recycling_line_with_its_credit(base: tem.Result) -> None:
    """A local cell's full cost = variable cost + (fixed opex and book depreciation of cell plants and recycling
    line + recycling credit) / local cells; the crossover is the first FY where that is <= the landed cost of the
    imported cells the local cells replace (issue 11: segments' cells differ in FOB and duty)."""
    o = base.outcome
    local = o.volumes.local_cells_gwh[0]
    made = local > 0
    cap, credit = o.capex, o.operations.cogs_parts["recycling_credit"][0]
    overheads = (cap.cell_fixed_opex[0] + cap.cell_book_depreciation[0] + credit)[made] / local[made] * 10.0
    uc = base.unit_costs
    fys = [fy for fy, m in zip(base.fiscal_years, made, strict=True) if m]
    variable = uc.loc["local_cell_variable_inr_per_kwh", fys].to_numpy(float)
    full = uc.loc["local_cell_full_inr_per_kwh", fys].to_numpy(float)
    np.testing.assert_allclose(full, variable + overheads, rtol=1e-12)
    assert credit.sum() < 0  # the base has a recycling credit: the definition matters
    parts = ["local_cell_variable", "local_cell_fixed_and_depreciation", "local_cell_recycling_credit"]
    summed = sum(uc.loc[f"{p}_inr_per_kwh", fys].to_numpy(float) for p in parts)
    np.testing.assert_allclose(summed, full, rtol=1e-12)
    imported = uc.loc["imported_cell_replaced_landed_inr_per_kwh", fys].to_numpy(float)
    cheaper = [int("20" + fy[2:]) for fy, f, i in zip(fys, full, imported, strict=True) if f <= i]
    assert base.kpis["crossover_fy"] == (cheaper[0] if cheaper else None)


def test_a2_payback_and_peak_funding_are_on_fcf_before_terminal_value() -> None:
    """The issue's reproducer: a huge EBITDA multiple makes cumulative FCF with the TV positive in the last year,
    but payback and peak funding count only cash the program actually returns within the horizon."""
    r = _run(**{"valuation.terminal_value_method": "ebitda_multiple", "valuation.terminal_ebitda_multiple": 250})
    st_ = r.statement
    pre = st_.loc["cumulative_free_cash_flow_before_terminal_value", r.fiscal_years].to_numpy(float)
    with_tv = st_.loc["cumulative_free_cash_flow", r.fiscal_years].to_numpy(float)
    assert with_tv[-1] > 0 > pre[-1]
    assert r.kpis["payback_years"] is None
    assert r.kpis["peak_funding_inr_cr"] == pytest.approx(-min(0.0, pre.min()), rel=1e-12)
    assert r.kpis["peak_funding_fy"] == int("20" + r.fiscal_years[int(np.argmin(pre))][2:])
    fcf_pre = st_.loc["free_cash_flow_before_terminal_value", r.fiscal_years].to_numpy(float)
    np.testing.assert_allclose(np.cumsum(fcf_pre), pre, rtol=1e-12)


@settings(deadline=None, max_examples=25)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=12))
def test_a2_payback_hand_rule(flows: list[float]) -> None:
    """Payback as documented: the first flow falls at the end of year 1; 0 when the cumulative flow is never
    negative; inside the year it turns non-negative for good, linear."""
    from tem.finance import payback_years

    cum = np.cumsum(flows)
    got = payback_years(np.array([flows]))[0]
    negative = [t for t, c in enumerate(cum) if c < 0]
    if not negative:
        assert got == 0.0
    elif negative[-1] == len(flows) - 1:
        assert math.isnan(got)
    else:
        k = negative[-1]
        assert got == pytest.approx(k + 1 + (-cum[k]) / flows[k + 1], rel=1e-12)


@pytest.mark.parametrize(("method", "shift"), [("ebitda_multiple", 1.0), ("perpetuity", 0.5)])
def test_a3_terminal_value_has_its_own_discount_factor(method: str, shift: float) -> None:
    """Mid-year discounting: a sale at an EBITDA multiple falls at the end of the last year, (1 + r)^-T; a
    perpetuity's flows fall mid-year like the last year's, (1 + r)^-(T - 0.5). The statement shows the factor
    and every year's PV = FCF before TV x DF + TV x DF_TV."""
    r = _run(
        **{
            "valuation.terminal_value_method": method,
            "valuation.terminal_ebitda_multiple": 8,
            "valuation.terminal_growth_rate": 0.02,
            "timeline.mid_year_discounting": True,
        }
    )
    s, fys = r.statement, r.fiscal_years
    rate, n = 0.125, len(fys)
    df_tv = s.loc["terminal_value_discount_factor", fys].to_numpy(float)
    assert df_tv[-1] == pytest.approx((1 + rate) ** -(n - 1 + shift), rel=1e-14)
    df = s.loc["discount_factor", fys].to_numpy(float)
    np.testing.assert_allclose(df, (1 + rate) ** -(np.arange(n) + 0.5), rtol=1e-14)
    pre = s.loc["free_cash_flow_before_terminal_value", fys].to_numpy(float)
    tv = s.loc["terminal_value", fys].to_numpy(float)
    pv = s.loc["present_value", fys].to_numpy(float)
    np.testing.assert_allclose(pv, pre * df + tv * df_tv, rtol=1e-12)
    assert r.kpis["npv_inr_cr"] == pytest.approx(pv.sum(), rel=1e-12)


def test_a4_losses_carried_forward_show_only_usable_losses() -> None:
    """With losses usable for one year, the pool at the end of FY27 holds FY27's loss only: FY26's loss could be
    used in FY27 at the latest and expires at the end of FY27."""
    r = _run(**{"tax.loss_carry_forward_years": 1})
    s = r.statement
    taxable = s.loc["taxable_income_before_losses", ["FY26", "FY27"]].to_numpy(float)
    assert (taxable < 0).all()
    assert s.loc["loss_pool_end", "FY27"] == pytest.approx(-taxable[1], rel=1e-12)
    o = evaluate(build_inputs(tem.load(BASE, overrides={"tax.loss_carry_forward_years": 1})))
    assert o.tax.losses_expired[0, 1] == pytest.approx(-taxable[0], rel=1e-12)


def test_terminal_value_method_and_floor_mix_in_a_batch() -> None:
    """The method and floor are numbers to the engine: one batch mixes none / multiple / perpetuity and the three
    floors, each scenario equal to its single run to the bit (so a bridge can switch them)."""
    combos = [("none", "salvage"), ("ebitda_multiple", "none"), ("perpetuity", "zero"), ("ebitda_multiple", "salvage")]
    flags = {
        "valuation.terminal_value_is_perpetuity": np.array([float(m == "perpetuity") for m, _ in combos]),
        "valuation.terminal_value_is_multiple": np.array([float(m == "ebitda_multiple") for m, _ in combos]),
        "valuation.terminal_value_floor_zero": np.array([float(f == "zero") for _, f in combos]),
        "valuation.terminal_value_floor_salvage": np.array([float(f == "salvage") for _, f in combos]),
        "timeline.mid_year_discounting": np.array([1.0, 0.0, 1.0, 0.0]),
    }
    batch = tem.run_batch(tem.load(BASE), flags)
    for i, (method, floor) in enumerate(combos):
        one = _run(
            **{
                "valuation.terminal_value_method": method,
                "valuation.terminal_value_floor": floor,
                "timeline.mid_year_discounting": bool(flags["timeline.mid_year_discounting"][i]),
            }
        )
        for key in ("npv_inr_cr", "npv_without_terminal_value_inr_cr", "terminal_value_pv_inr_cr", "payback_years"):
            got, want = batch[key].iloc[i], one.kpis[key]
            assert (math.isnan(got) and want is None) or got == want, (method, floor, key)


def test_the_imported_cell_local_cells_replace_exists_only_with_local_cells() -> None:
    """Nothing is replaced in a year without local cells: the line is blank there (it showed the imported mix),
    and where there are local cells it is their segments' landed imported cells weighted by local cells."""
    r = tem.run(tem.load(BASE))
    fys = r.fiscal_years
    local = r.statement.loc["local_cells_gwh", fys].to_numpy(float)
    replaced = r.unit_costs.loc["imported_cell_replaced_landed_inr_per_kwh", fys].to_numpy(float)
    assert np.any(local == 0)
    assert np.all(np.isnan(replaced[local == 0]))
    v, uc = r.outcome.volumes, r.outcome.unit_costs
    weighted = sum(
        np.asarray(v.local_cells_by_segment[s] * uc.imported_cell_by_segment[s])[0] for s in v.local_cells_by_segment
    )
    has = local > 0
    np.testing.assert_allclose(replaced[has], weighted[has] / local[has], rtol=1e-12)

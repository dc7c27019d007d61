"""Options of the model checked by hand on the toy case: mid-year discounting, terminal values, the learning
curve, the ACC PLI incentive, units-based demand, unmet demand, the import-only scenario file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tem

ROOT = Path(__file__).parents[2]
TOY = Path(__file__).parents[1] / "data" / "toy.yaml"
FYS = ["FY26", "FY27", "FY28", "FY29"]
# toy FCF by hand (see test_engine_toy.py): EBITDA 406.832; tax 25% x (406.832 - WDV depreciation)
TAX = [0.25 * (406.832 - d) for d in (25.0, 18.75, 14.0625, 10.546875)]
FCF_BEFORE_RELEASE = [406.832 - TAX[0] - 100 - 100, 406.832 - TAX[1], 406.832 - TAX[2], 406.832 - TAX[3]]


def run(**overrides: object) -> tem.Result:
    return tem.run(tem.load(TOY, overrides=overrides))


def line(result: tem.Result, key: str) -> list[float]:
    return [float(x) for x in result.statement.loc[key, FYS]]


def test_mid_year_discounting() -> None:
    r = run(**{"timeline.mid_year_discounting": True})
    fcf = [*FCF_BEFORE_RELEASE[:3], FCF_BEFORE_RELEASE[3] + 100]
    # DF_t = 1.1 ** -(t + 0.5)
    assert line(r, "discount_factor") == pytest.approx([1.1 ** -(t + 0.5) for t in range(4)])
    assert r.kpis["npv_inr_cr"] == pytest.approx(sum(f * 1.1 ** -(t + 0.5) for t, f in enumerate(fcf)))


def test_perpetuity_terminal_value() -> None:
    r = run(**{"valuation.terminal_value_method": "perpetuity", "valuation.terminal_growth_rate": 0.02})
    # no WC release when a terminal value is used (the business keeps its working capital); TV = normalised
    # FCF_FY29 x 1.02 / (0.10 - 0.02) at the end of FY29, where the normalised FCF (issue 12) is FY29's FCF with
    # the working capital a business growing at 2% adds each year, 0.02 / 1.02 x WC (WC = 36.5/365 x 1,000 = 100),
    # in place of the FY29 change in WC (0 here): TV = (FCF - 1.9608) x 12.75, 25.0 less than on FY29's FCF
    tv = (FCF_BEFORE_RELEASE[3] - 0.02 / 1.02 * 100.0) * 1.02 / 0.08
    assert line(r, "working_capital_release") == [0.0] * 4
    assert line(r, "terminal_value") == pytest.approx([0, 0, 0, tv])
    npv = sum(f * 1.1 ** -(t + 1) for t, f in enumerate(FCF_BEFORE_RELEASE)) + tv * 1.1**-4
    assert r.kpis["npv_inr_cr"] == pytest.approx(npv)


def test_ebitda_multiple_terminal_value_discounted_at_year_end_even_mid_year() -> None:
    r = run(
        **{
            "valuation.terminal_value_method": "ebitda_multiple",
            "valuation.terminal_ebitda_multiple": 5.0,
            "timeline.mid_year_discounting": True,
        }
    )
    tv = 406.832 * 5
    npv = sum(f * 1.1 ** -(t + 0.5) for t, f in enumerate(FCF_BEFORE_RELEASE)) + tv * 1.1**-4
    assert r.kpis["npv_inr_cr"] == pytest.approx(npv)
    assert np.cumsum(line(r, "present_value"))[-1] == pytest.approx(npv)


def test_terminal_value_floors_and_npv_without_it() -> None:
    """Issue 12: a multiple of 0 gives a TV of 0, floored at salvage = net book value (the toy line is fully
    depreciated by FY29: 0) + working capital (100) = 100; at zero: 0; unfloored: 0. NPV without terminal value
    is the NPV with the WC released (method none), whatever the method."""
    none = run()
    for floor, tv in (("salvage", 100.0), ("zero", 0.0), ("none", 0.0)):
        r = run(
            **{
                "valuation.terminal_value_method": "ebitda_multiple",
                "valuation.terminal_ebitda_multiple": 0.0,
                "valuation.terminal_value_floor": floor,
            }
        )
        assert line(r, "terminal_value") == pytest.approx([0, 0, 0, tv])
        assert line(r, "salvage_value")[3] == pytest.approx(100.0)
        assert r.kpis["terminal_value_pv_inr_cr"] == pytest.approx(tv * 1.1**-4)
        assert r.kpis["npv_without_terminal_value_inr_cr"] == pytest.approx(none.kpis["npv_inr_cr"], rel=1e-12)
        npv = sum(f * 1.1 ** -(t + 1) for t, f in enumerate(FCF_BEFORE_RELEASE)) + tv * 1.1**-4
        assert r.kpis["npv_inr_cr"] == pytest.approx(npv)
    assert none.kpis["npv_without_terminal_value_inr_cr"] == none.kpis["npv_inr_cr"]
    assert none.kpis["terminal_value_pv_inr_cr"] == 0.0


def test_negative_perpetuity_floored_at_zero() -> None:
    """A perpetuity on a negative normalised FCF is negative; floored at zero it is 0 (review (e) 12: a loss-making
    business is not a liability the owner must keep)."""
    args = {"valuation.terminal_value_method": "perpetuity", "opex.rnd_inr_cr": 900.0}
    raw = run(**args, **{"valuation.terminal_value_floor": "none"})
    assert line(raw, "terminal_value")[3] < 0
    zero = run(**args, **{"valuation.terminal_value_floor": "zero"})
    assert line(zero, "terminal_value") == [0.0] * 4


def test_learning_curve_fob_price() -> None:
    r = run(
        **{
            "cells.imported.fob_price_usd_per_kwh": None,
            "cells.imported.fob_learning_curve": {
                "start_usd_per_kwh": 50.0,
                "learning_rate": 0.2,
                "cumulative_growth_rate": 1.0,
                "floor_usd_per_kwh": 30.0,
            },
        }
    )
    # cumulative volume doubles every year: 50, 50 x 0.8 = 40, 32, 25.6 -> floor 30; x 80 INR per USD
    got = r.unit_costs.loc["imported_cell_fob_inr_per_kwh", FYS].to_numpy(dtype=float)
    np.testing.assert_allclose(got, np.array([50, 40, 32, 30]) * 80.0)


def test_units_times_kwh_demand_and_unmet_policy() -> None:
    r = run(
        **{
            "demand.captive.volume_gwh": None,
            "demand.captive.units": 10_000,  # 10,000 vehicles x 300 kWh = 3 GWh
            "demand.captive.kwh_per_unit": 300.0,
            "transition.overflow_policy": "unmet",
        }
    )
    assert line(r, "demand_total_gwh") == pytest.approx([3.0] * 4)
    # pack line 2 GWh: 1 GWh a year left unmet, nothing bought in; revenue on the 2 GWh met
    assert line(r, "unmet_demand_gwh") == pytest.approx([1.0] * 4)
    assert line(r, "bought_in_packs_gwh") == [0.0] * 4
    assert line(r, "revenue_total") == pytest.approx([2.0 * 10_000 * 0.1] * 4)


def test_bought_in_packs_landed_cost() -> None:
    r = run(**{"demand.captive.volume_gwh": 3.0})
    # 1 GWh bought in: FOB 70 x 80 x 1.02 x (1 + 0.15 x 1.1) + logistics 100 = 6,752.64 INR/kWh
    landed = 70 * 80 * 1.02 * (1 + 0.15 * 1.1) + 100
    assert r.unit_costs.loc["bought_in_pack_landed_inr_per_kwh", "FY26"] == pytest.approx(landed)
    assert line(r, "cogs_bought_in_packs") == pytest.approx([-landed * 0.1] * 4)


def test_pli_incentive_by_hand() -> None:
    toy_local = TOY.with_name("toy_local.yaml")
    pli = {
        "enabled": True,
        "rate_inr_per_kwh": 1000.0,
        "start_fy": 2027,
        "term_years": 2,
        "first_dva_threshold_share": 0.0,
        "second_dva_threshold_share": 0.0,
        "revenue_cap_share": 1.0,
    }
    r = tem.run(tem.load(toy_local, overrides={"cells.local.pli": pli}))
    uc = r.unit_costs
    # cell DVA = 1 - (imported materials + royalty) / market value (imported landed cell), per kWh
    dva27 = 1 - (1358.64 / 0.8 + 80) / 4628.8
    dva28 = 1 - (1358.64 + 80) / 4628.8
    assert line(r, "cell_dva_share")[1:3] == pytest.approx([dva27, dva28])
    assert uc.loc["local_cell_royalty_inr_per_kwh", "FY27"] == pytest.approx(80.0)
    # incentive = GWh x 1,000 INR/kWh x 0.1 x DVA, in FY27 (0.4 GWh) and FY28 (1 GWh) only (term 2 years)
    assert line(r, "pli_incentive") == pytest.approx([0.0, 0.4 * 100 * dva27, 1.0 * 100 * dva28, 0.0])
    # a cumulative cap binds: 50 INR crore in all
    capped = tem.run(tem.load(toy_local, overrides={"cells.local.pli": {**pli, "total_cap_inr_cr": 50.0}}))
    assert sum(line(capped, "pli_incentive")) == pytest.approx(50.0)
    # a DVA threshold above what is reached removes the incentive
    strict_pli = {**pli, "first_dva_threshold_share": 0.9, "first_dva_threshold_after_years": 0}
    strict = tem.run(tem.load(toy_local, overrides={"cells.local.pli": strict_pli}))
    assert sum(line(strict, "pli_incentive")) == 0.0


def test_import_only_scenario_has_no_local_cells() -> None:
    r = tem.run(tem.load(ROOT / "assumptions" / "scenarios" / "import_only.yaml"))
    assert r.statement.loc["local_cells_gwh"].iloc[2:].astype(float).sum() == 0.0
    assert r.kpis["crossover_fy"] is None
    # the KPIs' counterfactual (one definition, issue 11): the cell phases stay listed, never built
    cell_capex = [i for i in r.statement.index if i.startswith("capex_cell_plant")]
    assert cell_capex
    assert all(float(r.statement.loc[i].iloc[2:].astype(float).abs().sum()) == 0.0 for i in cell_capex)


def test_unit_cost_usd_rows_convert_at_each_years_rate() -> None:
    r = tem.run(tem.load(ROOT / "assumptions" / "base.yaml"))
    uc, st = r.unit_costs, r.statement
    fx = st.loc["inr_per_usd"].iloc[2:].astype(float).to_numpy()
    inr = uc.loc["imported_cell_landed_inr_per_kwh"].iloc[2:].astype(float).to_numpy()
    usd = uc.loc["imported_cell_landed_usd_per_kwh"].iloc[2:].astype(float).to_numpy()
    np.testing.assert_allclose(usd * fx, inr, rtol=1e-12)

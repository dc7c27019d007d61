"""The hand-worked toy case (tests/data/toy.yaml): every statement line checked with its arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tem

TOY = Path(__file__).parents[1] / "data" / "toy.yaml"
FYS = ["FY26", "FY27", "FY28", "FY29"]


@pytest.fixture(scope="module")
def toy() -> tem.Result:
    return tem.run(tem.load(TOY))


def line(result: tem.Result, key: str) -> list[float]:
    return [float(x) for x in result.statement.loc[key, FYS]]


def test_volumes(toy: tem.Result) -> None:
    # demand 1 GWh a year, pack line 2 GWh from FY26: all made in India, cells 1 / yield 1.0 = 1 GWh, all imported
    assert line(toy, "pack_output_gwh") == [1.0] * 4
    assert line(toy, "bought_in_packs_gwh") == [0.0] * 4
    assert line(toy, "imported_cells_gwh") == [1.0] * 4
    assert line(toy, "local_cells_gwh") == [0.0] * 4


def test_unit_costs(toy: tem.Result) -> None:
    uc = toy.unit_costs
    # FOB 50 USD x 80 = 4,000 INR/kWh; freight 2% = 80; CIF 4,080; BCD 10% of CIF = 408; SWS 10% of BCD = 40.8;
    # logistics 100 -> landed 4,628.8 INR/kWh = 57.86 USD/kWh
    assert uc.loc["imported_cell_fob_inr_per_kwh", "FY26"] == pytest.approx(4000.0)
    assert uc.loc["imported_cell_freight_insurance_inr_per_kwh", "FY26"] == pytest.approx(80.0)
    assert uc.loc["imported_cell_customs_duty_inr_per_kwh", "FY26"] == pytest.approx(408.0)
    assert uc.loc["imported_cell_social_welfare_surcharge_inr_per_kwh", "FY26"] == pytest.approx(40.8)
    assert uc.loc["imported_cell_landed_inr_per_kwh", "FY26"] == pytest.approx(4628.8)
    assert uc.loc["imported_cell_landed_usd_per_kwh", "FY26"] == pytest.approx(4628.8 / 80)
    # non-cell BOM 10 USD = 800 INR: half imported 400 x 1.02 x (1 + 0.10 x 1.1) = 452.88; half local 400
    assert uc.loc["pack_non_cell_imported_inr_per_kwh", "FY26"] == pytest.approx(452.88)
    assert uc.loc["pack_non_cell_local_inr_per_kwh", "FY26"] == pytest.approx(400.0)
    # pack = cells 4,628.8 + 452.88 + 400 + assembly 200 = 5,681.68
    assert uc.loc["pack_variable_inr_per_kwh", "FY26"] == pytest.approx(5681.68)


def test_statement_lines(toy: tem.Result) -> None:
    # revenue 1 GWh x 10,000 INR/kWh x 0.1 = 1,000 INR crore
    assert line(toy, "revenue_total") == pytest.approx([1000.0] * 4)
    # cost of goods: cells 1 x 4,628.8 x 0.1 = 462.88; non-cell 45.288 + 40; assembly 20 -> 568.168 (negative)
    assert line(toy, "cogs_imported_cells") == pytest.approx([-462.88] * 4)
    assert line(toy, "cogs_total") == pytest.approx([-568.168] * 4)
    assert line(toy, "gross_margin") == pytest.approx([431.832] * 4)
    # EBITDA = 431.832 - fixed 10 - R&D 5 - SG&A 1% x 1,000 = 406.832
    assert line(toy, "ebitda") == pytest.approx([406.832] * 4)
    # book: 100 / 4 years = 25 a year; tax WDV 25%: 25, 18.75, 14.0625, 10.546875
    assert line(toy, "book_depreciation") == pytest.approx([-25.0] * 4)
    assert line(toy, "tax_depreciation") == pytest.approx([-25.0, -18.75, -14.0625, -10.546875])
    # tax 25% x (406.832 - tax depreciation)
    expected_tax = [-0.25 * (406.832 - d) for d in (25.0, 18.75, 14.0625, 10.546875)]
    assert line(toy, "tax") == pytest.approx(expected_tax)
    # working capital 36.5 / 365 x 1,000 = 100: built in FY26, released in FY29
    assert line(toy, "change_in_working_capital") == pytest.approx([-100.0, 0.0, 0.0, 0.0])
    assert line(toy, "working_capital_release") == pytest.approx([0.0, 0.0, 0.0, 100.0])
    # FCF = EBITDA - tax - capex - increase in WC + release
    fcf = [
        406.832 + expected_tax[0] - 100 - 100,
        406.832 + expected_tax[1],
        406.832 + expected_tax[2],
        406.832 + expected_tax[3] + 100,
    ]
    assert line(toy, "free_cash_flow") == pytest.approx(fcf)
    df = [1.1**-1, 1.1**-2, 1.1**-3, 1.1**-4]
    assert line(toy, "discount_factor") == pytest.approx(df)
    npv = sum(f * d for f, d in zip(fcf, df, strict=True))  # = 867.6832...
    assert toy.kpis["npv_inr_cr"] == pytest.approx(npv)
    assert npv == pytest.approx(867.68323, abs=1e-5)
    assert line(toy, "cumulative_present_value")[-1] == pytest.approx(npv)


def test_localization_and_forex(toy: tem.Result) -> None:
    # imported content = cells 462.88 + imported non-cell 45.288 -> DVA = 1 - 508.168 / 1,000
    assert line(toy, "dva_share") == pytest.approx([1 - 508.168 / 1000] * 4)
    # forex = cells 1 GWh x 50 x 1.02 = 51 USD m + non-cell 10 x 0.5 x 1.02 = 5.1 -> 56.1 USD m a year
    assert line(toy, "forex_outflow_usd_m") == pytest.approx([56.1] * 4)


def test_kpis(toy: tem.Result) -> None:
    k = toy.kpis
    # every year's FCF is positive: no IRR, payback 0, no funding need
    assert k["irr"] is None
    assert k["irr_status"] == 1
    assert k["payback_years"] == 0.0
    assert k["peak_funding_inr_cr"] == 0.0
    # levelized pack cost: PV(costs) / PV(1 GWh a year) x 10; costs = 568.168 + 10 + 5 + 10 a year + capex 100 in FY26
    df = np.array([1.1**-1, 1.1**-2, 1.1**-3, 1.1**-4])
    costs = np.array([593.168 + 100, 593.168, 593.168, 593.168])
    assert k["levelized_pack_cost_inr_per_kwh"] == pytest.approx((costs @ df) / df.sum() * 10)
    assert toy.levelized["pack_inr_per_kwh"].sum() == pytest.approx(k["levelized_pack_cost_inr_per_kwh"])
    # no cell phases: the import-only counterfactual is the same program
    assert k["incremental_npv_vs_import_inr_cr"] == 0.0
    assert k["levelized_cell_cost_inr_per_kwh"] == pytest.approx(4628.8)


def test_local_cells_by_hand() -> None:
    """Local cells from FY27: a 1 GWh plant (ramp 50%, 100%), yields 80% then 100%."""
    r = tem.run(tem.load(TOY.with_name("toy_local.yaml")))
    # FY27: usable 1 x 0.5 started, yield 0.8 -> 0.4 GWh good; FY28: 1 x 1.0 x 1.0 = 1 GWh (all cells)
    assert line(r, "local_cells_gwh") == pytest.approx([0.0, 0.4, 1.0, 1.0])
    assert line(r, "imported_cells_gwh") == pytest.approx([1.0, 0.6, 0.0, 0.0])
    uc = r.unit_costs
    # materials 30 USD x 80 = 2,400: imported half 1,200 x 1.02 x 1.11 = 1,358.64, local half 1,200; / yield 0.8
    assert uc.loc["local_cell_materials_imported_inr_per_kwh", "FY27"] == pytest.approx(1358.64 / 0.8)
    assert uc.loc["local_cell_materials_local_inr_per_kwh", "FY27"] == pytest.approx(1200 / 0.8)
    # labour and energy 100 each / 0.8; royalty 1 USD x 80
    assert uc.loc["local_cell_variable_inr_per_kwh", "FY27"] == pytest.approx((1358.64 + 1200 + 200) / 0.8 + 80)
    assert uc.loc["local_cell_variable_inr_per_kwh", "FY28"] == pytest.approx(1358.64 + 1200 + 200 + 80)
    # the counterfactual drops the cell plant: incremental NPV = NPV - NPV(toy without it)
    assert r.kpis["npv_import_only_inr_cr"] == pytest.approx(867.6832287753564)

"""Segment products and price rules, each checked against arithmetic worked by hand on the toy (tests/data/toy.yaml):
FX 80, freight 2%, SWS 10% of BCD, logistics 100 INR/kWh, assembly 200 INR/kWh, pack yield 1, one 2 GWh pack line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.model.batch_inputs import with_values
from tem.model.engine import run_inputs
from tem.model.inputs import build_inputs

TOY = Path(__file__).parents[1] / "data" / "toy.yaml"
BASE = Path(__file__).parents[2] / "assumptions" / "base.yaml"

# captive 1 GWh as in the toy; ESS 0.5 GWh with ESS-grade cells (0.88 x FOB 50), 20% cell duty, BOM 5 USD
TWO_SEGMENTS: dict[str, Any] = {
    "demand.ess.volume_gwh": 0.5,
    "demand.ess.price_inr_per_kwh": 7000.0,
    "demand.ess.product.cell_fob_factor": 0.88,
    "demand.ess.product.non_cell_bom_usd_per_kwh": 5.0,
}


def run(**overrides: Any) -> tem.Result:
    return tem.run(tem.load(TOY, overrides={**TWO_SEGMENTS, **overrides}))


def fy26(result: tem.Result, key: str) -> float:
    return float(result.statement.loc[key, "FY26"])


def test_each_segment_is_costed_with_its_own_cells_duty_and_bom() -> None:
    o = run().outcome
    uc = o.unit_costs
    # captive: FOB 50 x 80 = 4,000; freight 80; CIF 4,080; BCD 10% = 408; SWS 40.8; logistics 100 -> 4,628.8
    assert uc.imported_cell_by_segment["captive"][0, 0] == pytest.approx(4628.8)
    # ESS: FOB 0.88 x 50 x 80 = 3,520; freight 70.4; CIF 3,590.4; BCD 20% = 718.08; SWS 71.808; + 100 -> 4,480.288
    assert uc.imported_cell_by_segment["ess"][0, 0] == pytest.approx(4480.288)
    # non-cell, ESS: BOM 5 USD = 400 INR; half imported 200 x 1.02 x (1 + 0.1 x 1.1) = 226.44; half local 200
    assert uc.non_cell_imported_by_segment["ess"][0, 0] == pytest.approx(226.44)
    assert uc.non_cell_local_by_segment["ess"][0, 0] == pytest.approx(200.0)
    r = run()
    # cells: 1 GWh x 4,628.8 x 0.1 + 0.5 x 4,480.288 x 0.1 = 462.88 + 224.0144 = 686.8944 INR crore
    assert fy26(r, "cogs_imported_cells") == pytest.approx(-686.8944)
    # captive variable cost: 462.88 + 1 x (452.88 + 400 + 200) x 0.1 = 568.168; ESS: 224.0144 + 0.5 x 626.44 x 0.1
    assert fy26(r, "variable_cost_captive") == pytest.approx(-568.168)
    assert fy26(r, "variable_cost_ess") == pytest.approx(-(224.0144 + 31.322))
    # contribution: captive 1,000 - 568.168; ESS 0.5 x 7,000 x 0.1 = 350 - 255.3364
    assert fy26(r, "contribution_margin_captive") == pytest.approx(431.832)
    assert fy26(r, "contribution_margin_ess") == pytest.approx(350.0 - 255.3364)
    assert fy26(r, "gross_margin") == pytest.approx(431.832 + 350.0 - 255.3364)


def test_own_cell_fob_path_and_linked_pack_fob() -> None:
    r = run(
        **{
            "demand.ess.product.cell_fob_factor": None,
            "demand.ess.product.cell_fob_usd_per_kwh": 40.0,
            "demand.ess.product.pack_premium_usd_per_kwh": 12.0,
        }
    )
    uc = r.outcome.unit_costs
    assert uc.cell_fob_usd_by_segment["ess"][0, 0] == pytest.approx(40.0)
    # linked: pack FOB 40 + 12 = 52 USD; landed 52 x 80 x 1.02 x (1 + 0.15 x 1.1) + 100 = 4,243.2 x 1.165 + 100
    assert uc.pack_fob_usd_by_segment["ess"][0, 0] == pytest.approx(52.0)
    assert uc.pack_landed_by_segment["ess"][0, 0] == pytest.approx(4243.2 * 1.165 + 100.0)


def test_import_parity_price_is_the_landed_imported_pack_times_premium() -> None:
    r = run(
        **{
            "demand.captive.price_rule": "import_parity",
            "demand.captive.price_inr_per_kwh": None,
            "demand.captive.price_premium": -0.05,
        }
    )
    # pack FOB 70 USD x 80 = 5,600; x 1.02 = 5,712; duty 15% x 1.1 -> x 1.165 = 6,654.48; + 100 = 6,754.48; x 0.95
    assert fy26(r, "price_captive_inr_per_kwh") == pytest.approx(6754.48 * 0.95)
    assert fy26(r, "revenue_captive") == pytest.approx(6754.48 * 0.95 * 0.1)


def test_cost_plus_variable_is_own_cost_times_markup() -> None:
    r = run(
        **{"demand.captive.price_rule": "cost_plus", "demand.captive.price_inr_per_kwh": None, "demand.captive.markup": 0.15}
    )
    # own variable cost per kWh: 4,628.8 + 452.88 + 400 + 200 = 5,681.68; x 1.15
    assert fy26(r, "price_captive_inr_per_kwh") == pytest.approx(5681.68 * 1.15)
    assert fy26(r, "contribution_margin_captive") == pytest.approx(5681.68 * 0.15 * 0.1)


def test_cost_plus_full_adds_the_fixed_costs_of_the_phases_that_serve_it() -> None:
    r = run(
        **{
            "demand.captive.price_rule": "cost_plus",
            "demand.captive.price_inr_per_kwh": None,
            "demand.captive.markup": 0.10,
            "demand.captive.cost_basis": "full",
        }
    )
    # pack line: fixed opex 10 + book depreciation 100 / 4 = 25 -> 35 INR crore; captive makes 1 of 1.5 GWh -> 23.33;
    # per kWh delivered: 23.33 / 1 GWh x 10 = 233.33 INR/kWh
    assert fy26(r, "price_captive_inr_per_kwh") == pytest.approx((5681.68 + 35.0 * 2 / 3 * 10) * 1.10)


def test_bought_in_packs_are_costed_by_segment() -> None:
    # capacity 1 GWh for 1.5 GWh demand, shared pro rata: 2/3 made, 1/3 bought in at each segment's landed pack
    r = run(
        **{
            "capex.phases.pack_line.capacity_gwh": 1.0,
            "transition.pack_allocation": "pro_rata",
            "demand.ess.product.pack_fob_usd_per_kwh": 60.0,
            "demand.ess.product.pack_bcd_rate": 0.20,
        }
    )
    ess_pack = 60 * 80 * 1.02 * (1 + 0.2 * 1.1) + 100  # 6,073.12
    captive_pack = 6754.48
    assert fy26(r, "cogs_bought_in_packs") == pytest.approx(-(1 / 3 * captive_pack + 0.5 / 3 * ess_pack) * 0.1)


def test_validation_names_the_price_rule_problem(tmp_path: Path) -> None:
    with pytest.raises(tem.AssumptionError) as exc:
        tem.load(TOY, overrides={"demand.captive.price_rule": "import_parity"})
    text = str(exc.value)
    assert "demand.captive" in text
    assert "price_rule import_parity sets the price itself" in text
    with pytest.raises(tem.AssumptionError) as exc:
        tem.load(
            TOY,
            overrides={"demand.ess.product.pack_premium_usd_per_kwh": 5.0, "demand.ess.product.pack_fob_usd_per_kwh": 60.0},
        )
    assert "at most one of pack_fob_usd_per_kwh and pack_premium_usd_per_kwh" in str(exc.value)


# ---- invariants on the base case (hypothesis) ----

LINKED = tem.load(
    BASE,
    overrides={
        **{f"demand.{s}.price_rule": "import_parity" for s in ("captive", "external_oem", "ess")},
        **{f"demand.{s}.price_usd_per_kwh": None for s in ("captive", "external_oem", "ess")},
        **{f"demand.{s}.product.pack_premium_usd_per_kwh": 18.0 for s in ("captive", "external_oem", "ess")},
    },
)
LINKED_INPUTS = build_inputs(LINKED)


@settings(deadline=None, max_examples=30)
@given(st.floats(30, 70), st.floats(1.0, 1.5), st.floats(0.0, 3.0))
def test_dearer_imported_cell_never_lowers_revenue_at_import_parity(fob: float, factor: float, ess: float) -> None:
    values = {
        "cells.imported.fob_price_usd_per_kwh": np.array([fob, fob * factor]),
        "demand.ess.volume_gwh": np.array([ess, ess]),
    }
    o = run_inputs(with_values(LINKED_INPUTS, values), full_counterfactual=False)[0]
    rev = o.operations.revenue
    assert np.all(rev[1] >= rev[0] - 1e-9 * np.abs(rev[0]))


@settings(deadline=None, max_examples=30)
@given(st.floats(30, 70), st.floats(0.0, 0.3), st.integers(2029, 2040), st.floats(0.5, 3.0))
def test_segment_contributions_sum_to_gross_margin(fob: float, markup: float, start: int, cap: float) -> None:
    a = tem.load(BASE, overrides={"demand.captive.price_rule": "cost_plus", "demand.captive.price_usd_per_kwh": None})
    values = {
        "cells.imported.fob_price_usd_per_kwh": np.array([fob]),
        "demand.captive.markup": np.full((1, 20), markup),
        "transition.local_cells_start_fy": np.array([float(start)]),
        "capex.phases.pack_line_1.capacity_gwh": np.array([cap]),
    }
    o = run_inputs(with_values(build_inputs(a), values))[0]
    ops = o.operations
    segs = o.inputs.structure.segments
    np.testing.assert_allclose(sum(ops.contribution_by_segment[s] for s in segs), ops.gross_margin, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(sum(ops.variable_cost_by_segment[s] for s in segs), ops.cogs, rtol=1e-9, atol=1e-6)
    v = o.volumes
    np.testing.assert_allclose(sum(v.local_cells_by_segment[s] for s in segs), v.local_cells_gwh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        sum(v.imported_cells_by_segment[s] for s in segs), v.imported_cells_gwh, rtol=1e-9, atol=1e-12
    )


def test_price_rules_batch_equals_single_runs() -> None:
    fobs = np.array([38.0, 52.0, 61.0])
    batch = tem.run_batch(LINKED, {"cells.imported.fob_price_usd_per_kwh": fobs})
    for i, f in enumerate(fobs):
        single = tem.run_batch(LINKED, {"cells.imported.fob_price_usd_per_kwh": np.array([f])})
        assert batch["npv_inr_cr"][i] == single["npv_inr_cr"][0]
        assert batch["irr"][i] == single["irr"][0] or (np.isnan(batch["irr"][i]) and np.isnan(single["irr"][0]))


def test_inverted_duty_is_flagged_by_segment_and_year() -> None:
    # ESS cells pay 20% BCD against 15% on finished packs (toy transition.bought_in_pack_bcd_rate): inverted in every
    # year with ESS demand; captive cells pay 10%: protected
    r = run()
    assert r.inverted_duty_fys == {"ess": ["FY26", "FY27", "FY28", "FY29"]}
    assert len(r.warnings) == 1
    assert "energy storage in FY26-FY29" in r.warnings[0]
    assert "20.0%" in r.warnings[0]
    assert "15.0%" in r.warnings[0]
    # equal duties count too (no protection left); a higher pack duty clears it
    assert run(**{"demand.ess.product.cell_bcd_rate": 0.15}).inverted_duty_fys == {"ess": ["FY26", "FY27", "FY28", "FY29"]}
    assert run(**{"demand.ess.product.pack_bcd_rate": 0.25}).warnings == []
    # from FY28 on only: a yearly cell duty path
    later = run(**{"demand.ess.product.cell_bcd_rate": {"FY26": 0.05, "FY28": 0.2}})
    assert later.inverted_duty_fys == {"ess": ["FY28", "FY29"]}

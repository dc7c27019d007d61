"""Allocation by priority on the toys (tests/data/toy.yaml, toy_local.yaml): captive 1 GWh, ESS 0.5 GWh added here.

Packs: when pack capacity binds, segments are served in ``transition.pack_priority`` order (default captive
first). Local cells: ``max_saving`` puts them where the landed imported cell is dearest, ``order`` follows
``local_cell_priority``, ``pro_rata`` shares them by packs made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.model.engine import run_inputs
from tem.model.inputs import build_inputs, with_values

DATA = Path(__file__).parents[1] / "data"
BASE = Path(__file__).parents[2] / "assumptions" / "base.yaml"
ESS: dict[str, Any] = {"demand.ess.volume_gwh": 0.5, "demand.ess.price_inr_per_kwh": 7000.0}


def run(toy: str, **overrides: Any) -> tem.Result:
    return tem.run(tem.load(DATA / toy, overrides={**ESS, **overrides}))


def fy(r: tem.Result, key: str, col: str = "FY28") -> float:
    return float(r.statement.loc[key, col])


def by_segment(r: tem.Result, table: str, col: int = 2) -> dict[str, float]:
    v = r.outcome.volumes
    return {s: float(np.broadcast_to(getattr(v, table)[s], (1, 4))[0, col]) for s in ("captive", "ess")}


def test_captive_first_when_pack_capacity_binds() -> None:
    r = run("toy.yaml", **{"capex.phases.pack_line.capacity_gwh": 1.2})
    # 1.2 GWh of packs for 1.5 GWh of demand: captive takes its 1.0, ESS the remaining 0.2 and buys 0.3 in
    assert by_segment(r, "pack_output_by_segment") == pytest.approx({"captive": 1.0, "ess": 0.2})
    assert by_segment(r, "bought_in_by_segment") == pytest.approx({"captive": 0.0, "ess": 0.3})
    # ESS pays the landed imported pack for 0.3 GWh: 70 x 80 x 1.02 x 1.165 + 100 = 6,754.48 INR/kWh
    assert fy(r, "cogs_bought_in_packs") == pytest.approx(-0.3 * 6754.48 * 0.1)


def test_stated_pack_order_and_pro_rata() -> None:
    first_ess = run(
        "toy.yaml",
        **{"capex.phases.pack_line.capacity_gwh": 1.2, "transition.pack_priority": ["ess", "captive", "external_oem"]},
    )
    assert by_segment(first_ess, "pack_output_by_segment") == pytest.approx({"captive": 0.7, "ess": 0.5})
    shared = run("toy.yaml", **{"capex.phases.pack_line.capacity_gwh": 1.2, "transition.pack_allocation": "pro_rata"})
    assert by_segment(shared, "pack_output_by_segment") == pytest.approx({"captive": 0.8, "ess": 0.4})


def test_local_cells_go_where_they_save_most() -> None:
    # FY28: the 1 GWh plant makes 1 GWh of good cells for 1.5 GWh needed. ESS cells pay 20% duty, captive 10%:
    # the ESS cell lands dearer (5,077.6 vs 4,628.8 INR/kWh), so ESS takes 0.5 local and captive the other 0.5
    r = run("toy_local.yaml")
    assert by_segment(r, "local_cells_by_segment") == pytest.approx({"captive": 0.5, "ess": 0.5})
    assert by_segment(r, "imported_cells_by_segment") == pytest.approx({"captive": 0.5, "ess": 0.0})
    # ESS-grade cells 12% cheaper land below the captive cell (4,480.3): captive first
    cheap = run("toy_local.yaml", **{"demand.ess.product.cell_fob_factor": 0.88})
    assert by_segment(cheap, "local_cells_by_segment") == pytest.approx({"captive": 1.0, "ess": 0.0})


def test_local_cells_by_order_and_pro_rata() -> None:
    order = run(
        "toy_local.yaml",
        **{
            "transition.local_cell_allocation": "order",
            "transition.local_cell_priority": ["captive", "ess", "external_oem"],
        },
    )
    assert by_segment(order, "local_cells_by_segment") == pytest.approx({"captive": 1.0, "ess": 0.0})
    shared = run("toy_local.yaml", **{"transition.local_cell_allocation": "pro_rata"})
    assert by_segment(shared, "local_cells_by_segment") == pytest.approx({"captive": 2 / 3, "ess": 1 / 3})


def test_priority_lists_must_name_each_segment_once() -> None:
    with pytest.raises(tem.AssumptionError) as exc:
        tem.load(DATA / "toy.yaml", overrides={"transition.pack_priority": ["captive", "captive", "ess"]})
    assert "must list each segment exactly once" in str(exc.value)


BASE_INPUTS = build_inputs(tem.load(BASE))


@settings(deadline=None, max_examples=30)
@given(st.floats(0.3, 6.0), st.floats(0.0, 8.0), st.integers(2029, 2036), st.floats(0.7, 1.3), st.floats(0.0, 0.3))
def test_allocation_conserves_volume(cap: float, ess: float, start: int, fob_factor: float, ess_duty: float) -> None:
    values = {
        "capex.phases.pack_line_1.capacity_gwh": np.array([cap]),
        "capex.phases.pack_line_2.capacity_gwh": np.array([cap]),
        "demand.ess.volume_gwh": np.array([ess]),
        "transition.local_cells_start_fy": np.array([float(start)]),
        "cells.imported.bcd_rate_ess": np.array([ess_duty]),
        "cells.imported.fob_price_usd_per_kwh": np.array([52.0 * fob_factor]),
    }
    o = run_inputs(with_values(BASE_INPUTS, values))[0]
    v = o.volumes
    segs = o.inputs.structure.segments

    def total(d: dict) -> np.ndarray:
        return sum(d[s] for s in segs)

    np.testing.assert_allclose(total(v.pack_output_by_segment), v.pack_output_gwh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total(v.bought_in_by_segment), v.bought_in_packs_gwh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total(v.local_cells_by_segment), v.local_cells_gwh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total(v.imported_cells_by_segment), v.imported_cells_gwh, rtol=1e-9, atol=1e-12)
    for s in segs:
        assert np.all(v.pack_output_by_segment[s] <= v.demand_gwh[s] + 1e-12)
        assert np.all(v.local_cells_by_segment[s] >= 0)
        assert np.all(v.imported_cells_by_segment[s] >= -1e-12)
        np.testing.assert_allclose(v.met_gwh[s], v.demand_gwh[s], rtol=1e-12, atol=1e-12)  # import_packs


def test_local_cells_where_they_add_most_to_ebitda() -> None:
    # FY28 of toy_local, local cells made dear (labour 3,000 INR/kWh): local variable cost = imported materials
    # 0.5 x 30 x 80 x 1.02 x (1 + 0.1 x 1.1) = 1,358.64 + local materials 0.5 x 30 x 80 = 1,200 + labour 3,000 +
    # energy 100 + royalty 1 x 80 = 5,738.64 INR/kWh (yield 100% in FY28, no learning). Captive at cost plus 10%
    # on variable cost, SG&A 1% of revenue: score = 4,628.8 + 0.99 x 1.1 x (5,738.64 - 4,628.8) = 5,837.41, above
    # the ESS cell's 5,077.6 (ESS on its price path keeps the landed cell it avoids). The parent pays the dear
    # local cells under cost plus, so captive takes them first; max_saving sends them to ESS.
    dear = {
        "cells.local.labour_inr_per_kwh": 3000.0,
        "demand.captive.price_rule": "cost_plus",
        "demand.captive.price_inr_per_kwh": None,
        "demand.captive.markup": 0.1,
    }
    r = run("toy_local.yaml", **dear, **{"transition.local_cell_allocation": "max_margin"})
    assert by_segment(r, "local_cells_by_segment") == pytest.approx({"captive": 1.0, "ess": 0.0})
    saving = run("toy_local.yaml", **dear, **{"transition.local_cell_allocation": "max_saving"})
    assert by_segment(saving, "local_cells_by_segment") == pytest.approx({"captive": 0.5, "ess": 0.5})
    # the other way round: ESS at cost plus and cheap local cells (labour 100, 2,838.64 INR/kWh): ESS's score
    # 5,077.6 + 1.089 x (2,838.64 - 5,077.6) = 2,639.37 is below captive's 4,628.8 (captive on its price path)
    ess_cp = {"demand.ess.price_rule": "cost_plus", "demand.ess.price_inr_per_kwh": None, "demand.ess.markup": 0.1}
    r = run("toy_local.yaml", **ess_cp, **{"transition.local_cell_allocation": "max_margin"})
    assert by_segment(r, "local_cells_by_segment") == pytest.approx({"captive": 1.0, "ess": 0.0})
    other = run("toy_local.yaml", **ess_cp, **{"transition.local_cell_allocation": "max_saving"})
    # ESS: 0.5 GWh imported instead of local raises its cost by 0.5 x (5,077.6 - 2,838.64) x 0.1 = 111.948 crore and
    # its revenue by 1.1 x that = 123.1428 (SG&A 1% of it: 1.231428); captive: 0.5 GWh local instead of imported
    # lowers its cost by 0.5 x (4,628.8 - 2,838.64) x 0.1 = 89.508 at an unchanged price. EBITDA difference:
    # 89.508 - (111.948 - 123.1428 + 1.231428) = 89.508 + 9.963372 = 99.471372 crore in favour of max_margin
    assert fy(r, "ebitda") - fy(other, "ebitda") == pytest.approx(99.471372, rel=1e-9)


ORDERS = [
    ["captive", "external_oem", "ess"],
    ["captive", "ess", "external_oem"],
    ["external_oem", "captive", "ess"],
    ["external_oem", "ess", "captive"],
    ["ess", "captive", "external_oem"],
    ["ess", "external_oem", "captive"],
]


@settings(deadline=None, max_examples=20)
@given(
    st.floats(0.0, 0.3),
    st.sampled_from(["variable", "full"]),
    st.sampled_from(["import_parity", "cost_plus", "path"]),
    st.floats(0.0, 0.3),
    st.floats(50.0, 3000.0),
    st.floats(0.0, 0.05),
)
def test_max_margin_gives_the_highest_ebitda(
    markup: float, basis: str, ess_rule: str, ess_duty: float, labour: float, sga: float
) -> None:
    """Greedy by score is the optimum of a linear objective under a total and per-segment caps (a fractional
    knapsack), so no priority order gives a higher EBITDA in any year (PLI off: the score leaves it out)."""
    overrides: dict[str, Any] = {
        "cells.local.pli.enabled": False,
        "demand.captive.markup": markup,
        "demand.captive.cost_basis": basis,
        "demand.ess.price_rule": ess_rule,
        "demand.ess.markup": markup / 2,
        "demand.ess.product.cell_bcd_rate": ess_duty,
        "cells.local.labour_inr_per_kwh": labour,
        "opex.sga_revenue_share": sga,
    }
    if ess_rule == "path":
        overrides["demand.ess.price_inr_per_kwh"] = 9000.0

    def ebitda(**extra: Any) -> np.ndarray:
        r = tem.run(tem.load(BASE, overrides={**overrides, **extra}))
        return r.statement.loc["ebitda", r.fiscal_years].to_numpy(float)

    best = ebitda(**{"transition.local_cell_allocation": "max_margin"})
    for order in ORDERS:
        other = ebitda(**{"transition.local_cell_allocation": "order", "transition.local_cell_priority": order})
        assert np.all(best >= other - 1e-9 * np.maximum(1.0, np.abs(other))), order

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

"""Per-plant yield ramps on the toy with local cells (tests/data/toy_local.yaml): cell demand 1 GWh a year, target
local share 100% from FY27; plant A 1 GWh from FY27, utilization 50% then 100%, default yield ramp 80% then 100%.
A second plant B of 1 GWh from FY28 (utilization 100%) has its own yield ramp 50% then 90%."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import tem

TOY_LOCAL = Path(__file__).parents[1] / "data" / "toy_local.yaml"
PLANT_B: dict[str, Any] = {
    "name": "plant_b",
    "kind": "cell_plant",
    "capex_inr_cr": 100.0,
    "spend_profile": [1.0],
    "commissioning_fy": 2028,
    "capacity_gwh": 1.0,
    "book_life_years": 4,
    "tax_depreciation_rate": 0.25,
    "yield_ramp": [0.5, 0.9],
}


def volumes(tmp_path: Path, **b: Any) -> tem.Result:
    scenario = tmp_path / "two_plants.yaml"
    scenario.write_text(
        yaml.safe_dump({"extends": str(TOY_LOCAL), "name": "two_plants", "capex": {"phases": [{**PLANT_B, **b}]}})
    )
    return tem.run(tem.load(scenario))


def line(r: tem.Result, key: str) -> list[float]:
    return [float(x) for x in r.statement.loc[key, ["FY26", "FY27", "FY28", "FY29"]]]


def test_a_new_plant_restarts_its_own_yield_ramp(tmp_path: Path) -> None:
    r = volumes(tmp_path)
    # FY27: A alone, 0.5 GWh started x 80% = 0.4 good; FY28: A 1 x 100% + B 1 x 50% = 1.5 good of 2 started:
    # average yield 75%, local cells min(1 GWh needed, 1.5) = 1; FY29: A 1 + B 0.9 = 1.9 of 2: 95%
    assert line(r, "local_cells_gwh") == pytest.approx([0.0, 0.4, 1.0, 1.0])
    assert line(r, "cell_yield")[1:] == pytest.approx([0.8, 0.75, 0.95])
    # cells started = good / average yield: 1 / 0.75 = 1.333 in FY28
    assert r.outcome.volumes.local_cells_started_gwh[0, 2] == pytest.approx(1 / 0.75)


def test_continue_starts_where_earlier_plants_learning_left_off(tmp_path: Path) -> None:
    r = volumes(tmp_path, yield_learning="continue")
    # B's ramp counts from A's commissioning (FY27): in FY28 it is in its second year, 90%: (1 + 0.9) / 2 = 95%
    assert line(r, "cell_yield")[1:] == pytest.approx([0.8, 0.95, 0.95])


def test_yield_ramp_belongs_to_cell_plants_only() -> None:
    with pytest.raises(tem.AssumptionError) as exc:
        tem.load(TOY_LOCAL, overrides={"capex.phases.pack_line.yield_ramp": [0.9]})
    assert "apply to cell plants only" in str(exc.value)

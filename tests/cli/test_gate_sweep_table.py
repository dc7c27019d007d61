"""The gate threshold sweep's console table shows each threshold in its gate line's unit and format (a duty gap,
a difference of two rates, in percentage points; a price in
USD/kWh) and NPV in whole INR crore (review: thresholds printed raw, 0.025 for a duty gap)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console

import tem
from tem.analysis.montecarlo.gate_sweep import COLUMNS, ThresholdSweep
from tem.cli.montecarlo import sweep_table, threshold_kind
from tem.cli.montecarlo_tables import threshold_title

ROOT = Path(__file__).parents[2]
PATH = "capex.phases.cell_plant_1.gate.when.{}.threshold"


def test_thresholds_in_the_gate_lines_kind() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    assert threshold_kind(a, PATH.format(0)) == "usd_kwh"  # imported_cell_fob_usd_per_kwh
    assert threshold_kind(a, PATH.format(1)) == "pts"  # cell_duty_minus_pack_duty_rate: a difference of two rates
    assert threshold_kind(a, PATH.format(7)) is None
    assert threshold_kind(a, "capex.phases.nope.gate.when.0.threshold") is None
    rows = [[-0.025, -2887.4, 163.2, 0.9, 0.4], [0.0, -2599.6, 181.0, 0.5, 288.2]]  # COLUMNS
    sweep = ThresholdSweep(PATH.format(1), "cell_plant_1", 100, 1, pd.DataFrame(rows, columns=COLUMNS), -2887.0)
    console = Console(width=200, record=True)
    title = threshold_title(a, PATH.format(1))
    assert title == "Cell plant 1 gate: Cell duty minus pack duty (widest gap) threshold"  # not the path (D5)
    assert threshold_title(a, PATH.format(0)) == "Cell plant 1 gate: Imported cell FOB threshold"
    assert threshold_title(a, PATH.format(7)) == PATH.format(7)
    console.print(sweep_table(sweep, threshold_kind(a, PATH.format(1)), title))
    text = console.export_text()
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if "│" in line]
    assert rows == [["-2.5 pts", "90.0%", "-2,887", "163", "+0"], ["0.0 pts *", "50.0%", "-2,600", "181", "+288"]]
    assert "highest expected NPV: 0.0 pts" in " ".join(text.split())
    assert "Gate threshold sweep: Cell plant 1 gate: Cell duty minus pack duty" in " ".join(text.split())
    assert ".threshold" not in text

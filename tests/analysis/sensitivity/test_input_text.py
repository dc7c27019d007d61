"""Every input value a sweep or goal seek shows is in the input's unit and format, read from the schema (review:
``tem sweep --kpi irr`` printed a customs duty as 0.025 and an R&D share as 1.0%: only names ending in _rate or
_share were recognised as rates)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tem
from tem.analysis.sensitivity.export import input_format, input_text
from tem.analysis.sensitivity.spec import SweepSpec
from tem.analysis.specio import load_spec
from tem.assumptions.input_kinds import input_kind
from tem.cli import app
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[3]


@pytest.mark.parametrize(
    ("path", "value", "text"),
    [
        ("cells.imported.bcd_rate_vehicle", 0.025, "2.5%"),  # a yearly share whose name ends in _vehicle
        ("demand.external_oem.price_premium", -0.08, "-8.0%"),  # a yearly rate in [-1, 1]
        ("demand.captive.markup", 0.0134, "1.3%"),
        ("cells.local.yield_ramp", 0.736, "73.6%"),  # a list of shares (a ramp)
        ("capex.phases.pilot_cell_line.yield_ramp", 0.8, "80.0%"),  # the same in a phase (list of models)
        ("opex.rnd_revenue_share", 0.01, "1.0%"),
        ("cells.imported.fob_price_usd_per_kwh", 52.0, "52.0"),
        ("capex.phases.cell_plant_1.capex_inr_cr", 4321.4, "4,321"),
        ("capex.phases.cell_plant_1.commissioning_fy", 2030.0, "FY30"),
        ("timeline.inr_per_usd", 85.5, "85.50"),
        ("working_capital.receivable_days", 45.0, "45"),  # a plain number: 4 significant digits
    ],
)
def test_an_input_value_is_shown_in_its_kind(path: str, value: float, text: str) -> None:
    assert input_text(path, value) == text


def test_every_rate_input_of_the_model_shows_as_a_percentage() -> None:
    """Every input the model bounds to [0, 1] or [-1, 1] (a share or a rate by its type) is a rate, except the
    switches the model makes from a choice (0 or 1); every rate input's Excel format is a percentage."""
    inp = build_inputs(tem.load(ROOT / "assumptions" / "base.yaml"))
    made = {"tax.within_parent", "capex.replace_at_end_of_life", "incentives.state_capital_subsidy.reduces_block"}
    rates = [
        p
        for p, bounds in inp.bounds.items()
        if bounds in {(0.0, 1.0), (-1.0, 1.0)}
        and p not in made
        and not p.startswith("valuation.terminal_value_")
        and not p.endswith(".gate.enabled")
    ]
    assert len(rates) > 100
    assert [p for p in rates if input_kind(p) != "rate"] == []
    assert {input_format(p) for p in rates} == {"0.0%"}


def test_the_sweep_table_shows_every_input_in_its_unit(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["sweep", "--kpi", "irr", "--out", str(tmp_path), "--quiet"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    spec = load_spec(ROOT / "assumptions" / "sweeps" / "tornado.yaml", SweepSpec)
    labels = {p.label or p.path: p.path for p in spec.parameters}
    rows = [
        [c.strip() for c in line.split("│")[1:-1]] for line in res.stdout.splitlines() if line.startswith("│")
    ]
    assert len(rows) == 12
    seen = 0
    for label, low, high, *_ in rows:
        kind = input_kind(labels[label])
        for cell in (low, high):
            if kind == "rate":
                assert re.fullmatch(r"-?\d+\.\d%", cell), (label, cell)
                seen += 1
            elif kind in ("usd_kwh", "gwh", "inr_per_usd"):
                assert cell.endswith(tem.catalogue.KINDS[kind].suffix), (label, cell)
    assert seen >= 10  # customs duty, price premiums, markup, yield ramp, R&D share ...

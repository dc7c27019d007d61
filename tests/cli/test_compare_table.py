"""`tem compare` of every shipped scenario reads in an 80-120 column terminal (issue 14, fourth wave, item 8):
scenarios as rows, the key KPIs as columns, every cell whole on its scenario's line, the full table pointed to."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import tem
from tem import catalogue
from tem.analysis.scenarios.compare import Comparison, compare
from tem.cli.compare import KEY_KPIS, WIDE, comparison_table

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def every_scenario() -> Comparison:
    files = [ROOT / "assumptions" / "base.yaml", *sorted((ROOT / "assumptions" / "scenarios").glob("*.yaml"))]
    assert len(files) > 20
    return compare([tem.load(f) for f in files])


def rendered(c: Comparison, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(comparison_table(c))
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 100, 120])
def test_every_scenario_on_one_whole_line_within_the_terminal(every_scenario: Comparison, width: int) -> None:
    c = every_scenario
    lines = rendered(c, width)
    assert max(len(line.rstrip()) for line in lines) <= width
    for name in c.names:
        row = next(line for line in lines if line.split() and line.split()[0] == name)
        cells = row.split()[1:]
        # each key KPI in the catalogue's format, worked out from the comparison's own numbers
        expected = [catalogue.format_value(k, float(c.kpis.loc[k, name])) for k in KEY_KPIS]
        assert cells[0] == expected[0], (name, row)
        assert cells[-4:] == expected[1:], (name, row)
        if name != c.first:  # and NPV's difference from the first scenario, signed
            diff = float(c.kpis.loc["npv_inr_cr", name]) - float(c.kpis.loc["npv_inr_cr", c.first])
            assert float(cells[1].replace(",", "")) == pytest.approx(diff, abs=0.5)
    assert any("kpis.csv" in line for line in lines)  # where the full table is


def test_few_scenarios_keep_the_kpis_as_rows(every_scenario: Comparison) -> None:
    c = every_scenario
    few = compare([tem.load(ROOT / "assumptions" / "base.yaml"), tem.load(ROOT / "assumptions/scenarios/duty_hike.yaml")])
    assert len(few.names) <= WIDE < len(c.names)
    lines = rendered(few, 120)
    npv = catalogue.format_value("npv_inr_cr", float(few.kpis.loc["npv_inr_cr", few.first]))
    assert any("NPV" in line and npv in line for line in lines)  # a KPI per row, a scenario per column
    assert any(line.split()[1:2] == ["KPI"] for line in lines)

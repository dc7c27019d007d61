"""The sensitivity workbook shows a year KPI as the tornado does (review: its Spider and Data table sheets showed
FY2043, a number formatted "FY"0): each value as the text FY43, and the changes from the base in years, which the
chart and the colour scale read."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import tem
from tem.analysis.sensitivity.export import render_sensitivity_workbook
from tem.analysis.sensitivity.spec import SweepSpec
from tem.analysis.sensitivity.sweeps import axis, data_table, spider, tornado
from tem.analysis.specio import load_spec

ROOT = Path(__file__).parents[3]
KPI = "crossover_fy"
YEARS = '+0" years";-0" years";0" years"'


@pytest.fixture(scope="module")
def sheets():
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    spec = load_spec(ROOT / "assumptions" / "sweeps" / "tornado.yaml", SweepSpec)
    t = tornado(a, spec, [KPI])
    s = {KPI: spider(a, spec, KPI)}
    x = axis("cells.imported.fob_price_usd_per_kwh", low=40, high=70, steps=4)
    y = axis("transition.local_cells_start_fy", low=2030, high=2032, steps=3)
    g = {KPI: data_table(a, x, y, KPI)}
    wb = openpyxl.load_workbook(io.BytesIO(render_sensitivity_workbook("base", t, s, g, {KPI: t[KPI].base})))
    return wb, t[KPI].base, s[KPI], g[KPI]


def test_the_spider_shows_years_as_fy_and_changes_in_years(sheets) -> None:
    wb, base, table, _ = sheets
    ws = next(ws for ws in wb if ws.title.startswith("Spider"))
    for i, (label, row) in enumerate(table.iterrows()):
        cells = [ws.cell(4 + i, 2 + j) for j in range(len(table.columns))]
        assert ws.cell(4 + i, 1).value == label
        for c, v in zip(cells, row, strict=True):
            if np.isnan(v):
                assert c.value is None
            else:
                assert c.value == f"FY{int(v) % 100:02d}"  # the text FY43, as in the tornado, never FY2043
    top = 4 + len(table) + 1
    assert ws.cell(top, 1).value.startswith("Change of ")
    assert ws.cell(top, 1).value.endswith(f"from the base (FY{int(base) % 100:02d}), in years")
    for i, (_, row) in enumerate(table.iterrows()):
        for j, v in enumerate(row):
            c = ws.cell(top + 2 + i, 2 + j)
            if not np.isnan(v):
                assert c.value == pytest.approx(v - base)
                assert c.number_format == YEARS
    (chart,) = ws._charts
    assert chart.y_axis.number_format.formatCode == YEARS
    refs = [s.val.numRef.f for s in chart.series]
    assert all(int(re.search(r"\$(\d+)$", f).group(1)) > top for f in refs)  # the chart reads the changes


def test_the_data_table_shows_years_as_fy_and_colours_the_changes(sheets) -> None:
    wb, base, _, grid = sheets
    ws = next(ws for ws in wb if ws.title.startswith("Data table"))
    values = [[ws.cell(4 + i, 2 + j).value for j in range(grid.shape[1])] for i in range(grid.shape[0])]
    assert values == [[f"FY{int(v) % 100:02d}" for v in row] for row in grid.to_numpy()]
    top = 4 + len(grid) + 1
    changes = [[ws.cell(top + 2 + i, 2 + j) for j in range(grid.shape[1])] for i in range(grid.shape[0])]
    for cells, row in zip(changes, grid.to_numpy(), strict=True):
        for c, v in zip(cells, row, strict=True):
            assert c.value == pytest.approx(v - base)
            assert c.number_format == YEARS
    (rule,) = ws.conditional_formatting
    assert str(rule.sqref).startswith(f"B{top + 2}:")
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, (int, float)) and c.value >= 100:
                    assert '"FY"' not in c.number_format, (ws.title, c.coordinate)  # no FY2043 anywhere

"""Sensitivity exports that do not mislead (issue 14 item 5): the tornado chart plots both sides from the right
columns, the spider shows at most ten distinct colours, the data table's colours are centred and stated, and
fiscal years read as years."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

import tem
from tem.analysis.sensitivity.export import (
    SPIDER_COLOURS,
    SPIDER_LINES,
    heatmap_centre,
    heatmap_figure,
    input_text,
    render_sensitivity_workbook,
    spider_figure,
    tornado_header,
)
from tem.analysis.sensitivity.spec import SweepSpec
from tem.analysis.sensitivity.sweeps import axis, data_table, spider, tornado
from tem.analysis.specio import load_spec

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"


@pytest.fixture(scope="module")
def sweep() -> tuple[dict, dict, dict, float]:
    a = tem.load(BASE)
    spec = load_spec(ROOT / "assumptions" / "sweeps" / "tornado.yaml", SweepSpec)
    tornadoes = tornado(a, spec, ["npv_inr_cr"])
    spiders = {"npv_inr_cr": spider(a, spec, "npv_inr_cr")}
    x = axis("cells.imported.fob_price_usd_per_kwh", low=40, high=70, steps=4)
    y = axis("timeline.discount_rate", values=[0.10, 0.125, 0.15])
    grids = {"npv_inr_cr": data_table(a, x, y, "npv_inr_cr")}
    return tornadoes, spiders, grids, tornadoes["npv_inr_cr"].base


def test_tornado_chart_series_are_the_low_and_high_changes(sweep: tuple) -> None:
    tornadoes, spiders, grids, base = sweep
    wb = openpyxl.load_workbook(
        io.BytesIO(render_sensitivity_workbook("base", tornadoes, spiders, grids, {"npv_inr_cr": base}))
    )
    ws = wb[next(n for n in wb.sheetnames if n.startswith("Tornado"))]
    shown = {ws.cell(3, c).value: openpyxl.utils.get_column_letter(c) for c in range(1, ws.max_column + 1)}
    names = ("low_input", "low_change", "high_change")
    header = {k: shown[tornado_header(k, "npv_inr_cr")] for k in names}  # headers in words (issue 14)
    assert not any("_" in str(h) for h in shown if h)
    chart = ws._charts[0]
    refs = [s.val.numRef.f for s in chart.series]
    assert refs == [
        f"'{ws.title}'!${header[k]}$4:${header[k]}${3 + len(tornadoes['npv_inr_cr'].table)}"
        for k in ("low_change", "high_change")
    ]
    assert [s.tx.v for s in chart.series] == ["low input", "high input"]
    assert chart.x_axis.tickLblPos == "low"  # names clear of the bars
    # the changes are KPI minus base, by hand from the table's own columns
    t = tornadoes["npv_inr_cr"].table
    r = 4
    assert ws[f"{header['low_change']}{r}"].value == pytest.approx(t["kpi_low"].iloc[0] - base)
    # FY inputs as years
    fy_rows = [i for i, p in enumerate(t["parameter"]) if str(p).endswith("_fy")]
    assert fy_rows
    # review 17 item 4: a year reads FY30 (text, as on every page), not FY2030 (the old '"FY"0' format) or 2,030
    low_fy = float(t["low_input"].iloc[fy_rows[0]])
    assert ws[f"{header['low_input']}{4 + fy_rows[0]}"].value == f"FY{round(low_fy) % 100:02d}"


def test_spider_at_most_ten_distinct_colours(sweep: tuple) -> None:
    _, spiders, _, _ = sweep
    table = spiders["npv_inr_cr"]
    assert len(table) > SPIDER_LINES  # the spec sweeps more inputs than a reader can tell apart
    fig = spider_figure(table, "npv_inr_cr", "base")
    assert len(fig.data) == SPIDER_LINES
    assert len({tr.line.color for tr in fig.data}) == SPIDER_LINES
    assert len(set(SPIDER_COLOURS)) == len(SPIDER_COLOURS) == SPIDER_LINES
    swing = (table.max(axis=1) - table.min(axis=1)).sort_values(ascending=False)
    assert [tr.name for tr in fig.data] == list(swing.index[:SPIDER_LINES])


def test_heatmap_centred_labelled_and_stated(sweep: tuple) -> None:
    _, _, grids, base = sweep
    grid = grids["npv_inr_cr"]
    fig = heatmap_figure(grid, "npv_inr_cr", "base", base)
    z = grid.to_numpy()
    centre, text = heatmap_centre(grid, base)
    if z.min() < 0 < z.max():
        assert (centre, text) == (0.0, "zero")
    else:
        assert (centre, text) == (base, "the base case")
    assert fig.data[0].zmid == centre
    assert fig.data[0].texttemplate  # every cell labelled
    assert "centred on" in fig.layout.title.text
    assert "INR crore" in fig.data[0].colorbar.title.text
    assert heatmap_centre(grid.abs() + 1.0, 123.0) == (123.0, "the base case")


def test_inputs_read_as_a_reader_writes_them() -> None:
    assert input_text("transition.local_cells_start_fy", 2030.0) == "FY30"
    assert input_text("timeline.discount_rate", 0.125) == "12.5%"
    assert input_text("capex.phases.cell_plant_1.capex_inr_cr", 2750.0) == "2,750"

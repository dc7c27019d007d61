"""Sensitivity exports that do not mislead (issue 14 item 5): the tornado chart plots both sides from the right
columns, the spider shows at most ten distinct colours, the data table's colours are centred and stated, and
fiscal years read as years."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import tem
from tem import catalogue
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
from tem.analysis.sensitivity.sweeps import Tornado, axis, data_table, spider, tornado
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


def _hand_tornado(kpi: str, base: float, lows: list[float], highs: list[float]) -> Tornado:
    """A tornado table written by hand (two inputs), with the columns :func:`tornado` gives."""
    swing = [abs(h - lo) for lo, h in zip(lows, highs, strict=True)]
    table = pd.DataFrame(
        {
            "parameter": ["cells.imported.fob_price_usd_per_kwh", "timeline.discount_rate"],
            "label": ["Imported cell price (FOB)", "Discount rate"],
            "low_input": [45.0, 0.10],
            "high_input": [60.0, 0.15],
            "base_input": [50.0, 0.125],
            "kpi_low": lows,
            "kpi_high": highs,
            "swing": swing,
            "gates_low": ["", ""],
            "gates_high": ["", ""],
        }
    )
    return Tornado(kpi, base, table)


def test_tornado_differences_of_rates_in_points_and_of_years_in_years() -> None:
    """The swing and the changes from the base are differences: of a rate (IRR) in percentage points (x 100,
    "pts"), of a fiscal year in years, never in % or as a year ("FY8" for a swing of 8 years); the KPI at the low
    and high input stays a rate in % and a year as FY41. Review 17 item 7 / note 5 (sweep tornado)."""
    irr = _hand_tornado("irr", 0.033, [-0.031, 0.030], [0.074, 0.0331])
    fy = _hand_tornado("crossover_fy", 2036.0, [2041.0, 2036.0], [2033.0, 2037.0])
    wb = openpyxl.load_workbook(io.BytesIO(render_sensitivity_workbook("base", {"irr": irr, "crossover_fy": fy}, {}, {})))
    for kpi, t in (("irr", irr), ("crossover_fy", fy)):
        ws = wb[next(n for n in wb.sheetnames if n.startswith("Tornado") and catalogue.label(kpi)[:10] in n)]
        col = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1)}
        for i, rec in enumerate(t.table.itertuples()):
            r = 4 + i
            low, high = ws.cell(r, col[tornado_header("kpi_low", kpi)]), ws.cell(r, col[tornado_header("kpi_high", kpi)])
            swing = ws.cell(r, col[tornado_header("swing", kpi)])
            change_low = ws.cell(r, col[tornado_header("low_change", kpi)])
            change_high = ws.cell(r, col[tornado_header("high_change", kpi)])
            if kpi == "irr":
                assert (low.value, low.number_format) == (rec.kpi_low, "0.0%")
                assert swing.value == pytest.approx(100 * abs(rec.kpi_high - rec.kpi_low))
                assert swing.number_format == '0.0" pts";-0.0" pts";0.0" pts"'
                assert change_low.value == pytest.approx(100 * (rec.kpi_low - 0.033))
                assert change_low.number_format == '+0.0" pts";-0.0" pts";0.0" pts"'
                # +0.01 pts rounds to +0.0 pts: written 0, never shown as -0.0 or with a stray digit
                expected = 100 * (rec.kpi_high - 0.033)
                assert change_high.value == pytest.approx(0.0 if abs(expected) < 0.05 else expected)
            else:
                assert low.value == f"FY{int(rec.kpi_low) % 100:02d}"
                assert high.value == f"FY{int(rec.kpi_high) % 100:02d}"
                assert swing.value == abs(rec.kpi_high - rec.kpi_low)
                assert swing.number_format == '0" years";-0" years";0" years"'
                assert change_low.value == rec.kpi_low - 2036.0
                assert change_low.number_format == '+0" years";-0" years";0" years"'
        assert "(%)" not in " ".join(str(v) for v in col if v)  # no unit beside values whose format shows it
        chart = ws._charts[0]
        unit = "percentage points" if kpi == "irr" else "years"
        assert chart.y_axis.number_format.formatCode == catalogue.difference_excel(kpi)[1]
        assert chart.y_axis.title.tx.rich.p[0].r[0].t == f"change of {catalogue.label(kpi)} ({unit})"

"""Sensitivity exports: an Excel workbook (tornado with a native bar chart, spider, data table with a colour
scale) and plotly figures (tornado, spider, data-table heatmap)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.analysis.sensitivity.sweeps import Tornado
from tem.assumptions.input_kinds import input_kind
from tem.exports.workbook.printing import board_print
from tem.exports.workbook.style import HEADER, SECTION, TITLE, put_text

LOW, HIGH = "#0072B2", "#D55E00"  # Okabe-Ito blue / vermillion
SPIDER_LINES = 10  # the inputs with the widest swing; more lines than distinct colours cannot be told apart
# ten distinct colours (Okabe-Ito and Tableau), none repeated: one per spider line
SPIDER_COLOURS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#8C564B",
    "#7F7F7F",
    "#BCBD22",
)


def input_text(path: str, x: float, *, with_unit: bool = False) -> str:
    """An input's value as a reader reads it, in its kind (:func:`input_kind`): FYs as FY30 (not 2,030), rates and
    shares as % (a customs duty 2.5%, not 0.025), money and prices as the catalogue shows them (``with_unit``:
    ``13.0 USD/kWh``), else 4 digits."""
    return catalogue.format_kind(input_kind(path), x, with_unit=with_unit)


def input_format(path: str) -> str:
    """The Excel number format of an input's value (see :func:`input_text`)."""
    return catalogue.kind_excel(input_kind(path))


def spider_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The :data:`SPIDER_LINES` inputs whose KPI moves most over the spider's range, widest first."""
    swing = (table.max(axis=1) - table.min(axis=1)).fillna(0.0)
    return table.loc[swing.sort_values(ascending=False, kind="stable").index[:SPIDER_LINES]]


def gate_note(low: str, high: str) -> str:
    """The gate decisions an input's low or high value changes, for a bar's label ("" when none): at that value
    the KPI is the one of another program (e.g. without the cell plants), not only other cash flows."""
    parts = [f"low: {low}" if low else "", f"high: {high}" if high else ""]
    shown = "; ".join(p for p in parts if p)
    return f"<br><i>gate {shown}</i>" if shown else ""


def tornado_figure(t: Tornado, scenario: str, top: int = 20) -> go.Figure:
    """Horizontal bars from the base value to the KPI at each parameter's low and high, largest swing on top."""
    rows = t.table.head(top).iloc[::-1]

    labels = [
        f"{label} ({input_text(str(path), float(lo))} / {input_text(str(path), float(hi))})"
        + gate_note(str(g_lo), str(g_hi))
        for label, path, lo, hi, g_lo, g_hi in zip(
            rows["label"],
            rows["parameter"],
            rows["low_input"],
            rows["high_input"],
            rows["gates_low"],
            rows["gates_high"],
            strict=True,
        )
    ]
    fig = go.Figure()
    fig.add_bar(y=labels, x=rows["kpi_low"] - t.base, base=t.base, orientation="h", name="low input", marker_color=LOW)
    fig.add_bar(y=labels, x=rows["kpi_high"] - t.base, base=t.base, orientation="h", name="high input", marker_color=HIGH)
    base = catalogue.format_value(t.kpi, t.base, with_unit=True)
    fig.add_vline(x=t.base, line_dash="dash", annotation_text=f"base {base}")
    fig.update_layout(
        barmode="overlay",
        title=f"{scenario}: tornado of {catalogue.label(t.kpi)}",
        xaxis=catalogue.plotly_axis(t.kpi),
        template="plotly_white",
        height=max(400, 28 * len(rows) + 150),
        margin={"l": 320},
    )
    return fig


def spider_figure(table: pd.DataFrame, kpi: str, scenario: str) -> go.Figure:
    """The KPI against each input's relative change, for the :data:`SPIDER_LINES` inputs that move it most (the
    CSV and the workbook table have them all), one distinct colour each."""
    shown = spider_rows(table)
    fig = go.Figure()
    for i, (name, row) in enumerate(shown.iterrows()):
        fig.add_scatter(
            x=list(table.columns),
            y=row.to_numpy(),
            mode="lines+markers",
            name=str(name),
            line={"color": SPIDER_COLOURS[i % len(SPIDER_COLOURS)]},
        )
    more = f" (the {len(shown)} inputs that move it most of {len(table)})" if len(shown) < len(table) else ""
    fig.update_layout(
        title=f"{scenario}: spider of {catalogue.label(kpi)}{more}",
        xaxis={"title": {"text": "change of the input"}, "tickformat": "+.0%"},
        yaxis=catalogue.plotly_axis(kpi),
        template="plotly_white",
        height=600,
    )
    return fig


def heatmap_centre(grid: pd.DataFrame, base: float | None) -> tuple[float, str]:
    """The value the diverging colour scale is centred on, and how to say so: zero when the grid spans zero
    (red below, blue above), else the base case's value when given, else the grid's middle value."""
    z = grid.to_numpy(dtype=float)
    lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
    if lo < 0.0 < hi or base is None or not math.isfinite(base):
        return (0.0, "zero") if lo < 0.0 < hi else ((lo + hi) / 2.0, "the middle of the range")
    return base, "the base case"


def heatmap_figure(grid: pd.DataFrame, kpi: str, scenario: str, base: float | None = None) -> go.Figure:
    """Diverging heatmap (red below the centre, blue above) with every cell labelled in the KPI's format; the
    centre is zero when the grid spans it, else the base case's value (stated in the subtitle)."""
    centre, centre_text = heatmap_centre(grid, base)
    fmt = catalogue.plotly_axis(kpi)["tickformat"]
    paths = (str(grid.columns.name), str(grid.index.name))
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[input_text(paths[0], float(v)) for v in grid.columns],
            y=[input_text(paths[1], float(v)) for v in grid.index],
            colorscale="RdBu",
            zmid=centre,
            texttemplate=f"%{{z:{fmt}}}",
            textfont={"size": 11},
            colorbar={"title": catalogue.axis_title(kpi), "tickformat": fmt},
            hovertemplate=f"%{{y}} / %{{x}}: %{{z:{fmt}}}<extra></extra>",
        )
    )
    fig.update_layout(
        title=(
            f"{scenario}: {catalogue.axis_title(kpi)} by {grid.columns.name} and {grid.index.name}"
            f"<br><sup>colours centred on {centre_text} ({catalogue.format_value(kpi, centre, with_unit=True)})</sup>"
        ),
        xaxis_title=str(grid.columns.name),
        yaxis_title=str(grid.index.name),
        template="plotly_white",
    )
    return fig


def _frame(ws: Worksheet, frame: pd.DataFrame, top: int, left: int = 1, index_name: str = "") -> int:
    put_text(ws, top, left, index_name or frame.index.name or "").font = HEADER
    for j, col in enumerate(frame.columns):
        _put(ws, top, left + 1 + j, col).font = HEADER
    for i, (idx, row) in enumerate(frame.iterrows()):
        _put(ws, top + 1 + i, left, idx)
        for j, value in enumerate(row):
            if isinstance(value, float) and math.isnan(value):
                continue  # out of range: left blank
            _put(ws, top + 1 + i, left + 1 + j, value)
    return top + 1 + len(frame)


DIFFERENCES = {"swing": False, "low_change": True, "high_change": True}  # tornado columns of differences: signed?


def tornado_header(column: str, kpi: str) -> str:
    """A tornado table column as a reader reads it: ``kpi_low`` -> ``NPV (INR crore) at the low input``; the unit
    only where the cells do not show it (``IRR at the low input`` beside ``3.3%``, ``change at the low input``
    beside ``+1.2 pts``)."""
    shown = catalogue.row_title(kpi)
    unit = catalogue.unit_column(kpi)  # "" for a rate, a year, a multiple: their formats show the unit
    change = f" ({unit})" if unit else ""
    words = {
        "parameter": "input path (tem --set)",
        "low_input": "low input",
        "high_input": "high input",
        "base_input": "base input",
        "kpi_low": f"{shown} at the low input",
        "kpi_high": f"{shown} at the high input",
        "swing": f"swing of {shown}",
        "gates_low": "gate decisions at the low input",
        "gates_high": "gate decisions at the high input",
        "low_change": f"change at the low input{change}",
        "high_change": f"change at the high input{change}",
    }
    return words.get(column, column.replace("_", " "))


def _tornado_formats(ws: Worksheet, frame: pd.DataFrame, kpi: str, end: int) -> None:
    """Inputs in their own format (FYs as years), KPI values in the KPI's (a fiscal year as the text FY36); the
    swing and the changes are differences: a rate's in percentage points, a year's in years (catalogue)."""
    paths = list(frame["parameter"]) if "parameter" in frame.columns else []
    kind = catalogue.kpi(kpi).kind
    for j, name in enumerate(frame.columns):
        col = 2 + j
        for i in range(4, end):
            cell = ws.cell(i, col)
            value = cell.value
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if name in ("low_input", "high_input", "base_input") and paths:
                _fy_as_text(ws, cell, str(paths[i - 4]))
            elif name in ("kpi_low", "kpi_high") and kind == "fy" and isinstance(value, (int, float)) and number:
                put_text(ws, i, col, catalogue.format_value(kpi, value)).alignment = Alignment(horizontal="right")
            elif name in DIFFERENCES and kind in ("rate", "fy") and isinstance(value, (int, float)) and number:
                cell.value, cell.number_format = catalogue.difference_cell(kpi, float(value), signed=DIFFERENCES[name])
            elif name in ("kpi_low", "kpi_high", *DIFFERENCES):
                cell.number_format = catalogue.excel_format(kpi)


def _fy_as_text(ws: Worksheet, cell: Cell, path: str) -> None:
    """An input's value in its format; a fiscal year as the text FY31 (:func:`input_text`), as on every page."""
    if path.endswith("_fy") and isinstance(cell.value, (int, float)):
        put_text(ws, cell.row, cell.column, input_text(path, float(cell.value))).alignment = Alignment(horizontal="right")
    else:
        cell.number_format = input_format(path)


def _years_as_text(ws: Worksheet, kpi: str, first_row: int, end: int, n_cols: int) -> None:
    """The fiscal years of a table (rows ``first_row`` to ``end - 1``, value columns B on) as the text FY36, as
    the tornado and every page show a year (a number formatted "FY"0 reads FY2036); none where there is none."""
    for row in ws.iter_rows(min_row=first_row, max_row=end - 1, min_col=2, max_col=1 + n_cols):
        for cell in row:
            if isinstance(cell.value, (int, float)):
                text = catalogue.format_value(kpi, float(cell.value))
                put_text(ws, cell.row, cell.column, text).alignment = Alignment(horizontal="right")


def _base_of(table: pd.DataFrame) -> float:
    """The base case of a spider: its column of no change (0%)."""
    middle = table.columns[len(table.columns) // 2]
    zero = next((c for c in table.columns if str(c).strip("+-") in ("0%", "0", "0.0")), middle)
    return float(table[zero].dropna().iloc[0])


def _put(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """A number as a number, anything else as text (through the one text-safe writer)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ws.cell(row, col, value)
    return put_text(ws, row, col, value)


def render_sensitivity_workbook(
    scenario: str,
    tornadoes: dict[str, Tornado],
    spiders: dict[str, pd.DataFrame],
    grids: dict[str, pd.DataFrame],
    bases: dict[str, float] | None = None,
) -> bytes:
    """The sensitivity workbook; ``bases``: each KPI's base-case value (centres the data table's colours when the
    table does not span zero)."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for kpi, t in tornadoes.items():
        ws = wb.create_sheet(f"Tornado {catalogue.label(kpi)}"[:31])
        base = catalogue.format_value(kpi, t.base, with_unit=True)
        put_text(ws, 1, 1, f"{scenario}: tornado of {catalogue.label(kpi)} (base {base})").font = TITLE
        table = t.table.assign(low_change=t.table["kpi_low"] - t.base, high_change=t.table["kpi_high"] - t.base)
        frame = table.set_index("label")
        end = _frame(ws, frame, 3, index_name="input")
        _tornado_formats(ws, frame, kpi, end)
        for j, name in enumerate(frame.columns):  # headers in words, the KPI's label and unit from the catalogue
            ws.cell(3, 2 + j).value = tornado_header(str(name), kpi)
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"Change of {catalogue.label(kpi)} from the base ({catalogue.difference_unit(kpi)})"
        chart.grouping, chart.overlap = "clustered", 100
        cats = Reference(ws, min_col=1, min_row=4, max_row=end - 1)
        for name in ("low_change", "high_change"):  # frame column j sits in sheet column j + 2 (A holds the label)
            col = 2 + list(frame.columns).index(name)
            chart.add_data(Reference(ws, min_col=col, min_row=3, max_row=end - 1), titles_from_data=True)
        chart.series[0].tx = SeriesLabel(v="low input")
        chart.series[1].tx = SeriesLabel(v="high input")
        chart.set_categories(cats)
        if catalogue.kpi(kpi).kind in ("rate", "fy"):  # the bars are differences: points, years
            chart.y_axis.title = f"change of {catalogue.label(kpi)} ({catalogue.difference_unit(kpi)})"
            chart.y_axis.number_format = catalogue.difference_excel(kpi)[1]
        else:
            chart.y_axis.title = catalogue.axis_title(kpi)
            chart.y_axis.number_format = catalogue.excel_format(kpi)
        chart.x_axis.tickLblPos = "low"  # input names left of the plot, clear of bars that go below zero
        chart.x_axis.scaling.orientation = "maxMin"  # largest swing on top, as in the table
        chart.height, chart.width = min(15.0, max(8.0, 0.5 * len(frame) + 3)), 24  # fits an A4 landscape page
        ws.add_chart(chart, f"B{end + 2}")
        ws.column_dimensions["A"].width = 34
        ws.column_dimensions["B"].width = 40
    for kpi, table in spiders.items():
        ws = wb.create_sheet(f"Spider {catalogue.label(kpi)}"[:31])
        put_text(ws, 1, 1, f"{scenario}: spider of {catalogue.row_title(kpi)}").font = TITLE  # "IRR", not "IRR (%)"
        end = _frame(ws, table, 3, index_name="parameter")
        top = 3  # the block the chart reads: the values, or for a year their change from the base in years
        if catalogue.kpi(kpi).kind == "fy":  # a year reads FY36, as in the tornado; its changes are in years
            _years_as_text(ws, kpi, 4, end, len(table.columns))
            base_year = (bases or {}).get(kpi, _base_of(table))
            top = end + 1
            said = f"Change of {catalogue.label(kpi)} from the base ({catalogue.format_value(kpi, base_year)}), in years"
            put_text(ws, top, 1, said).font = SECTION
            top += 1
            end = _frame(ws, table - base_year, top, index_name="parameter")
            for row in ws.iter_rows(min_row=top + 1, max_row=end - 1, min_col=2, max_col=1 + len(table.columns)):
                for cell in row:
                    cell.number_format = catalogue.difference_excel(kpi)[1]
        else:
            for row in ws.iter_rows(min_row=4, max_row=end - 1, min_col=2, max_col=1 + len(table.columns)):
                for cell in row:
                    cell.number_format = catalogue.excel_format(kpi)
        shown = spider_rows(table)
        line = LineChart()
        line.title = f"{catalogue.label(kpi)} by relative change (the {len(shown)} inputs that move it most)"
        order = {name: i for i, name in enumerate(table.index)}
        for r in sorted(top + 1 + order[name] for name in shown.index):
            line.add_data(
                Reference(ws, min_col=1, max_col=1 + len(table.columns), min_row=r), from_rows=True, titles_from_data=True
            )
        line.set_categories(Reference(ws, min_col=2, max_col=1 + len(table.columns), min_row=top))
        for i, series in enumerate(line.series):
            series.graphicalProperties.line.solidFill = SPIDER_COLOURS[i % len(SPIDER_COLOURS)].lstrip("#")
        if top > 3:
            line.title = f"Change of {catalogue.label(kpi)} from the base by relative change (years)"
            line.y_axis.number_format = catalogue.difference_excel(kpi)[1]
        else:
            line.y_axis.number_format = catalogue.excel_format(kpi)
        line.x_axis.number_format = "+0%;-0%;0%"
        line.x_axis.tickLblPos = "low"
        line.height, line.width = 12, 22
        ws.add_chart(line, f"B{end + 2}")
        ws.column_dimensions["A"].width = 34
    for kpi, grid in grids.items():
        ws = wb.create_sheet(f"Data table {catalogue.label(kpi)}"[:31])
        title = f"{scenario}: {catalogue.row_title(kpi)}; rows {grid.index.name}, columns {grid.columns.name}"
        put_text(ws, 1, 1, title).font = TITLE
        end = _frame(ws, grid, 3, index_name=f"{grid.index.name} \\ {grid.columns.name}")
        last_col = ws.cell(3, 1 + len(grid.columns)).column_letter
        for j in range(len(grid.columns)):
            _fy_as_text(ws, ws.cell(3, 2 + j), str(grid.columns.name))
        for i in range(len(grid.index)):
            _fy_as_text(ws, ws.cell(4 + i, 1), str(grid.index.name))
            for j in range(len(grid.columns)):
                ws.cell(4 + i, 2 + j).number_format = catalogue.excel_format(kpi)
        centre, centre_text = heatmap_centre(grid, (bases or {}).get(kpi))
        centre_value = catalogue.format_value(kpi, centre, with_unit=True)
        put_text(ws, 2, 1, f"Colours: red below {centre_text} ({centre_value}), blue above")
        coloured = 4
        if catalogue.kpi(kpi).kind == "fy":  # FY36 as in the tornado; the colours on the change in years below
            _years_as_text(ws, kpi, 4, end, len(grid.columns))
            top = end + 1
            said = f"Change of {catalogue.label(kpi)} from {centre_text} ({centre_value}), in years"
            put_text(ws, top, 1, said).font = SECTION
            end = _frame(ws, grid - centre, top + 1, index_name=f"{grid.index.name} \\ {grid.columns.name}")
            for j in range(len(grid.columns)):
                _fy_as_text(ws, ws.cell(top + 1, 2 + j), str(grid.columns.name))
            for i in range(len(grid.index)):
                _fy_as_text(ws, ws.cell(top + 2 + i, 1), str(grid.index.name))
                for j in range(len(grid.columns)):
                    ws.cell(top + 2 + i, 2 + j).number_format = catalogue.difference_excel(kpi)[1]
            coloured, centre = top + 2, 0.0
            put_text(ws, 2, 1, f"Colours (on the change in years): red before {centre_text} ({centre_value}), blue after")
        ws.conditional_formatting.add(  # diverging, centred (as in the heatmap chart)
            f"B{coloured}:{last_col}{end - 1}",
            ColorScaleRule(
                start_type="min",
                start_color="D6604D",
                mid_type="num",
                mid_value=centre,
                mid_color="F7F7F7",
                end_type="max",
                end_color="4393C3",
            ),
        )
    for ws in wb.worksheets:
        board_print(ws, f"{scenario}: sensitivity", title_cols="A:A")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

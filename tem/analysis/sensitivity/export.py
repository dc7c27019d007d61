"""Sensitivity exports: an Excel workbook (tornado with a native bar chart, spider, data table with a colour
scale) and plotly figures (tornado, spider, data-table heatmap)."""

from __future__ import annotations

import io
import math

import pandas as pd
import plotly.graph_objects as go
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.analysis.sensitivity.sweeps import Tornado
from tem.exports.workbook.style import HEADER, TITLE, put_text

LOW, HIGH = "#0072B2", "#D55E00"  # Okabe-Ito blue / vermillion


def tornado_figure(t: Tornado, scenario: str, top: int = 20) -> go.Figure:
    """Horizontal bars from the base value to the KPI at each parameter's low and high, largest swing on top."""
    rows = t.table.head(top).iloc[::-1]

    def fmt(path: str, x: float) -> str:
        return f"{x:.0f}" if path.endswith("_fy") else f"{x:,.4g}"

    labels = [
        f"{label} ({fmt(str(path), float(lo))} / {fmt(str(path), float(hi))})"
        for label, path, lo, hi in zip(rows["label"], rows["parameter"], rows["low_input"], rows["high_input"], strict=True)
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
    fig = go.Figure()
    for name, row in table.iterrows():
        fig.add_scatter(x=list(table.columns), y=row.to_numpy(), mode="lines+markers", name=str(name))
    fig.update_layout(
        title=f"{scenario}: spider of {catalogue.label(kpi)}",
        xaxis={"title": {"text": "change of the input"}, "tickformat": "+.0%"},
        yaxis=catalogue.plotly_axis(kpi),
        template="plotly_white",
        height=600,
    )
    return fig


def heatmap_figure(grid: pd.DataFrame, kpi: str, scenario: str) -> go.Figure:
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[f"{v:,.4g}" for v in grid.columns],
            y=[f"{v:,.4g}" for v in grid.index],
            colorscale="RdBu",
            zmid=0 if (grid.to_numpy().min() < 0 < grid.to_numpy().max()) else None,
            colorbar={"title": catalogue.axis_title(kpi), "tickformat": catalogue.plotly_axis(kpi)["tickformat"]},
        )
    )
    fig.update_layout(
        title=f"{scenario}: {catalogue.label(kpi)} by {grid.columns.name} and {grid.index.name}",
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


def _put(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """A number as a number, anything else as text (through the one text-safe writer)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ws.cell(row, col, value)
    return put_text(ws, row, col, value)


def render_sensitivity_workbook(
    scenario: str, tornadoes: dict[str, Tornado], spiders: dict[str, pd.DataFrame], grids: dict[str, pd.DataFrame]
) -> bytes:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for kpi, t in tornadoes.items():
        ws = wb.create_sheet(f"Tornado {catalogue.label(kpi)}"[:31])
        base = catalogue.format_value(kpi, t.base, with_unit=True)
        put_text(ws, 1, 1, f"{scenario}: tornado of {catalogue.label(kpi)} (base {base})").font = TITLE
        table = t.table.assign(low_change=t.table["kpi_low"] - t.base, high_change=t.table["kpi_high"] - t.base)
        end = _frame(ws, table.set_index("label"), 3, index_name="parameter")
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"Change of {catalogue.label(kpi)} from the base ({catalogue.unit(kpi)})"
        chart.grouping, chart.overlap = "clustered", 100
        ncols = len(table.columns)
        cats = Reference(ws, min_col=1, min_row=4, max_row=end - 1)
        for offset in (ncols - 1, ncols):  # low_change, high_change
            chart.add_data(Reference(ws, min_col=1 + offset, min_row=3, max_row=end - 1), titles_from_data=True)
        chart.set_categories(cats)
        chart.y_axis.title = catalogue.axis_title(kpi)
        chart.height, chart.width = 12, 22
        ws.add_chart(chart, f"B{end + 2}")
        ws.column_dimensions["A"].width = 34
        ws.column_dimensions["B"].width = 40
    for kpi, table in spiders.items():
        ws = wb.create_sheet(f"Spider {catalogue.label(kpi)}"[:31])
        put_text(ws, 1, 1, f"{scenario}: spider of {catalogue.axis_title(kpi)}").font = TITLE
        end = _frame(ws, table, 3, index_name="parameter")
        line = LineChart()
        line.title = f"{catalogue.label(kpi)} by relative change"
        for r in range(4, end):
            line.add_data(
                Reference(ws, min_col=1, max_col=1 + len(table.columns), min_row=r), from_rows=True, titles_from_data=True
            )
        line.set_categories(Reference(ws, min_col=2, max_col=1 + len(table.columns), min_row=3))
        line.height, line.width = 12, 22
        ws.add_chart(line, f"B{end + 2}")
        ws.column_dimensions["A"].width = 34
    for kpi, grid in grids.items():
        ws = wb.create_sheet(f"Data table {catalogue.label(kpi)}"[:31])
        title = f"{scenario}: {catalogue.axis_title(kpi)}; rows {grid.index.name}, columns {grid.columns.name}"
        put_text(ws, 1, 1, title).font = TITLE
        end = _frame(ws, grid, 3, index_name=f"{grid.index.name} \\ {grid.columns.name}")
        last_col = ws.cell(3, 1 + len(grid.columns)).column_letter
        ws.conditional_formatting.add(
            f"B4:{last_col}{end - 1}",
            ColorScaleRule(
                start_type="min",
                start_color="F8696B",
                mid_type="percentile",
                mid_value=50,
                mid_color="FFEB84",
                end_type="max",
                end_color="63BE7B",
            ),
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

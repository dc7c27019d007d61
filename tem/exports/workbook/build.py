"""The Excel workbook for board decks: a FAST-style live-formula model that reproduces the Python numbers.

Sheets: Cover (scenario, provenance, headline KPIs, conventions), Inputs (every input, styled as input),
Calculations (the model as formulas, one per row across the timeline), Import-only (the counterfactual, the same
formulas), Statement and Unit costs (board views linking to Calculations), KPIs (formulas), Checks (integrity
checks that hold under any edit; the Python values beside the formulas for the inputs as exported). Every formula
is saved with its value (:mod:`.cached`) and the file asks for a full recalculation on load.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.legend import LegendEntry
from openpyxl.styles import Alignment
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.worksheet import Worksheet

from tem import __version__, catalogue
from tem.assumptions.schema import Assumptions
from tem.assumptions.yearly import fy_label
from tem.exports.board import BoardSummary
from tem.exports.labels import run_caption
from tem.exports.workbook.allowed import add_validations, allowed_inputs
from tem.exports.workbook.cached import save_with_values
from tem.exports.workbook.calc import CalcSheet, volume_rows
from tem.exports.workbook.calc_allocation import local_allocation_rows
from tem.exports.workbook.calc_cash import cash_rows, operation_rows
from tem.exports.workbook.calc_costs import capex_rows, unit_cost_rows
from tem.exports.workbook.calc_funding import funding_rows
from tem.exports.workbook.calc_segments import rule_choices
from tem.exports.workbook.calc_tax import tax_rows
from tem.exports.workbook.checks import hidden_if_invalid, integrity_checks, write_checks
from tem.exports.workbook.counterfactual import SHEET as CF_SHEET
from tem.exports.workbook.counterfactual import write_counterfactual_inputs
from tem.exports.workbook.fastwrite import RawConflict, keep_raw_formulas
from tem.exports.workbook.funding_sheet import write_funding
from tem.exports.workbook.gates import gate_rows, link_kept_rows, reserve_kept_rows
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.inputs_sheet import mark_unread_inputs, write_inputs
from tem.exports.workbook.kpis_sheet import write_kpis
from tem.exports.workbook.printing import board_print
from tem.exports.workbook.rules import loader_rules
from tem.exports.workbook.steps import write_steps
from tem.exports.workbook.style import HEADER, KPI_FONT, SECTION, TITLE, put_text, restyle
from tem.exports.workbook.summary import write_statement, write_unit_costs
from tem.exports.workbook.summary_sheet import write_summary
from tem.model.engine import Outcome
from tem.model.inputs import build_inputs, import_only_inputs
from tem.model.results import Result

Expectations = dict[tuple[str, int, int], float | str]
COVER_B_CHARS = 70  # width of the Cover's value column (characters); long values wrap within it
CONVENTIONS = [
    "Money in INR crore (1 crore = 10 million rupees) unless a unit says otherwise; per-kWh costs in INR/kWh or USD/kWh.",
    "FY = Indian fiscal year April-March; FY26 = April 2025 to March 2026.",
    "Cash flows at year end; valuation at the start of the first FY (mid-year discounting if set on Inputs).",
    "Statement: money in positive, money out negative. Calculations: black formulas.",
    "Inputs: blue on light yellow; grey where no formula reads them (fixed here: edit the assumption file and re-run).",
    "Change any blue input: every formula, the statement and the KPIs recalculate.",
]


def build_workbook(
    result: Result,
    assumptions: Assumptions,
    manifest: dict[str, Any] | None = None,
    summary: BoardSummary | None = None,
    raw: bool = False,
) -> tuple[Workbook, Expectations]:
    """The workbook and, for every formula cell, the engine's value; with ``summary``, a first sheet Summary.

    ``raw``: the inner formula cells of the model sheets' rows kept as text beside the sheets
    (:func:`tem.exports.workbook.fastwrite.keep_raw_formulas`), for a workbook saved at once by
    :func:`render_workbook`: the same file, built and saved faster; without it every cell is an openpyxl cell."""
    o = result.outcome
    inp = o.inputs
    grid = Grid(inp.structure.n_years)
    wb = Workbook()
    if raw:
        keep_raw_formulas(wb)
    cover = wb.active
    assert cover is not None
    cover.title = "Cover"
    ws_in = wb.create_sheet("Inputs")
    ws_calc = wb.create_sheet("Calculations")
    ws_cf = wb.create_sheet(CF_SHEET)
    ws_st = wb.create_sheet("Statement")
    ws_uc = wb.create_sheet("Unit costs")
    ws_fund = wb.create_sheet("Funding")
    ws_kpi = wb.create_sheet("KPIs")
    ws_chk = wb.create_sheet("Checks")

    # the Inputs sheet shows the assumptions as given: a phase a gate removes keeps its capex there, and the
    # Calculations multiply it by the gate's outcome (the engine's inputs carry it already removed)
    shown = build_inputs(assumptions) if inp.structure.gates else inp
    write_inputs(ws_in, assumptions, shown, grid)
    # the counterfactual's own inputs, against the inputs as shown (with gates, the phases they remove follow
    # the scenario's kept_ rows on the Import-only sheet, as the engine builds it on the gated inputs)
    cf_grid = write_counterfactual_inputs(ws_in, grid, shown, import_only_inputs(shown))
    calc = _calculations(ws_calc, grid, o, f"{result.name}: calculations (live formulas over Inputs)")
    cf_calc = _calculations(
        ws_cf,
        cf_grid,
        result.counterfactual,
        f"{result.name}: import-only counterfactual (the same formulas; the replaced inputs are listed on Inputs)",
        funding=False,  # the counterfactual compares projects before financing
    )
    link_kept_rows(cf_calc, calc)
    if summary is not None and "valuation.hurdle_rate" in grid.inputs:
        grid.scalar_cell("valuation.hurdle_rate")  # the Summary's verdict reads it (written after the Checks)

    expect: Expectations = {("Calculations", r, c): v for (r, c), v in calc.expect.items()}
    expect |= {(CF_SHEET, r, c): v for (r, c), v in cf_calc.expect.items()}
    st_rows = write_statement(ws_st, grid, calc, result, expect)
    uc_rows = write_unit_costs(ws_uc, grid, result, expect)
    write_funding(ws_fund, grid, result, expect)
    kpi_rows = write_kpis(ws_kpi, grid, cf_grid, result, expect)
    allowed = allowed_inputs(assumptions, grid, ws_in, rule_choices(shown))  # the inputs read so far
    add_validations(ws_in, allowed)
    identities, scalar_checks = integrity_checks(grid, cf_grid, CF_SHEET, st_rows, kpi_rows, expect)
    rules = loader_rules(assumptions, grid, ws_in)
    checks = write_checks(ws_chk, grid, calc, kpi_rows, identities, scalar_checks, expect, allowed, rules)
    _cover(cover, result, assumptions, manifest, kpi_rows, checks, expect)
    _charts(ws_st, ws_uc, grid, st_rows, uc_rows)
    caption = run_caption(result.name, assumptions.overrides)
    for ws in (ws_in, ws_calc, ws_cf, ws_st, ws_uc, ws_fund, ws_chk):
        _layout(ws, grid)
    for ws in (ws_st, ws_uc):  # board views: labels in B, nothing in A (section titles overflow), D-F unused
        for col, width in (("A", 3), ("D", 1), ("E", 1), ("F", 1)):
            ws.column_dimensions[col].width = width
    board_print(ws_in, caption, title_rows="1:1", title_cols="A:C")
    for ws in (ws_calc, ws_cf, ws_st, ws_uc, ws_fund):
        board_print(ws, caption, title_rows="3:3", title_cols="A:C")
    board_print(ws_chk, caption, title_cols="A:C")
    board_print(ws_kpi, caption, print_area=f"A1:D{max(kpi_rows.values())}")
    board_print(cover, caption)
    if summary is not None:
        steps = []
        if summary.program_values and summary.decisions:  # the nested programs as live sheets
            labels = tuple(d.name for d in summary.decisions)
            values, year = summary.program_values, summary.dva_year
            steps = write_steps(wb, ws_in, grid, shown, labels, values, year, expect, _calculations)
            for cells in steps:
                _layout(wb[cells.sheet], grid)
                board_print(wb[cells.sheet], caption, title_rows="3:3", title_cols="A:C")
        ws_sum = wb.create_sheet("Summary", 0)
        write_summary(ws_sum, summary, grid, kpi_rows, expect, steps)
        board_print(ws_sum, caption)
        wb.active = 0
    mark_unread_inputs(ws_in, grid.used_input_rows)
    wb.calculation = CalcProperties(fullCalcOnLoad=True)
    return wb, expect


def render_workbook(
    result: Result,
    assumptions: Assumptions,
    manifest: dict[str, Any] | None = None,
    summary: BoardSummary | None = None,
) -> bytes:
    """The workbook as .xlsx bytes, every formula saved with its value (written by the caller, atomically)."""
    data, _ = render_with_report(result, assumptions, manifest, summary)
    return data


def render_with_report(
    result: Result,
    assumptions: Assumptions,
    manifest: dict[str, Any] | None = None,
    summary: BoardSummary | None = None,
) -> tuple[bytes, list[tuple[str, int, int]]]:
    """The .xlsx bytes and the formula cells saved without a cached value (the tests require none).

    Python's cyclic garbage collector is paused meanwhile: the build makes a few hundred thousand objects and
    frees almost none, so each collection would only walk them again (a tenth of the export's time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            wb, expect = build_workbook(result, assumptions, manifest, summary, raw=True)
            return save_with_values(wb, expect)
        except RawConflict:  # a builder wrote over a kept formula: the same workbook with every formula a cell
            wb, expect = build_workbook(result, assumptions, manifest, summary)
            return save_with_values(wb, expect)
    finally:
        if collecting:
            gc.enable()


def _calculations(ws: Worksheet, grid: Grid, o: Outcome, title: str, funding: bool = True) -> CalcSheet:
    """The model as formulas on ``ws`` (Calculations, or the import-only counterfactual with its own grid)."""
    inp = o.inputs
    put_text(ws, 1, 1, title).font = TITLE  # the scenario's name is user text: never a formula
    for j, h in enumerate(["key", "line item", "unit"]):
        restyle(ws.cell(3, 1 + j, h), HEADER)
    for t, fy in enumerate(inp.fiscal_years):
        restyle(ws.cell(3, FIRST_COL + t, fy_label(int(fy))), HEADER)
    ws.cell(2, 1, "References go to Inputs, to rows above, or to the previous column of a running balance.")
    calc = CalcSheet(ws, grid, o)
    calc.row("t", "Year index", "years", f"COLUMN()-COLUMN(${grid.col(0)}$1)", np.arange(grid.n_years, dtype=float))
    calc.row("fy", "Fiscal year", "FY", "{in:timeline.first_fy}+{t}", inp.fiscal_years.astype(float))
    reserve_kept_rows(calc, inp)
    volume_rows(calc, inp, o)
    unit_cost_rows(calc, inp, o)
    capex_rows(calc, inp, o)
    local_allocation_rows(calc, inp, o)
    operation_rows(calc, inp, o)
    tax_rows(calc, inp, o)
    cash_rows(calc, inp, o)
    if o.funding is not None and funding:
        funding_rows(calc, inp, o)
    gate_rows(calc, inp, o)
    ws.freeze_panes = ws.cell(4, FIRST_COL)
    return calc


def _cover(
    ws: Worksheet,
    result: Result,
    a: Assumptions,
    manifest: dict[str, Any] | None,
    kpi_rows: dict[str, int],
    checks: tuple[str, str],
    expect: Expectations,
) -> None:
    ws.cell(1, 1, "Battery localization program: techno-economic model").font = TITLE
    rows: list[tuple[str, Any]] = [
        ("Scenario", result.name),
        ("Description", a.description),
        ("Run date (UTC)", (manifest or {}).get("timestamp") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("Model version", f"tem {__version__}"),
        ("Git commit", (manifest or {}).get("git_commit") or "n/a"),
    ]
    r = 3
    for label, value in rows:
        put_text(ws, r, 1, label).font = HEADER
        ws.cell(r, 1).alignment = Alignment(vertical="top")
        cell = put_text(ws, r, 2, value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")  # a long description wraps within column B
        lines = sum(max(1, math.ceil(len(part) / COVER_B_CHARS)) for part in str(value).split("\n"))
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines
        r += 1
    r += 1
    ws.cell(r, 1, "Assumption files (SHA-256)").font = SECTION
    for path, sha in a.sources:
        r += 1
        put_text(ws, r, 1, path)
        put_text(ws, r, 2, sha)
    for path, value in a.overrides.items():
        r += 1
        put_text(ws, r, 1, f"override {path}")
        put_text(ws, r, 2, repr(value))
    r += 2
    ws.cell(r, 1, "Headline KPIs (formulas, see KPIs)").font = SECTION
    for key in (
        "npv_inr_cr",
        "irr",
        "peak_funding_inr_cr",
        "equity_irr",
        "min_dscr",
        "peak_equity_inr_cr",
        "total_capex_inr_cr",
        "levelized_pack_cost_inr_per_kwh",
        "levelized_pack_cost_usd_per_kwh",
        "incremental_npv_vs_import_inr_cr",
        "crossover_fy",
    ):
        r += 1
        kr = kpi_rows[key]
        kpis = ws.parent["KPIs"]
        for col, letter in ((1, "A"), (2, "B")):  # the figure: "invalid input" while an input is not allowed
            ws.cell(r, col, f"=KPIs!{letter}{kr}" if col == 1 else hidden_if_invalid(f"KPIs!{letter}{kr}"))
            expect[(ws.title, r, col)] = expect[("KPIs", kr, 2)] if col == 2 else str(kpis.cell(kr, col).value)
        ws.cell(r, 2).number_format = catalogue.excel_format(key)
        ws.cell(r, 2).alignment = Alignment(horizontal="right")
        put_text(ws, r, 3, catalogue.unit_column(key)).alignment = Alignment(horizontal="left", indent=1)
    r += 2
    for label, cell in (
        ("Integrity checks (hold after any edit of the inputs)", checks[0]),
        ("Equal to tem's Python run (as exported)", checks[1]),
    ):
        put_text(ws, r, 1, label).font = KPI_FONT
        # parity reads the model's values: with an invalid input (text in a number cell) an error value, not shown
        ws.cell(r, 2, f"={cell}" if cell == checks[0] else hidden_if_invalid(cell)).font = KPI_FONT
        sheet, _, ref = cell.partition("!")
        expect[(ws.title, r, 2)] = expect[(sheet, int(ref[1:]), 5)]  # Checks!E3 / E4
        r += 1
    r += 2
    ws.cell(r, 1, "Conventions").font = SECTION
    for line in CONVENTIONS:
        r += 1
        put_text(ws, r, 1, line)
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = COVER_B_CHARS


def _gaps_in_libreoffice(chart: LineChart, ws: Worksheet, grid: Grid) -> None:
    """Years without a value (blank text, e.g. no local cells yet) as gaps, not as points at zero.

    LibreOffice applies the chart's "leave gaps" setting only when a series meets a truly empty cell; otherwise it
    plots text results as 0 (seen on the cell-cost chart, issue 14). An extra series over an empty row of the sheet,
    without line or legend entry, turns gaps on. (Excel plots text results as 0 in line charts whatever the setting:
    there the local-cell lines start from zero in the first years; the table beside shows them blank.)"""
    empty = ws.max_row + 1
    series = _series(ws, grid, empty, " ")
    series.graphicalProperties.line.noFill = True
    chart.series.append(series)
    chart.legend.legendEntry = [LegendEntry(idx=len(chart.series) - 1, delete=True)]


def _series(ws: Worksheet, grid: Grid, row: int, title: str, smooth: bool = False) -> Series:
    values = Reference(ws, min_col=FIRST_COL, max_col=FIRST_COL + grid.n_years - 1, min_row=row)
    series = Series(values, title=title)
    series.smooth = smooth
    return series


def _chart(chart: BarChart | LineChart, ws: Worksheet, grid: Grid, title: str, y_title: str) -> None:
    chart.title = title
    chart.y_axis.title = y_title
    chart.set_categories(Reference(ws, min_col=FIRST_COL, max_col=FIRST_COL + grid.n_years - 1, min_row=3))
    chart.height, chart.width = 9, 24
    chart.x_axis.tickLblPos = "low"  # FY labels below the plot even when values are negative


def _charts(ws_st: Worksheet, ws_uc: Worksheet, grid: Grid, st_rows: dict[str, int], uc_rows: dict[str, int]) -> None:
    bars = BarChart()
    bars.series.append(_series(ws_st, grid, st_rows["free_cash_flow"], "Free cash flow"))
    line = LineChart()
    line.series.append(_series(ws_st, grid, st_rows["cumulative_free_cash_flow"], "Cumulative free cash flow"))
    _chart(bars, ws_st, grid, "Free cash flow and cumulative cash", "INR crore")
    bars += line
    anchor = ws_st.max_row + 3
    ws_st.add_chart(bars, f"B{anchor}")

    vol = BarChart()
    vol.type, vol.grouping, vol.overlap = "col", "stacked", 100
    for key, title in (
        ("local_cells_gwh", "Cells made in India"),
        ("imported_cells_gwh", "Cells imported"),
        ("bought_in_packs_gwh", "Packs bought in"),
    ):
        vol.series.append(_series(ws_st, grid, st_rows[key], title))
    _chart(vol, ws_st, grid, "Cells made in India vs imported", "GWh")
    ws_st.add_chart(vol, f"B{anchor + 20}")

    cost = LineChart()
    for key, title in (
        ("imported_cell_replaced_landed_inr_per_kwh", "Imported cell it replaces, landed"),
        ("local_cell_variable_inr_per_kwh", "Local cell, variable cost"),
        ("local_cell_full_inr_per_kwh", "Local cell, full cost"),
    ):
        cost.series.append(_series(ws_uc, grid, uc_rows[key], title))
    _gaps_in_libreoffice(cost, ws_uc, grid)
    _chart(cost, ws_uc, grid, "Cell cost: imported landed vs made in India", "INR/kWh")
    anchor = ws_uc.max_row + 3
    ws_uc.add_chart(cost, f"B{anchor}")

    pack = BarChart()
    pack.type, pack.grouping, pack.overlap = "col", "stacked", 100
    for key, title in (
        ("pack_cells_inr_per_kwh", "Cells"),
        ("pack_non_cell_imported_inr_per_kwh", "Non-cell parts imported"),
        ("pack_non_cell_local_inr_per_kwh", "Non-cell parts local"),
        ("pack_assembly_inr_per_kwh", "Assembly"),
    ):
        pack.series.append(_series(ws_uc, grid, uc_rows[key], title))
    _chart(pack, ws_uc, grid, "Pack made in India: cost per kWh by component", "INR/kWh")
    ws_uc.add_chart(pack, f"B{anchor + 20}")


def _layout(ws: Worksheet, grid: Grid) -> None:
    widths = {"A": 30, "B": 46, "C": 12, "D": 30, "E": 14, "F": 2}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w
    for t in range(grid.n_years):
        ws.column_dimensions[grid.col(t)].width = 11


def is_missing(x: float) -> bool:
    return math.isnan(x)

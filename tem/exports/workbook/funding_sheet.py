"""The workbook's Funding sheet (P&L to PAT, debt schedule, DSCR, equity cash flow, sources and uses), linked to
the Calculations rows of :mod:`tem.exports.workbook.calc_funding`, and the funding KPIs' formulas."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.workbook.grid import FIRST_COL, SCALAR_COL, Grid
from tem.exports.workbook.style import HEADER, SECTION, TITLE, number_format, put_text
from tem.exports.workbook.summary import year_rows
from tem.model.results import Result

Expect = dict[tuple[str, int, int], float | str]
SU_LABELS = {"src": "Sources: ", "use": "Uses: "}
KPI_UNITS = {"rate": "fraction", "times": "x", "fy": "FY", "inr_cr": "INR crore", "status": "code"}

# (statement line key, Calculations row key, sign); None as calc key = a section title
FUNDING_LINES: list[tuple[str, str | None, float]] = [
    ("P&L to PAT", None, 1.0),
    ("ebitda", "ebitda", 1.0),
    ("pl_depreciation", "pl_dep", -1.0),
    ("pl_ebit", "pl_ebit", 1.0),
    ("interest_expense", "interest", -1.0),
    ("pbt", "pbt", 1.0),
    ("pl_tax", "lev_tax", -1.0),
    ("pat", "pat", 1.0),
    ("Debt schedule", None, 1.0),
    ("term_debt_opening", "td_open", 1.0),
    ("term_debt_drawn", "td_draw", 1.0),
    ("interest_during_construction", "td_idc", 1.0),
    ("term_debt_repaid", "td_rep", 1.0),
    ("term_debt_balloon", "td_balloon", 1.0),
    ("term_debt_closing", "td_close", 1.0),
    ("term_debt_interest_paid", "td_paid", 1.0),
    ("upfront_fees", "td_fee", 1.0),
    ("wc_loan_closing", "wcl_close", 1.0),
    ("wc_loan_interest", "wcl_int", 1.0),
    ("Debt service cover", None, 1.0),
    ("cfads", "cfads", 1.0),
    ("debt_service", "ds", 1.0),
    ("dscr", "dscr", 1.0),
    ("Equity", None, 1.0),
    ("equity_cash_flow", "eq", 1.0),
    ("cumulative_equity_cash_flow", "cum_eq", 1.0),
    ("equity_present_value", "eq_pv", 1.0),
]


NO = '"none"'  # shown where a funding KPI does not exist (no debt service, no equity IRR)


def _value(x: Any) -> float | str:
    """The cached value of a linked cell: the number, or blank text where the value does not exist (as the
    Calculations row shows it)."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return ""
    return value if math.isfinite(value) else ""


def _link(ws: Worksheet, grid: Grid, r: int, label: str, unit: str, calc_key: str, sign: float, fmt: str) -> None:
    put_text(ws, r, 2, label)
    put_text(ws, r, 3, catalogue.unit_text(unit))
    src = grid.rows[calc_key]
    for t in range(grid.n_years):
        col = grid.col(t)
        cell = ws.cell(r, FIRST_COL + t, f"={'-' if sign < 0 else ''}Calculations!{col}{src}")
        cell.number_format = fmt


def write_funding(ws: Worksheet, grid: Grid, result: Result, expect: Expect) -> dict[str, int]:
    """The Funding sheet; returns the row of each line."""
    f = result.outcome.funding
    assert f is not None
    put_text(ws, 1, 1, f"{result.name}: funding [INR crore unless stated]; outflows negative in the P&L").font = TITLE
    for j, h in enumerate(["line item", "", "unit", "", "total"]):
        ws.cell(3, 1 + j, h).font = HEADER
    for t, fy in enumerate(result.fiscal_years):
        ws.cell(3, FIRST_COL + t, fy).font = HEADER
    ws.freeze_panes = ws.cell(4, FIRST_COL)
    st = result.statement
    years = year_rows(st, result.fiscal_years)
    rows: dict[str, int] = {}
    r = 4
    for key, calc_key, sign in FUNDING_LINES:
        if calc_key is None:
            r += 1
            ws.cell(r, 1, key).font = SECTION
            r += 1
            continue
        entry = catalogue.line(key)
        _link(ws, grid, r, entry.label, entry.unit, calc_key, sign, entry.excel_format)
        for t, x in enumerate(years[key]):
            expect[(ws.title, r, FIRST_COL + t)] = _value(x)
        rows[key] = r
        r += 1
    r += 1
    ws.cell(r, 1, "Sources and uses of funds (total over the horizon in column E)").font = SECTION
    r += 1
    fmt = catalogue.excel_format("free_cash_flow")
    for side, values in (("src", f.sources), ("use", f.uses)):
        for key, arr in values.items():
            calc_key = f"{side}_{key}"
            _link(ws, grid, r, SU_LABELS[side] + key.replace("_", " "), "INR crore", calc_key, 1.0, fmt)
            row_values = np.broadcast_to(arr, (max(arr.shape[0], 1), grid.n_years))[result.index if arr.shape[0] > 1 else 0]
            for t in range(grid.n_years):
                expect[(ws.title, r, FIRST_COL + t)] = float(row_values[t])
            total = ws.cell(r, SCALAR_COL, f"=SUM({grid.col(0)}{r}:{grid.last_col}{r})")
            total.number_format = fmt
            expect[(ws.title, r, SCALAR_COL)] = float(row_values.sum())
            rows[calc_key] = r
            r += 1
        r += 1
    put_text(ws, r, 2, "Sources - uses (0 by construction)")
    put_text(ws, r, 3, "INR crore")
    columns = [(FIRST_COL + t, grid.col(t)) for t in range(grid.n_years)] + [(SCALAR_COL, "E")]
    for target, c in columns:
        src = "+".join(f"{c}{rows['src_' + k]}" for k in f.sources)
        use = "+".join(f"{c}{rows['use_' + k]}" for k in f.uses)
        ws.cell(r, target, f"={src}-({use})").number_format = number_format("INR crore")
        expect[(ws.title, r, target)] = 0.0  # by construction (the engine's sources equal its uses)
    rows["sources_minus_uses"] = r
    return rows


def funding_kpi_formulas(grid: Grid, result: Result) -> list[tuple[str, str, str, str, Any]]:
    """(key, label, unit, formula, Python value) of the funding KPIs; ``{irr_shown_equity}`` and
    ``{irr_status_equity}`` are the equity IRR block's cells (KPIs sheet, tem/exports/workbook/irr.py)."""
    row = grid.whole_row
    k = result.kpis
    ds_year = row("ds_year")
    dscr = row("dscr")
    cum = row("cum_eq_pre")
    life = f"({row('t')}>=MIN({ds_year}))*({row('t')}<=MAX({ds_year}))"
    items = [
        ("equity_npv_inr_cr", f"=SUM({row('eq_pv')})"),
        ("equity_irr", "={irr_shown_equity}"),  # tem's IRR rules as formulas (KPIs sheet, equity IRR search)
        ("equity_irr_status", "={irr_status_equity}"),
        ("peak_equity_inr_cr", f"=-MIN(0,MIN({cum}))"),
        ("peak_equity_fy", f"=IF(MIN({cum})<0,INDEX({row('fy')},MATCH(MIN({cum}),{cum},0)),{NO})"),
        ("min_dscr", f"=IF(COUNT({dscr})=0,{NO},MIN({dscr}))"),
        ("min_dscr_fy", f"=IF(COUNT({dscr})=0,{NO},INDEX({row('fy')},MATCH(MIN({dscr}),{dscr},0)))"),
        ("avg_dscr", f"=IF(COUNT({dscr})=0,{NO},AVERAGE({dscr}))"),
        (
            "llcr",
            f"=IF(COUNT({ds_year})=0,{NO},SUMPRODUCT({row('cfads')},{row('ddf')},{life})/SUMPRODUCT({row('ds')},{row('ddf')}))",
        ),
        ("term_debt_drawn_inr_cr", f"=SUM({row('td_draw')})"),
        ("interest_during_construction_inr_cr", f"=SUM({row('td_idc')})"),
    ]
    return [(key, catalogue.label(key), KPI_UNITS[catalogue.kpi(key).kind], formula, k[key]) for key, formula in items]

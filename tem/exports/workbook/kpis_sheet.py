"""The workbook's KPIs sheet: every KPI a live formula over Calculations (and the import-only sheet), labels,
units and formats from the catalogue; the IRR searches below the table (tem/exports/workbook/irr.py)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.workbook.counterfactual import SHEET as CF_SHEET
from tem.exports.workbook.funding_sheet import funding_kpi_formulas
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.irr import write_irr
from tem.exports.workbook.style import HEADER, KPI_FONT, TITLE, put_text
from tem.exports.workbook.summary import NONE, _number, cached
from tem.finance import IRR_STATUS_SHORT
from tem.model.results import Result

Expect = dict[tuple[str, int, int], float | str]
KPI_CELL = re.compile(r"B\{([a-z0-9_]+)\}")
UNIT_ALIGN = Alignment(horizontal="left", indent=1)  # a unit never touches the right-aligned value before it


def kpi_formulas(grid: Grid, cf_grid: Grid, result: Result) -> list[tuple[str, str, str, str, Any]]:
    """(key, label, unit, formula, Python value) for the KPIs sheet; ``B{key}`` in a formula is that KPI's cell.
    The import-only KPIs are formulas over the counterfactual sheet (``cf_grid``'s rows)."""
    row = grid.whole_row

    def cf_row(key: str) -> str:
        return cf_grid.whole_row(key, f"'{CF_SHEET}'")

    r = grid.scalar_cell("timeline.discount_rate")
    fin = grid.scalar_cell("valuation.mirr_finance_rate") if "valuation.mirr_finance_rate" in grid.inputs else r
    rei = grid.scalar_cell("valuation.mirr_reinvestment_rate") if "valuation.mirr_reinvestment_rate" in grid.inputs else r
    per_kwh = f"Inputs!$E${grid.constants['inr_per_kwh_per_inr_cr_gwh']}"
    k = result.kpis

    def payback(neg: str, cum: str, flow: str) -> str:
        last = f"MAX({row(neg)})"
        turn = f"{last}+1-INDEX({row(cum)},{last}+1)/INDEX({row(flow)},{last}+2)"
        return f'=IF({last}<0,0,IF({last}=MAX({row("t")}),"{NONE}",{turn}))'

    items = [
        ("npv_inr_cr", "NPV at the discount rate", "INR crore", f"=SUM({row('pv')})", k["npv_inr_cr"]),
        (
            "npv_without_terminal_value_inr_cr",
            "NPV without terminal value (working capital released)",
            "INR crore",
            f'=SUM({row("pv_before_tv")})+IF({grid.scalar_cell("valuation.terminal_value_method")}="none",0,'
            f"INDEX({row('wc')},{grid.n_years})*INDEX({row('df')},{grid.n_years}))",
            k["npv_without_terminal_value_inr_cr"],
        ),
        (
            "terminal_value_pv_inr_cr",
            "Terminal value, present value",
            "INR crore",
            f"=SUMPRODUCT({row('terminal_value')},{row('df_tv')})",
            k["terminal_value_pv_inr_cr"],
        ),
        ("irr", "IRR (or why there is none: IRR status)", "fraction", "={irr_shown}", k["irr"]),
        ("irr_status", "IRR status (0 found; 1-6 why none, see the IRR search)", "code", "={irr_status}", k["irr_status"]),
        ("mirr", "MIRR", "fraction", f'=IFERROR(MIRR({row("fcf")},{fin},{rei}),"{NONE}")', k["mirr"]),
        ("payback_years", "Payback", "years", payback("neg_fcf_year", "cum_fcf_pre", "fcf_before_tv"), k["payback_years"]),
        (
            "discounted_payback_years",
            "Discounted payback",
            "years",
            payback("neg_pv_year", "cum_pv_pre", "pv_before_tv"),
            k["discounted_payback_years"],
        ),
        (
            "peak_funding_inr_cr",
            "Peak funding",
            "INR crore",
            f"=-MIN(0,MIN({row('cum_fcf_pre')}))",
            k["peak_funding_inr_cr"],
        ),
        (
            "peak_funding_fy",
            "Peak funding in",
            "FY",
            f"=IF(MIN({row('cum_fcf_pre')})<0,INDEX({row('fy')},MATCH(MIN({row('cum_fcf_pre')}),{row('cum_fcf_pre')},0)),"
            f'"{NONE}")',
            k["peak_funding_fy"],
        ),
        ("total_capex_inr_cr", "Total capex (phases)", "INR crore", f"=SUM({row('capex_spend')})", k["total_capex_inr_cr"]),
        (
            "levelized_pack_cost_inr_per_kwh",
            "Levelized pack cost",
            "INR/kWh",
            f'=IFERROR(SUMPRODUCT({row("pack_costs")},{row("df")})/SUMPRODUCT({row("delivered")},{row("df")})*{per_kwh},"{NONE}")',
            k["levelized_pack_cost_inr_per_kwh"],
        ),
        (
            "levelized_pack_cost_usd_per_kwh",
            "Levelized pack cost",
            "USD/kWh",
            f'=IFERROR(SUMPRODUCT({row("pack_costs_usd")},{row("df")})/SUMPRODUCT({row("delivered")},{row("df")}),"{NONE}")',
            k["levelized_pack_cost_usd_per_kwh"],
        ),
        (
            "levelized_cell_cost_inr_per_kwh",
            "Levelized cell cost",
            "INR/kWh",
            f'=IFERROR(SUMPRODUCT({row("cell_costs")},{row("df")})/SUMPRODUCT({row("cells_used")},{row("df")})*{per_kwh},"{NONE}")',
            k["levelized_cell_cost_inr_per_kwh"],
        ),
        (
            "levelized_cell_cost_usd_per_kwh",
            "Levelized cell cost",
            "USD/kWh",
            f'=IFERROR(SUMPRODUCT({row("cell_costs_usd")},{row("df")})/SUMPRODUCT({row("cells_used")},{row("df")}),"{NONE}")',
            k["levelized_cell_cost_usd_per_kwh"],
        ),
        (
            "crossover_fy",
            "Local cells no dearer than imported from",
            "FY",
            f'=IF(COUNT({row("crossover_flag")})=0,"{NONE}",MIN({row("crossover_flag")}))',
            k["crossover_fy"],
        ),
        ("npv_import_only_inr_cr", "NPV of import-only", "INR crore", f"=SUM({cf_row('pv')})", k["npv_import_only_inr_cr"]),
        (
            "levelized_pack_cost_import_only_inr_per_kwh",
            "Levelized pack cost, import-only",
            "INR/kWh",
            f'=IFERROR(SUMPRODUCT({cf_row("pack_costs")},{cf_row("df")})/SUMPRODUCT({cf_row("delivered")},{cf_row("df")})'
            f'*{per_kwh},"{NONE}")',
            k["levelized_pack_cost_import_only_inr_per_kwh"],
        ),
        (
            "forex_outflow_import_only_usd_m",
            "Forex outflow (total), import-only",
            "USD million",
            f"=SUM({cf_row('forex')})",
            float(result.counterfactual.kpis["forex_outflow_usd_m"][0]),
        ),
        (
            "incremental_npv_vs_import_inr_cr",
            "NPV minus the import-only NPV",
            "INR crore",
            "=B{npv_inr_cr}-B{npv_import_only_inr_cr}",
            k["incremental_npv_vs_import_inr_cr"],
        ),
        (
            "incremental_levelized_pack_cost_inr_per_kwh",
            "Levelized pack cost minus import-only",
            "INR/kWh",
            f'=IFERROR(B{{levelized_pack_cost_inr_per_kwh}}-B{{levelized_pack_cost_import_only_inr_per_kwh}},"{NONE}")',
            k["incremental_levelized_pack_cost_inr_per_kwh"],
        ),
        (
            "cumulative_forex_saved_usd_m",
            "Forex saved against import-only",
            "USD million",
            f"=B{{forex_outflow_import_only_usd_m}}-SUM({row('forex')})",
            k["cumulative_forex_saved_usd_m"],
        ),
    ]
    if "eq" in grid.rows:
        items += funding_kpi_formulas(grid, result)
    for fy_label_, share in k["dva_share_by_fy"].items():
        fy = 2000 + int(fy_label_[2:]) if len(fy_label_) == 4 else int(fy_label_[2:])
        items.append(
            (
                f"dva_share_{fy_label_.lower()}",
                f"DVA share {fy_label_}",
                "fraction",
                f'=IF(ISNUMBER(INDEX({row("dva")},MATCH({fy},{row("fy")},0))),INDEX({row("dva")},MATCH({fy},{row("fy")},0)),"{NONE}")',
                share,
            )
        )
    return items


def write_kpis(ws: Worksheet, grid: Grid, cf_grid: Grid, result: Result, expect: Expect) -> dict[str, int]:
    put_text(ws, 1, 1, f"{result.name}: KPIs (live formulas over Calculations)").font = TITLE
    for j, h in enumerate(["KPI", "value", "unit", "key"]):
        ws.cell(3, 1 + j, h).font = HEADER
    items = kpi_formulas(grid, cf_grid, result)
    rows = {key: 4 + i for i, (key, *_rest) in enumerate(items)}
    # the IRRs: tem's grid and rules as formulas (tem/exports/workbook/irr.py), one block per cash flow
    def flow(key: str) -> np.ndarray:  # the engine's values of a Calculations row (cached values of the block)
        r = grid.rows[key]
        return np.array([_number(expect.get(("Calculations", r, FIRST_COL + t))) for t in range(grid.n_years)])

    t_row = grid.whole_row("t")
    top = 4 + len(items) + 2
    cells = {"": write_irr(ws, top, grid.whole_row("fcf"), t_row, grid.n_years, values=flow("fcf"), expect=expect)}
    if "eq" in grid.rows:
        top = cells[""].last_row + 3
        cells["_equity"] = write_irr(
            ws, top, grid.whole_row("eq"), t_row, grid.n_years, "equity cash flow", flow("eq"), expect
        )
    for i, (key, _label, _unit, formula, value) in enumerate(items):
        r = 4 + i
        entry = catalogue.kpi(key)  # what a reader sees comes from the catalogue
        put_text(ws, r, 1, entry.label).font = KPI_FONT
        text = (
            KPI_CELL.sub(lambda m: f"B{rows[m.group(1)]}", formula)
            .replace("{irr_shown}", cells[""].shown)
            .replace("{irr_status}", cells[""].status)
            .replace("{irr_shown_equity}", cells["_equity"].shown if "_equity" in cells else f'"{NONE}"')
            .replace("{irr_status_equity}", cells["_equity"].status if "_equity" in cells else f'"{NONE}"')
        )
        if entry.kind == "fy":  # a fiscal year reads FY36, as everywhere else
            text = "=" + catalogue.fy_text_formula(f"({text.removeprefix('=')})")
        cell = ws.cell(r, 2, text)
        cell.number_format = entry.excel_format
        cell.alignment = Alignment(horizontal="right")  # "none" lines up with the numbers
        put_text(ws, r, 3, entry.unit_column).alignment = UNIT_ALIGN
        put_text(ws, r, 4, key)
        expect[(ws.title, r, 2)] = cached(value, NONE)
        if entry.kind == "fy":
            expect[(ws.title, r, 2)] = catalogue.format_value(key, _fy_or_none(value))
        status = result.kpis.get(f"{key}_status")
        if key in ("irr", "equity_irr") and status is not None and not isinstance(expect[(ws.title, r, 2)], float):
            expect[(ws.title, r, 2)] = IRR_STATUS_SHORT[int(status)]  # the IRR block shows why there is none
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 12  # "USD million"
    ws.column_dimensions["D"].width = 44
    return rows


def _fy_or_none(value: Any) -> float | None:
    f = cached(value)
    return f if isinstance(f, float) else None

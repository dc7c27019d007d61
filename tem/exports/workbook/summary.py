"""Board-facing sheets of the workbook: Statement, Unit costs, KPIs and Checks, all formulas over Calculations."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.workbook.calc import CalcSheet
from tem.exports.workbook.counterfactual import SHEET as CF_SHEET
from tem.exports.workbook.funding_sheet import funding_kpi_formulas
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.irr import write_irr
from tem.exports.workbook.style import HEADER, KPI_FONT, SECTION, TITLE, number_format, put_text
from tem.finance import IRR_STATUS_SHORT
from tem.model.results import Result

Expect = dict[tuple[str, int, int], float | str]
KPI_CELL = re.compile(r"B\{([a-z0-9_]+)\}")
NONE = "none"  # shown where a KPI does not exist (no payback, no IRR, no crossover)

# (statement line key, Calculations row key, sign); None as calc key = a section title
STATEMENT_LINES: list[tuple[str, str | None, float]] = [
    ("Volumes", None, 1.0),
    ("demand_total_gwh", "demand_total", 1.0),
    ("pack_output_gwh", "pack_output", 1.0),
    ("bought_in_packs_gwh", "bought_in", 1.0),
    ("unmet_demand_gwh", "unmet", 1.0),
    ("local_cells_gwh", "local_cells", 1.0),
    ("imported_cells_gwh", "imported_cells", 1.0),
    ("Selling prices by segment [INR/kWh]", None, 1.0),
    *((f"price_{s}_inr_per_kwh", f"price_{s}", 1.0) for s in ("captive", "external_oem", "ess")),
    ("Cash flow statement (money out negative)", None, 1.0),
    ("revenue_captive", "revenue_captive", 1.0),
    ("revenue_external_oem", "revenue_external_oem", 1.0),
    ("revenue_ess", "revenue_ess", 1.0),
    ("revenue_total", "revenue", 1.0),
    *((f"variable_cost_{s}", f"variable_cost_{s}", -1.0) for s in ("captive", "external_oem", "ess")),
    *((f"contribution_margin_{s}", f"contribution_{s}", 1.0) for s in ("captive", "external_oem", "ess")),
    ("cogs_imported_cells", "cogs_imported_cells", -1.0),
    ("cogs_local_cell_materials_imported", "cogs_loc_mat_imp", -1.0),
    ("cogs_local_cell_materials_local", "cogs_loc_mat_loc", -1.0),
    ("cogs_local_cell_labour", "cogs_loc_labour", -1.0),
    ("cogs_local_cell_energy", "cogs_loc_energy", -1.0),
    ("cogs_local_cell_overhead", "cogs_loc_overhead", -1.0),
    ("cogs_local_cell_royalty", "cogs_loc_royalty", -1.0),
    ("cogs_recycling_credit", "cogs_recycling_credit", -1.0),
    ("cogs_non_cell_imported", "cogs_non_cell_imp", -1.0),
    ("cogs_non_cell_local", "cogs_non_cell_loc", -1.0),
    ("cogs_assembly", "cogs_assembly", -1.0),
    ("cogs_bought_in_packs", "cogs_bought_in", -1.0),
    ("cogs_total", "cogs", -1.0),
    ("gross_margin", "gross_margin", 1.0),
    ("fixed_opex", "fixed_opex", -1.0),
    ("rnd", "rnd", -1.0),
    ("sga", "sga", -1.0),
    ("warranty", "warranty", -1.0),
    ("technology_fee", "tech_fee", -1.0),
    ("pli_incentive", "pli", 1.0),
    ("ebitda", "ebitda", 1.0),
    ("book_depreciation", "book_dep", -1.0),
    ("tax", "tax", -1.0),
    ("maintenance_capex", "capex_maint", -1.0),
    ("replacement_capex", "capex_repl", -1.0),
    ("state_capital_subsidy", "subsidy", 1.0),
    ("change_in_working_capital", "d_wc", -1.0),
    ("working_capital_release", "wc_release", 1.0),
    ("free_cash_flow_before_terminal_value", "fcf_before_tv", 1.0),
    ("cumulative_free_cash_flow_before_terminal_value", "cum_fcf_pre", 1.0),
    ("net_book_value", "nbv", 1.0),
    ("salvage_value", "salvage", 1.0),
    ("normalised_free_cash_flow", "norm_fcf", 1.0),
    ("terminal_value", "terminal_value", 1.0),
    ("free_cash_flow", "fcf", 1.0),
    ("cumulative_free_cash_flow", "cum_fcf", 1.0),
    ("discount_factor", "df", 1.0),
    ("terminal_value_discount_factor", "df_tv", 1.0),
    ("present_value_before_terminal_value", "pv_before_tv", 1.0),
    ("cumulative_present_value_before_terminal_value", "cum_pv_pre", 1.0),
    ("present_value", "pv", 1.0),
    ("cumulative_present_value", "cum_pv", 1.0),
    ("Localization", None, 1.0),
    ("dva_share", "dva", 1.0),
    ("cell_dva_share", "cell_dva", 1.0),
    ("forex_outflow_usd_m", "forex", 1.0),
]

# blank in years without local cells, as in Python
MASKED_WITHOUT_LOCAL_CELLS = {"local_cell_variable", "imported_cell_replaced_landed"}
MASKED_WITHOUT_PACKS = {"pack_non_cell_imported", "pack_non_cell_local", "pack_assembly"}  # blank without packs made
UNIT_COST_LINES: list[tuple[str, str]] = [
    ("imported_cell_fob", "imp_fob"),
    ("imported_cell_freight_insurance", "imp_freight"),
    ("imported_cell_customs_duty", "imp_duty"),
    ("imported_cell_social_welfare_surcharge", "imp_sws"),
    ("imported_cell_logistics", "imp_logistics"),
    ("imported_cell_landed", "imp_landed"),
    ("imported_cell_replaced_landed", "replaced_landed"),
    ("local_cell_variable", "local_cell"),
    ("local_cell_full", "local_full"),
    ("pack_cells", "pack_cells"),
    ("pack_non_cell_imported", "non_cell_imp"),
    ("pack_non_cell_local", "non_cell_loc"),
    ("pack_assembly", "assembly"),
    ("bought_in_pack_landed", "bought_in_landed"),
    *(
        (f"{line}_{s}", f"{row}_{s}")
        for s in ("captive", "external_oem", "ess")
        for line, row in (
            ("imported_cell_landed", "imp_landed"),
            ("imported_pack_landed", "pack_landed"),
            ("own_variable_cost", "var_cost"),
        )
    ),
]


def _as_float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _number(x: object) -> float:
    return float(x) if isinstance(x, (int, float)) else 0.0


def cached(x: Any, missing: str = "") -> float | str:
    """The value a formula cell shows: the number, or ``missing`` text where the value does not exist."""
    f = _as_float(x)
    return f if math.isfinite(f) else missing


def header(ws: Worksheet, grid: Grid, fys: list[str], title: str) -> None:
    put_text(ws, 1, 1, title).font = TITLE
    for j, label in enumerate(["line item", "", "unit"]):
        put_text(ws, 3, 1 + j, label).font = HEADER
    for t, fy in enumerate(fys):
        ws.cell(3, FIRST_COL + t, fy).font = HEADER
    ws.freeze_panes = ws.cell(4, FIRST_COL)
    del grid


def write_statement(ws: Worksheet, grid: Grid, calc: CalcSheet, result: Result, expect: Expect) -> dict[str, int]:
    header(ws, grid, result.fiscal_years, f"{result.name}: statement [INR crore unless stated]")
    st = result.statement
    r = 4
    rows: dict[str, int] = {}
    for key, calc_key, sign in STATEMENT_LINES:
        if calc_key is None:
            r += 1
            put_text(ws, r, 1, key).font = SECTION
            r += 1
            continue
        if key not in st.index:
            continue
        _link_row(ws, grid, r, str(st.loc[key, "label"]), str(st.loc[key, "unit"]), calc_key, sign)
        for t, x in enumerate(st.loc[key, result.fiscal_years].to_numpy().tolist()):  # one look-up per row
            expect[(ws.title, r, FIRST_COL + t)] = cached(x)
        rows[key] = r
        r += 1
        if key == "book_depreciation":  # EBIT within the sheet, from the rows above
            put_text(ws, r, 2, "EBIT")
            put_text(ws, r, 3, "INR crore")
            for t, x in enumerate(st.loc["ebit", result.fiscal_years].to_numpy().tolist()):
                col = grid.col(t)
                cell = ws.cell(r, FIRST_COL + t, f"={col}{rows['ebitda']}+{col}{rows['book_depreciation']}")
                cell.number_format = number_format("INR crore")
                expect[(ws.title, r, FIRST_COL + t)] = cached(x)
            r += 1
        if key == "tax":
            for ph in calc.o.inputs.structure.phases:
                _link_row(ws, grid, r, f"Capex: {ph.name}", "INR crore", f"spend_{ph.name}", -1.0)
                rows[f"capex_{ph.name}"] = r
                for t, x in enumerate(st.loc[f"capex_{ph.name}", result.fiscal_years].to_numpy().tolist()):
                    expect[(ws.title, r, FIRST_COL + t)] = cached(x)
                r += 1
    return rows


def _link_row(ws: Worksheet, grid: Grid, r: int, label: str, unit: str, calc_key: str, sign: float) -> None:
    put_text(ws, r, 2, label)
    put_text(ws, r, 3, unit)
    src = grid.rows[calc_key]
    for t in range(grid.n_years):
        col = grid.col(t)
        cell = ws.cell(r, FIRST_COL + t, f"={'-' if sign < 0 else ''}Calculations!{col}{src}")
        cell.number_format = number_format(unit)


def write_unit_costs(ws: Worksheet, grid: Grid, result: Result, expect: Expect) -> dict[str, int]:
    header(ws, grid, result.fiscal_years, f"{result.name}: unit costs")
    uc = result.unit_costs
    rows: dict[str, int] = {}
    r = 5
    ws.cell(r - 1, 1, "INR per kWh").font = SECTION
    local_row, pack_row = grid.rows["local_cells"], grid.rows["pack_output"]
    for key, calc_key in UNIT_COST_LINES:
        full_key = f"{key}_inr_per_kwh"
        _link_row(ws, grid, r, str(uc.loc[full_key, "label"]), "INR/kWh", calc_key, 1.0)
        if key in MASKED_WITHOUT_LOCAL_CELLS:
            for t in range(grid.n_years):
                col = grid.col(t)
                ws.cell(
                    r, FIRST_COL + t
                ).value = f'=IF(Calculations!{col}{local_row}>0,Calculations!{col}{grid.rows[calc_key]},"")'
        if key in MASKED_WITHOUT_PACKS:
            for t in range(grid.n_years):
                col = grid.col(t)
                ws.cell(
                    r, FIRST_COL + t
                ).value = f'=IF(Calculations!{col}{pack_row}>0,Calculations!{col}{grid.rows[calc_key]},"")'
        made = result.statement.loc["pack_output_gwh", result.fiscal_years].to_numpy(dtype=float) > 0
        for t, x in enumerate(uc.loc[full_key, result.fiscal_years].to_numpy().tolist()):
            blank = key in MASKED_WITHOUT_PACKS and not made[t]  # rates exist, but no pack is made that year
            expect[(ws.title, r, FIRST_COL + t)] = "" if blank else cached(x)
        rows[full_key] = r
        r += 1
    r += 1
    ws.cell(r, 1, "USD per kWh (at each year's exchange rate)").font = SECTION
    r += 1
    fx_row = grid.rows["fx"]
    for key, _ in UNIT_COST_LINES:
        full_key = f"{key}_usd_per_kwh"
        put_text(ws, r, 2, str(uc.loc[full_key, "label"]))
        put_text(ws, r, 3, "USD/kWh")
        for t, x in enumerate(uc.loc[full_key, result.fiscal_years].to_numpy().tolist()):
            col = grid.col(t)
            inr = f"{col}{rows[key + '_inr_per_kwh']}"
            cell = ws.cell(r, FIRST_COL + t, f'=IF(ISNUMBER({inr}),{inr}/Calculations!{col}{fx_row},"")')
            cell.number_format = number_format("USD/kWh")
            inr_value = expect[(ws.title, rows[key + "_inr_per_kwh"], FIRST_COL + t)]
            expect[(ws.title, r, FIRST_COL + t)] = "" if inr_value == "" else cached(x)
        rows[full_key] = r
        r += 1
    return rows


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
        label, unit = catalogue.label(key), catalogue.unit(key)  # what a reader sees comes from the catalogue
        put_text(ws, r, 1, label).font = KPI_FONT
        cell = ws.cell(
            r,
            2,
            KPI_CELL.sub(lambda m: f"B{rows[m.group(1)]}", formula)
            .replace("{irr_shown}", cells[""].shown)
            .replace("{irr_status}", cells[""].status)
            .replace("{irr_shown_equity}", cells["_equity"].shown if "_equity" in cells else f'"{NONE}"')
            .replace("{irr_status_equity}", cells["_equity"].status if "_equity" in cells else f'"{NONE}"'),
        )
        cell.number_format = catalogue.excel_format(key)
        cell.alignment = Alignment(horizontal="right")  # "none" lines up with the numbers
        put_text(ws, r, 3, unit)
        put_text(ws, r, 4, key)
        expect[(ws.title, r, 2)] = cached(value, NONE)
        status = result.kpis.get(f"{key}_status")
        if key in ("irr", "equity_irr") and status is not None and not isinstance(expect[(ws.title, r, 2)], float):
            expect[(ws.title, r, 2)] = IRR_STATUS_SHORT[int(status)]  # the IRR block shows why there is none
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 12  # "USD million"
    ws.column_dimensions["D"].width = 44
    return rows

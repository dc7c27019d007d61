"""Board-facing sheets of the workbook: Statement and Unit costs, formulas over Calculations (KPIs: kpis_sheet)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.workbook.calc import CalcSheet
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.style import HEADER, SECTION, TITLE, number_format, put_text
from tem.model.results import Result

Expect = dict[tuple[str, int, int], float | str]
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
    years, labels, units = year_rows(st, result.fiscal_years), st["label"].to_dict(), st["unit"].to_dict()
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
        _link_row(ws, grid, r, str(labels[key]), str(units[key]), calc_key, sign)
        for t, x in enumerate(years[key]):
            expect[(ws.title, r, FIRST_COL + t)] = cached(x)
        rows[key] = r
        r += 1
        if key == "book_depreciation":  # EBIT within the sheet, from the rows above
            put_text(ws, r, 2, "EBIT")
            put_text(ws, r, 3, "INR crore")
            for t, x in enumerate(years["ebit"]):
                col = grid.col(t)
                cell = ws.cell(r, FIRST_COL + t, f"={col}{rows['ebitda']}+{col}{rows['book_depreciation']}")
                cell.number_format = number_format("INR crore")
                expect[(ws.title, r, FIRST_COL + t)] = cached(x)
            r += 1
        if key == "tax":
            for ph in calc.o.inputs.structure.phases:
                _link_row(ws, grid, r, f"Capex: {catalogue.phase_label(ph.name)}", "INR crore", f"spend_{ph.name}", -1.0)
                rows[f"capex_{ph.name}"] = r
                for t, x in enumerate(years[f"capex_{ph.name}"]):
                    expect[(ws.title, r, FIRST_COL + t)] = cached(x)
                r += 1
    return rows


def year_rows(frame: pd.DataFrame, fiscal_years: list[str]) -> dict[Any, list[Any]]:
    """Each line of ``frame`` (statement or unit costs) -> its values over ``fiscal_years``, as
    ``frame.loc[line, fiscal_years].to_numpy().tolist()`` gives them: the frame converted once, not per line."""
    return dict(zip(frame.index, frame[fiscal_years].to_numpy().tolist(), strict=True))


def _link_row(ws: Worksheet, grid: Grid, r: int, label: str, unit: str, calc_key: str, sign: float) -> None:
    put_text(ws, r, 2, label)
    put_text(ws, r, 3, catalogue.unit_text(unit))
    src = grid.rows[calc_key]
    for t in range(grid.n_years):
        col = grid.col(t)
        cell = ws.cell(r, FIRST_COL + t, f"={'-' if sign < 0 else ''}Calculations!{col}{src}")
        cell.number_format = number_format(unit)


def write_unit_costs(ws: Worksheet, grid: Grid, result: Result, expect: Expect) -> dict[str, int]:
    header(ws, grid, result.fiscal_years, f"{result.name}: unit costs")
    uc = result.unit_costs
    years, labels = year_rows(uc, result.fiscal_years), uc["label"].to_dict()
    made = result.statement.loc["pack_output_gwh", result.fiscal_years].to_numpy(dtype=float) > 0
    rows: dict[str, int] = {}
    r = 5
    ws.cell(r - 1, 1, "INR per kWh").font = SECTION
    local_row, pack_row = grid.rows["local_cells"], grid.rows["pack_output"]
    for key, calc_key in UNIT_COST_LINES:
        full_key = f"{key}_inr_per_kwh"
        _link_row(ws, grid, r, str(labels[full_key]), "INR/kWh", calc_key, 1.0)
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
        for t, x in enumerate(years[full_key]):
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
        put_text(ws, r, 2, str(labels[full_key]))
        put_text(ws, r, 3, "USD/kWh")
        for t, x in enumerate(years[full_key]):
            col = grid.col(t)
            inr = f"{col}{rows[key + '_inr_per_kwh']}"
            cell = ws.cell(r, FIRST_COL + t, f'=IF(ISNUMBER({inr}),{inr}/Calculations!{col}{fx_row},"")')
            cell.number_format = number_format("USD/kWh")
            inr_value = expect[(ws.title, rows[key + "_inr_per_kwh"], FIRST_COL + t)]
            expect[(ws.title, r, FIRST_COL + t)] = "" if inr_value == "" else cached(x)
        rows[full_key] = r
        r += 1
    return rows

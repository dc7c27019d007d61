"""The Checks sheet: integrity checks that hold under any edit of the inputs, then the Python-parity section.

* Integrity checks are identities of the model (volumes balance, breakdowns sum to their totals, running totals
  add up, NPV equals the last cumulative present value, the import-only counterfactual serves the same demand
  and makes no cells): they must say OK after any change to the blue inputs. Each is the sum over the years of
  the absolute difference, against a tolerance scaled by the size of the numbers.
* Inputs within their allowed values (:mod:`.allowed`): a row per choice, bounded number, yearly row and list of
  the Inputs sheet that a formula reads, and a status in E6 that the integrity flag (E3), the Summary (verdict and
  figures) and the Cover's figures follow: a wrong word in a choice or a percent typed where a fraction belongs (in
  any year) is named there, not computed silently.
* Python parity sets tem's Python values for the inputs *as exported* beside the formulas. After a director
  changes an input they differ by design; the sheet says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.workbook.allowed import Allowed
from tem.exports.workbook.calc import CalcSheet
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.rules import Rule
from tem.exports.workbook.style import CHECK_FILL, HEADER, KPI_FONT, SECTION, TITLE, put_text, restyle

Expect = dict[tuple[str, int, int], float | str]
TOLERANCE = 1e-9
INPUTS_STATUS = "Checks!$E$6"  # "OK", or "invalid input: <dotted path> ..." (see :func:`_allowed_checks`)
INVALID = "INVALID"
SEE_CHECKS = " (not an allowed value: see Checks)"
HIDDEN = "invalid input"  # what a figure of the Summary or the Cover shows while an input is not allowed


def hidden_if_invalid(expr: str) -> str:
    """The formula of a figure a board reads (``=KPIs!B4``, or a number as an expression), showing
    :data:`HIDDEN` instead while any input holds a value its schema does not allow (Checks E6): no figure
    computed from it sits on a page where a director may copy it. Unchanged (and equal) for allowed inputs."""
    return f'=IF({INPUTS_STATUS}<>"OK","{HIDDEN}",{expr.removeprefix("=")})'


@dataclass(frozen=True)
class Line:
    """A row of a sheet across the timeline, with its sign in an identity."""

    sheet: str
    row: int
    sign: float = 1.0


@dataclass(frozen=True)
class Identity:
    """``total = sum(parts)`` in every year (``lag`` > 0: a running total, ``total(t) = total(t-1) + part(t)``)."""

    label: str
    total: Line
    parts: tuple[Line, ...]
    running: bool = False


def _q(sheet: str) -> str:
    return f"'{sheet}'" if not sheet.isalnum() else sheet


def _range(grid: Grid, line: Line, first: int = 0, last: int | None = None) -> str:
    last = grid.n_years - 1 if last is None else last
    return f"{_q(line.sheet)}!${grid.col(first)}${line.row}:${grid.col(last)}${line.row}"


def _values(expect: Expect, grid: Grid, line: Line) -> np.ndarray:
    out = np.zeros(grid.n_years)
    for t in range(grid.n_years):
        v = expect.get((line.sheet, line.row, FIRST_COL + t), 0.0)
        out[t] = v if isinstance(v, float) else 0.0
    return out


def _identity_formula(grid: Grid, ident: Identity) -> tuple[str, str]:
    """(difference formula, scale formula) of an identity."""
    if ident.running:  # total(t) - total(t-1) - part(t) for t >= 1, and total(0) - part(0)
        n = grid.n_years - 1
        terms = [f"{_range(grid, ident.total, 1, n)}-{_range(grid, ident.total, 0, n - 1)}"]
        terms += [f"{'-' if p.sign > 0 else '+'}{_range(grid, p, 1, n)}" for p in ident.parts]
        first = f"{_q(ident.total.sheet)}!${grid.col(0)}${ident.total.row}" + "".join(
            f"{'-' if p.sign > 0 else '+'}{_q(p.sheet)}!${grid.col(0)}${p.row}" for p in ident.parts
        )
        diff = f"SUMPRODUCT(ABS({''.join(terms)}))+ABS({first})"
    else:
        parts = "".join(f"{'-' if p.sign > 0 else '+'}{_range(grid, p)}" for p in ident.parts)
        diff = f"SUMPRODUCT(ABS({_range(grid, ident.total)}{parts}))"
    return diff, f"SUMPRODUCT(ABS({_range(grid, ident.total)}))"


def _identity_value(expect: Expect, grid: Grid, ident: Identity) -> tuple[float, float]:
    total = _values(expect, grid, ident.total)
    parts = sum((p.sign * _values(expect, grid, p) for p in ident.parts), start=np.zeros(grid.n_years))
    if ident.running:
        diff = np.abs(total[1:] - total[:-1] - parts[1:]).sum() + abs(total[0] - parts[0])
    else:
        diff = np.abs(total - parts).sum()
    return float(diff), float(np.abs(total).sum())


def write_checks(
    ws: Worksheet,
    grid: Grid,
    calc: CalcSheet,
    kpi_rows: dict[str, int],
    identities: list[Identity],
    scalar_identities: list[tuple[str, str, str, float, float]],
    expect: Expect,
    allowed: Sequence[Allowed] = (),
    rules: Sequence[Rule] = (),
) -> tuple[str, str]:
    """Writes the sheet; returns the cells of the overall integrity status and the overall parity status.

    ``scalar_identities``: (label, formula of the difference, formula of the scale, their values) for checks
    on single cells (NPV = last cumulative PV). Records the cached value of every formula in ``expect``."""
    ws.cell(1, 1, "Checks").font = TITLE
    put_text(ws, 2, 1, "Integrity checks hold after any edit of the inputs; Python parity only for the inputs as exported.")
    put_text(ws, 3, 1, "Integrity checks (must say OK after any edit)").font = KPI_FONT
    put_text(ws, 4, 1, "Same numbers as tem's Python run (valid only for the inputs as exported)").font = KPI_FONT
    put_text(ws, 5, 1, "relative tolerance")
    ws.cell(5, 5, TOLERANCE)
    r = 7
    ws.cell(r, 1, "Integrity checks: identities of the model, true for any inputs").font = SECTION
    r += 1
    for j, h in enumerate(["check", "", "", "sum of |difference|", "scale", "status"]):
        ws.cell(r, 1 + j, h).font = HEADER
    status_cells: list[str] = []
    rows: list[tuple[str, str, str, float, float]] = []
    for ident in identities:
        diff_f, scale_f = _identity_formula(grid, ident)
        rows.append((ident.label, diff_f, scale_f, *_identity_value(expect, grid, ident)))
    rows += scalar_identities
    for label, diff_f, scale_f, diff, scale in rows:
        r += 1
        put_text(ws, r, 1, label)
        ws.cell(r, 4, f"={diff_f}").number_format = "0.0E+00"
        ws.cell(r, 5, f"={scale_f}").number_format = "#,##0"
        ws.cell(r, 6, f'=IF(D{r}<=$E$5*(1+E{r}),"OK","CHECK")').fill = CHECK_FILL
        expect[(ws.title, r, 4)] = diff
        expect[(ws.title, r, 5)] = scale
        expect[(ws.title, r, 6)] = "OK" if diff <= TOLERANCE * (1 + scale) else "CHECK"
        status_cells.append(f"F{r}")
    inputs_ok = _allowed_checks(ws, r + 2, allowed, rules, expect)
    ws.cell(3, 5, f'=IF($E$6<>"OK",$E$6,IF(COUNTIF(F9:F{r},"OK")={len(rows)},"OK","CHECK"))').font = KPI_FONT
    identities_ok = all(expect[(ws.title, int(c[1:]), 6)] == "OK" for c in status_cells)
    expect[(ws.title, 3, 5)] = expect[(ws.title, 6, 5)] if not inputs_ok else ("OK" if identities_ok else "CHECK")
    r = _duty_checks(ws, grid, calc, r + 3 + len(allowed) + len(rules) + 2, expect) + 1
    parity = _write_parity(ws, grid, calc, kpi_rows, expect, r)
    ws.cell(4, 5, f'=IF(MAX({",".join(parity)})<=$E$5,"OK","DIFFERS (inputs changed since export)")').font = KPI_FONT
    expect[(ws.title, 4, 5)] = "OK"
    ws.column_dimensions["A"].width = 58
    ws.column_dimensions["D"].width = 18
    ws.column_dimensions["E"].width = 16
    return "Checks!E3", "Checks!E4"


def _allowed_checks(ws: Worksheet, r: int, allowed: Sequence[Allowed], rules: Sequence[Rule], expect: Expect) -> bool:
    """From row ``r``: each input's allowed values and a live status, then each rule between inputs; in E6 the
    overall status ("OK", or the first invalid input's dotted path or rule and how many more). Returns whether the
    inputs as exported are all allowed."""
    put_text(ws, 6, 1, "Inputs within their allowed values (what tem's loader accepts)").font = KPI_FONT
    title = "Inputs within their allowed values: each choice, number, row and list of Inputs, then rules between inputs"
    ws.cell(r, 1, title).font = SECTION
    r += 1
    for j, h in enumerate(["input", "allowed", "", "value (a row: lowest)", "highest", "status"]):
        ws.cell(r, 1 + j, h).font = HEADER
    first = r + 1
    inputs = ws.parent["Inputs"]
    invalid = []
    for item in allowed:
        r += 1
        put_text(ws, r, 1, item.path)
        put_text(ws, r, 2, item.text)
        first_cell = inputs[item.cell.removeprefix("Inputs!").replace("$", "")]
        values: Any = [inputs.cell(first_cell.row, first_cell.column + t).value for t in range(item.span)]
        if item.span > 1:  # a row: its lowest and highest number
            numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            for col, (fn, name) in ((4, (min, "MIN")), (5, (max, "MAX"))):
                ws.cell(r, col, f"={name}({item.cells})").number_format = first_cell.number_format
                expect[(ws.title, r, col)] = float(fn(numbers)) if numbers else 0.0
        else:
            values = values[0]
            ws.cell(r, 4, f"={item.cell}")
            expect[(ws.title, r, 4)] = values if isinstance(values, str) else float(values or 0.0)
        restyle(ws.cell(r, 6, f'=IF({item.valid()},"OK","{INVALID}")'), fill=CHECK_FILL)
        expect[(ws.title, r, 6)] = "OK" if item.holds_all(values) else INVALID
        if not item.holds_all(values):
            invalid.append(item.path)
    for rule in rules:
        r += 1
        put_text(ws, r, 1, rule.label)
        put_text(ws, r, 2, rule.text)
        ws.cell(r, 4, f"={rule.value}")
        expect[(ws.title, r, 4)] = rule.shown
        restyle(ws.cell(r, 6, f'=IF({rule.valid},"OK","{INVALID}")'), fill=CHECK_FILL)
        expect[(ws.title, r, 6)] = "OK" if rule.holds else INVALID
        if not rule.holds:
            invalid.append(rule.label)
    if not allowed and not rules:
        put_text(ws, 6, 5, "OK")
        return True
    rng, n = f"$F${first}:$F${r}", len(allowed) + len(rules)
    bad = f'({n}-COUNTIF({rng},"OK"))'
    name = f'IFERROR(INDEX($A${first}:$A${r},MATCH("{INVALID}",{rng},0)),"?")'
    more = f'IF({bad}>1," and "&({bad}-1)&" more","")'
    status = f'=IF(COUNTIF({rng},"OK")={n},"OK","invalid input: "&{name}&{more}&"{SEE_CHECKS}")'
    ws.cell(6, 5, status).font = KPI_FONT
    more = f" and {len(invalid) - 1} more" if len(invalid) > 1 else ""
    expect[(ws.title, 6, 5)] = f"invalid input: {invalid[0]}{more}{SEE_CHECKS}" if invalid else "OK"
    return not invalid


def _duty_checks(ws: Worksheet, grid: Grid, calc: CalcSheet, r: int, expect: Expect) -> int:
    """Years with an inverted duty structure, by segment (cell duty at or above the duty on finished packs): a
    warning that follows any edit (the Calculations flags), not a check that must pass."""
    ws.cell(r, 1, "Inverted duty (warning): years where cells pay at least the duty on finished packs").font = SECTION
    r += 1
    for key, src in grid.rows.items():
        if not key.startswith("inverted_duty_"):
            continue
        put_text(ws, r, 1, catalogue.segment_label(key.removeprefix("inverted_duty_")))  # in words, not the row key
        put_text(ws, r, 2, f"{calc.ws.cell(src, 2).value}: years inverted")
        ws.cell(r, 5, f"=SUM({grid.whole_row(key)})")
        years = [calc.expect.get((src, FIRST_COL + t), 0.0) for t in range(grid.n_years)]
        expect[(ws.title, r, 5)] = float(sum(x for x in years if isinstance(x, float)))
        for t in range(grid.n_years):
            ws.cell(r, FIRST_COL + t, f"=Calculations!{grid.col(t)}{src}")
            expect[(ws.title, r, FIRST_COL + t)] = years[t]
        r += 1
    return r


def _write_parity(ws: Worksheet, grid: Grid, calc: CalcSheet, kpi_rows: dict[str, int], expect: Expect, r: int) -> list[str]:
    ws.cell(r, 1, "Python parity: tem's values for the inputs as exported, beside this workbook's formulas").font = SECTION
    put_text(ws, r + 1, 1, "Valid only for the inputs as exported: after an input is changed, these differ by design.")
    r += 3
    diff_cells: list[str] = []
    for key in calc.key_rows:
        src = grid.rows[key]
        label = calc.ws.cell(src, 2).value
        put_text(ws, r, 1, key)
        put_text(ws, r, 2, f"{label}: Python (as exported)")
        put_text(ws, r + 1, 2, f"{label}: formula")
        put_text(ws, r + 2, 2, f"{label}: relative difference")
        fmt = calc.ws.cell(src, FIRST_COL).number_format
        for t in range(grid.n_years):
            col = grid.col(t)
            py = calc.expect.get((src, FIRST_COL + t), "")
            if isinstance(py, float):
                ws.cell(r, FIRST_COL + t, py).number_format = fmt
            ws.cell(r + 1, FIRST_COL + t, f"=Calculations!{col}{src}").number_format = fmt
            diff = ws.cell(r + 2, FIRST_COL + t, _diff(f"{col}{r}", f"{col}{r + 1}"))
            restyle(diff, fill=CHECK_FILL).number_format = "0.0E+00"
            expect[(ws.title, r + 1, FIRST_COL + t)] = py
            expect[(ws.title, r + 2, FIRST_COL + t)] = _diff_value(py, py)
        diff_cells.append(f"${grid.col(0)}${r + 2}:${grid.last_col}${r + 2}")
        r += 4
    ws.cell(r, 1, "KPIs").font = SECTION
    for j, h in enumerate(["Python (as exported)", "", "formula", "relative difference"]):
        ws.cell(r, 5 + j, h).font = HEADER
    r += 1
    for key, kr in kpi_rows.items():
        py = expect.get(("KPIs", kr, 2), "")
        put_text(ws, r, 1, key)
        fmt = catalogue.excel_format(key)
        if isinstance(py, float):
            ws.cell(r, 5, py).number_format = fmt
        elif py:  # a KPI shown as text (FY36, "none", why there is no IRR): compared as text
            put_text(ws, r, 5, py)
        ws.cell(r, FIRST_COL, f"=KPIs!B{kr}").number_format = fmt
        diff = ws.cell(r, FIRST_COL + 1, _diff(f"E{r}", f"{grid.col(0)}{r}"))
        restyle(diff, fill=CHECK_FILL).number_format = "0.0E+00"
        expect[(ws.title, r, FIRST_COL)] = py
        expect[(ws.title, r, FIRST_COL + 1)] = _diff_value(py, py)
        diff_cells.append(f"${grid.col(1)}${r}")
        r += 1
    return diff_cells


def _diff(py: str, formula: str) -> str:
    """0 when both are missing (blank or "none", and no Python value); else the relative (or absolute near 0)
    difference."""
    return (
        f"=IF(ISNUMBER({py}),IFERROR(IF(ABS({py})>1E-9,ABS({formula}/{py}-1),ABS({formula}-{py})),1),"
        f"IF(ISNUMBER({formula}),1,IF(ISTEXT({py}),IF({py}={formula},0,1),0)))"
    )


def _diff_value(py: float | str, formula: float | str) -> float:
    """What :func:`_diff` computes for these cell values (the cached value of a check cell)."""
    if isinstance(py, float):
        if not isinstance(formula, float):
            return 1.0
        return abs(formula / py - 1) if abs(py) > 1e-9 else abs(formula - py)
    if isinstance(formula, float):
        return 1.0
    return 1.0 if py and py != formula else 0.0


def integrity_checks(
    grid: Grid, cf_grid: Grid, cf_sheet: str, st_rows: dict[str, int], kpi_rows: dict[str, int], expect: Expect
) -> tuple[list[Identity], list[tuple[str, str, str, float, float]]]:
    """The model's identities (true for any inputs) over Calculations, Statement and the counterfactual sheet."""

    def calc(key: str, sign: float = 1.0) -> Line:
        return Line("Calculations", grid.rows[key], sign)

    def st(key: str) -> Line:
        return Line("Statement", st_rows[key])

    def st_all(keys: list[str]) -> tuple[Line, ...]:
        return tuple(st(k) for k in keys if k in st_rows)

    segments = [k.removeprefix("revenue_") for k in grid.rows if k.startswith("revenue_")]
    cogs_lines = [k for k in st_rows if k.startswith("cogs_") and k != "cogs_total"]
    capex_lines = [k for k in st_rows if k.startswith("capex_")]
    identities = [
        Identity(
            "Volumes: demand = packs made + packs bought in + demand not met",
            calc("demand_total"),
            (calc("pack_output"), calc("bought_in"), calc("unmet")),
        ),
        Identity(
            "Cells: cells required = made in India + imported",
            calc("cells_required"),
            (calc("local_cells"), calc("imported_cells")),
        ),
        Identity("Revenue = sum of the segments' revenue", calc("revenue"), tuple(calc(f"revenue_{s}") for s in segments)),
        Identity("Statement: cost of goods = sum of its lines", st("cogs_total"), st_all(cogs_lines)),
        Identity(
            "Statement: EBITDA = gross margin - operating costs + PLI",
            st("ebitda"),
            st_all(["gross_margin", "fixed_opex", "rnd", "sga", "warranty", "technology_fee", "pli_incentive"]),
        ),
        Identity(
            "Statement: free cash flow before terminal value = EBITDA - tax - capex + subsidy - working capital",
            st("free_cash_flow_before_terminal_value")
            if "free_cash_flow_before_terminal_value" in st_rows
            else st("free_cash_flow"),
            st_all(
                [
                    "ebitda",
                    "tax",
                    *capex_lines,
                    "maintenance_capex",
                    "replacement_capex",
                    "state_capital_subsidy",
                    "change_in_working_capital",
                    "working_capital_release",
                ]
                + ([] if "free_cash_flow_before_terminal_value" in st_rows else ["terminal_value"])
            ),
        ),
        Identity(
            "Statement: free cash flow = free cash flow before terminal value + terminal value",
            st("free_cash_flow"),
            st_all(["free_cash_flow_before_terminal_value", "terminal_value"]),
        ),
        Identity("Cumulative free cash flow adds up", st("cumulative_free_cash_flow"), (st("free_cash_flow"),), True),
        Identity("Cumulative present value adds up", st("cumulative_present_value"), (st("present_value"),), True),
        Identity(
            "Import-only counterfactual serves the same demand",
            calc("demand_total"),
            (Line(cf_sheet, cf_grid.rows["demand_total"]),),
        ),
        Identity("Import-only counterfactual makes no cells in India", Line(cf_sheet, cf_grid.rows["local_cells"]), ()),
    ]
    last = f"Statement!${grid.last_col}${st_rows['cumulative_present_value']}"
    npv = f"KPIs!$B${kpi_rows['npv_inr_cr']}"
    npv_value = expect[("KPIs", kpi_rows["npv_inr_cr"], 2)]
    last_value = expect[("Statement", st_rows["cumulative_present_value"], FIRST_COL + grid.n_years - 1)]
    npv_x = npv_value if isinstance(npv_value, float) else 0.0
    last_x = last_value if isinstance(last_value, float) else 0.0
    scalars = [("NPV = last cumulative present value", f"ABS({npv}-{last})", f"ABS({npv})", abs(npv_x - last_x), abs(npv_x))]
    return identities, scalars

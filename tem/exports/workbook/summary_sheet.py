"""The workbook's first sheet, Summary: the board summary on one printed page.

Live formulas wherever the workbook computes the figure (they follow any edit of the inputs): the program as run
(NPV, IRR, peak funding, DVA: links to the KPIs sheet), the pack business's NPV where it is the import-only
counterfactual, the levelized selling price and cost, peak funding and its split into capex, working capital and
operating losses (SUMPRODUCTs over Calculations up to the peak year). Values of the run, marked so in the last
column: the verdict, the nested programs' other figures (each a separate engine run,
:mod:`tem.analysis.scenarios.decisions`) and the breakevens (goal seeks by tem for the inputs as exported).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.board import BoardSummary, Breakeven, Decision, breakeven_text
from tem.exports.verdict import VerdictRefs, formula_of
from tem.exports.workbook.checks import INPUTS_STATUS, hidden_if_invalid
from tem.exports.workbook.grid import Grid
from tem.exports.workbook.staleness import CURRENT, stale_flag_formula
from tem.exports.workbook.steps import StepCells
from tem.exports.workbook.style import HEADER, KPI_FONT, SECTION, TITLE, put_text

Expect = dict[tuple[str, int, int], float | str]
LIVE = "live formula"
RUN = "value of the run"
NONE = "none"
SOURCE_COL = 10  # J (I is a narrow gap)
RIGHT = Alignment(horizontal="right")
NO_VERDICT = ": no verdict and no figures on this page until it is corrected"
FIGURE_COLS = range(3, 9)  # C..H: the columns of figures (J says where each row comes from)
DIGIT = re.compile(r"\d")


def write_summary(
    ws: Worksheet,
    s: BoardSummary,
    grid: Grid,
    kpi_rows: dict[str, int],
    expect: Expect,
    steps: Sequence[StepCells] = (),
) -> None:
    put_text(ws, 1, 1, s.title).font = TITLE
    ws.merge_cells("A2:J2")  # the sentence wraps within the page instead of widening it
    ws.row_dimensions[2].height = 62
    put_text(
        ws,
        3,
        1,
        f"Verdict: {LIVE} (NPV, IRR against the hurdle, what each step adds, the gates' value); its breakeven is "
        f"as exported. Last column: '{LIVE}' follows any edit of the blue inputs; '{RUN}' is tem's figure for the "
        "inputs as exported.",
    )
    r = 5
    ws.cell(r, 1, "Decisions: each step adds phases to the one before (each program with its gates decided)").font = SECTION
    r += 1
    heads = [
        "decision",
        "phases",
        "step adds: NPV (INR crore)",
        "step adds: IRR",
        f"program: {catalogue.label('npv_inr_cr')} (INR crore)",
        f"program: IRR (hurdle {s.hurdle_rate:.1%})",
        f"{catalogue.label('peak_funding_inr_cr')} (INR crore)",
        f"DVA {s.dva_fy}",
        "",
        "source",
    ]
    for j, h in enumerate(heads):
        cell = ws.cell(r, 1 + j, h)
        cell.font, cell.alignment = HEADER, Alignment(wrap_text=True, vertical="bottom")
    ws.row_dimensions[r].height = 30
    header_row = r
    import_only = kpi_rows.get("npv_import_only_inr_cr")
    for i, d in enumerate(s.decisions):
        r += 1
        if len(steps) == len(s.decisions):  # live: the step sheets
            _live_step(ws, r, d, steps[i], steps[i - 1] if i else None, expect)
            put_text(ws, r, SOURCE_COL, f"{LIVE} (sheet {steps[i].sheet})")
            continue
        live_npv = (
            "npv_import_only_inr_cr"
            if i == 0 and import_only is not None and _same(expect.get(("KPIs", import_only, 2)), d.npv_inr_cr)
            else None
        )
        _decision(ws, r, d, {"npv": live_npv}, kpi_rows, expect)
        put_text(ws, r, SOURCE_COL, f"NPV {LIVE}; rest {RUN}" if live_npv else RUN)
    first_step, last_step = r - len(s.decisions) + 1, r
    r += 1
    dva_key = f"dva_share_fy{s.dva_fy[2:]}" if s.dva_fy else ""
    live = {"npv": "npv_inr_cr", "irr": "irr", "peak": "peak_funding_inr_cr", "dva": dva_key}
    _decision(ws, r, s.as_run, live, kpi_rows, expect)
    run_row = r
    if s.decisions:  # the steps add up to the program as run (each program with its gates decided)
        total = ws.cell(r, 3, f"=SUM(C{first_step}:C{last_step})")
        total.number_format, total.alignment = catalogue.excel_format("npv_inr_cr"), RIGHT
        expect[(ws.title, r, 3)] = float(sum(d.npv_increment_inr_cr or 0.0 for d in s.decisions))
    for col in range(1, 9):
        ws.cell(r, col).font = KPI_FONT
    put_text(ws, r, SOURCE_COL, LIVE + ("; steps add up to it" if s.decisions else ""))
    gates_ref = None
    if s.committed_npv_inr_cr is not None:
        r += 1
        put_text(ws, r, 1, "Committed program")
        put_text(ws, r, 2, "every phase built, no gate")
        ws.cell(r, 5, s.committed_npv_inr_cr).number_format = catalogue.excel_format("npv_inr_cr")
        put_text(ws, r, SOURCE_COL, RUN)
        r += 1
        put_text(ws, r, 1, "Value of the gates").font = KPI_FONT
        put_text(ws, r, 2, "program as run minus committed")
        value = ws.cell(r, 5, f"=E{run_row}-E{r - 1}")
        value.number_format, value.font = catalogue.excel_format("npv_inr_cr"), KPI_FONT
        expect[(ws.title, r, 5)] = float(s.gates_value_inr_cr or 0.0)
        put_text(ws, r, SOURCE_COL, f"{LIVE} (committed: {RUN})")
        gates_ref = f"E{r}"
    hurdle = grid.scalar_cell("valuation.hurdle_rate") if "valuation.hurdle_rate" in grid.inputs else None
    live_steps = len(steps) == len(s.decisions)
    refs = VerdictRefs(
        npv=f"E{run_row}",
        irr=f"F{run_row}",
        hurdle=hurdle or f"{s.hurdle_rate!r}",
        steps=[f"C{first_step + i}" for i in range(len(s.decisions))] if live_steps else [],
        gates_value=gates_ref,
    )
    verdict = ws.cell(2, 1, unless_invalid(formula_of(s.verdict_pieces(refs)), NO_VERDICT))
    verdict.font, verdict.alignment = KPI_FONT, Alignment(wrap_text=True, vertical="top")
    expect[(ws.title, 2, 1)] = s.verdict

    r += 2
    ws.cell(r, 1, "Price against cost (INR/kWh)").font = SECTION
    row = grid.whole_row
    per_kwh = f"Inputs!$E${grid.constants['inr_per_kwh_per_inr_cr_gwh']}"
    pv_kwh = f"SUMPRODUCT({row('delivered')},{row('df')})"
    price = f'=IFERROR(SUMPRODUCT({row("revenue")},{row("df")})/{pv_kwh}*{per_kwh},"{NONE}")'
    for label, formula, key, value in (
        ("Levelized selling price", price, None, s.levelized_price_inr_per_kwh),
        (catalogue.label("levelized_pack_cost_inr_per_kwh"), None, "levelized_pack_cost_inr_per_kwh", None),
        (
            catalogue.label("levelized_pack_cost_import_only_inr_per_kwh"),
            None,
            "levelized_pack_cost_import_only_inr_per_kwh",
            None,
        ),
    ):
        r += 1
        put_text(ws, r, 1, label)
        cell = ws.cell(r, 3)
        cell.number_format = catalogue.excel_format("levelized_pack_cost_inr_per_kwh")
        if formula is not None:
            cell.value = formula
            expect[(ws.title, r, 3)] = NONE if value is None else float(value)
        else:
            _link(ws, r, 3, str(key), kpi_rows, expect)
        put_text(ws, r, SOURCE_COL, LIVE)

    r += 1
    put_text(ws, r, 1, "Selling price minus pack cost").font = KPI_FONT
    margin = ws.cell(r, 3, f'=IFERROR(C{r - 3}-C{r - 2},"{NONE}")')
    margin.font, margin.number_format = KPI_FONT, catalogue.excel_format("levelized_pack_cost_inr_per_kwh")
    p, c = s.levelized_price_inr_per_kwh, s.levelized_cost_inr_per_kwh
    expect[(ws.title, r, 3)] = NONE if p is None or c is None else p - c
    put_text(ws, r, SOURCE_COL, LIVE)

    r += 2
    fy = "" if s.peak_funding_fy is None else f" (FY{s.peak_funding_fy % 100:02d} in the run)"
    ws.cell(r, 1, f"Peak funding and what it pays for{fy} (INR crore)").font = SECTION
    r += 1
    put_text(ws, r, 1, catalogue.label("peak_funding_inr_cr"))
    _link(ws, r, 3, "peak_funding_inr_cr", kpi_rows, expect)
    put_text(ws, r, SOURCE_COL, LIVE)
    cum = row("cum_fcf_pre")
    upto = f"({row('t')}<=MATCH(MIN({cum}),{cum},0)-1)"
    parts = (
        f"{row('capex_spend')}+{row('capex_maint')}+{row('capex_repl')}-{row('subsidy')}",
        f"{row('d_wc')}-{row('wc_release')}",
        f"-({row('ebitda')}-{row('tax')})",
    )
    split = dict(s.funding_split_inr_cr)
    names = ("capex net of the state subsidy", "working capital", "operating losses after tax (negative: cash earned)")
    for name, flows in zip(names, parts, strict=True):
        r += 1
        put_text(ws, r, 1, f"  of which {name}")
        cell = ws.cell(r, 3, f"=IF(MIN({cum})<0,SUMPRODUCT({upto}*({flows})),0)")
        cell.number_format = catalogue.excel_format("peak_funding_inr_cr")
        expect[(ws.title, r, 3)] = float(split.get(name, 0.0))
        put_text(ws, r, SOURCE_COL, LIVE)

    if s.gates:
        r = _gates(ws, r + 2, s)

    r += 2
    ws.cell(r, 1, "Breakevens: goal seek by tem, as exported (re-run tem to refresh)").font = SECTION
    put_text(ws, r, 3, "value found").font = HEADER
    put_text(ws, r, 5, "base value").font = HEADER
    put_text(ws, r, SOURCE_COL, RUN)
    r += 1
    flag = ws.cell(r, 1, unless_invalid(stale_flag_formula(ws.parent["Inputs"]), "; breakevens stale"))
    flag.font = KPI_FONT
    expect[(ws.title, r, 1)] = CURRENT
    put_text(ws, r, SOURCE_COL, f"{LIVE}: compares the inputs with those exported")
    if not s.breakevens:
        r += 1
        why = f": {s.breakevens_not_computed}" if s.breakevens_not_computed else ""
        put_text(ws, r, 1, f"none computed{why}")
    last = None
    for b in s.breakevens:
        if b.input_label != last:  # the input on its own row, its targets below it
            r += 1
            put_text(ws, r, 1, b.input_label + (f": {b.note}" if b.note else "")).font = HEADER
            last = b.input_label
        r += 1
        put_text(ws, r, 1, f"    {b.target_label}")
        put_text(ws, r, 3, breakeven_text(b, with_why=False)).alignment = RIGHT
        put_text(ws, r, 5, breakeven_text(Breakeven(**{**b.__dict__, "value": b.base_value}))).alignment = RIGHT
        if b.value is None and b.why:  # why none, on its own row (a long text beside the figures would cover them)
            r += 1
            put_text(ws, r, 1, f"        why none: {b.why}")
    hide_figures_unless_valid(ws, header_row, expect)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 44
    for letter in "CDEFGH":
        ws.column_dimensions[letter].width = 15
    ws.column_dimensions["I"].width = 2
    ws.column_dimensions["J"].width = 30


def hide_figures_unless_valid(ws: Worksheet, header_row: int, expect: Expect) -> None:
    """Every figure below ``header_row`` in the figure columns (a live formula, a value of the run, a text that
    holds a number such as ``68.9 USD/kWh``) becomes :func:`hidden_if_invalid` of itself: "invalid input" beside
    the verdict that says so, the same figure otherwise (cached as before)."""
    for row in ws.iter_rows(min_row=header_row + 1, min_col=FIGURE_COLS.start, max_col=FIGURE_COLS.stop - 1):
        for cell in row:
            v, key = cell.value, (ws.title, cell.row, cell.column)
            if isinstance(v, str) and v.startswith("="):
                cell.value = hidden_if_invalid(v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.value, expect[key] = hidden_if_invalid(repr(float(v))), float(v)
            elif isinstance(v, str) and DIGIT.search(v):
                cell.value, expect[key] = hidden_if_invalid('"' + v.replace('"', '""') + '"'), v
            else:
                continue
            if cell.alignment.horizontal is None:  # "invalid input" aligned as the figure it stands for
                cell.alignment = RIGHT


def unless_invalid(formula: str, then: str) -> str:
    """``formula``, or the Checks sheet's "invalid input: <dotted path> ..." followed by ``then`` while an input
    holds a value its schema does not allow (no board reads figures computed from it as a verdict)."""
    return f'=IF({INPUTS_STATUS}<>"OK",{INPUTS_STATUS}&"{then}",{formula.removeprefix("=")})'


def _gates(ws: Worksheet, r: int, s: BoardSummary) -> int:
    """Each gate's decision, then each condition: threshold in its unit, value read, headroom, passes (values of the
    run); returns the last row written."""
    ws.cell(r, 1, "Gates (decided in the run)").font = SECTION
    for j, h in ((3, "value read"), (4, "headroom"), (5, "condition")):
        put_text(ws, r, j, h).font = HEADER
    r += 1
    put_text(ws, r, 1, f"A condition passes at the threshold with its {catalogue.AT_THRESHOLD_TEXT}.")
    for g in s.gates:
        r += 1
        put_text(ws, r, 1, g.title).font = KPI_FONT
        go = put_text(ws, r, 3, "GO" if g.go else "NO GO")
        go.font, go.alignment = KPI_FONT, RIGHT
        if g.go and any(c.at_threshold for c in g.conditions):
            close = put_text(ws, r, 5, "at the threshold")
            close.font, close.alignment = KPI_FONT, Alignment(horizontal="left", indent=1)
        put_text(ws, r, SOURCE_COL, RUN)
        for c in g.conditions:
            r += 1
            put_text(ws, r, 1, f"    {c.text}").alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
            for col, text in (
                (3, catalogue.format_value(c.line, c.value, with_unit=True)),
                (4, catalogue.format_difference(c.line, c.headroom, signed=False, with_unit=True)),
                (5, "passes at the threshold" if c.at_threshold else "passes" if c.passes else "fails"),
            ):
                put_text(ws, r, col, text).alignment = RIGHT if col < 5 else Alignment(horizontal="left", indent=1)
            put_text(ws, r, SOURCE_COL, RUN)
    return r


def _live_step(ws: Worksheet, r: int, d: Decision, cells: StepCells, before: StepCells | None, expect: Expect) -> None:
    """A decision row as formulas over its step sheet (and the step before, for what the step adds)."""
    put_text(ws, r, 1, d.name)
    put_text(ws, r, 2, d.what)
    v = cells.values
    npv_before = 0.0 if before is None else float(before.values["npv"])
    items: list[tuple[int, str, float | str, str]] = [
        (3, f"=E{r}" + (f"-E{r - 1}" if before is not None else ""), float(v["npv"]) - npv_before, "npv_inr_cr"),
        # an IRR that does not exist reads "none" here (the step sheet says why): short enough for the column
        (4, _number_or_none(cells.increment_irr), _none_if_text(v["increment_irr"]), "irr"),
        (5, f"={cells.npv}", v["npv"], "npv_inr_cr"),
        (6, _number_or_none(cells.irr), _none_if_text(v["irr"]), "irr"),
        (7, f"={cells.peak_funding}", v["peak_funding"], "peak_funding_inr_cr"),
    ]
    if cells.dva is not None:
        items.append((8, f"={cells.dva}", v["dva"], "dva_share"))
    for col, formula, value, kind in items:
        cell = ws.cell(r, col, formula)
        cell.number_format = catalogue.excel_format(kind)
        cell.alignment = RIGHT
        expect[(ws.title, r, col)] = value


def _number_or_none(ref: str) -> str:
    return f'=IF(ISNUMBER({ref}),{ref},"{NONE}")'


def _none_if_text(value: float | str) -> float | str:
    return value if isinstance(value, float) else NONE


def _same(cached: float | str | None, value: float | None) -> bool:
    return isinstance(cached, float) and value is not None and abs(cached - value) <= 1e-9 * max(1.0, abs(value))


def _decision(
    ws: Worksheet, r: int, d: Decision, live: Mapping[str, str | None], kpi_rows: dict[str, int], expect: Expect
) -> None:
    put_text(ws, r, 1, d.name)
    put_text(ws, r, 2, d.what)
    for col, key, value, kind in (
        (3, None, d.npv_increment_inr_cr, "npv_inr_cr"),
        (4, None, d.irr_increment, "irr"),
        (5, live.get("npv"), d.npv_inr_cr, "npv_inr_cr"),
        (6, live.get("irr"), d.irr, "irr"),
        (7, live.get("peak"), d.peak_funding_inr_cr, "peak_funding_inr_cr"),
        (8, live.get("dva"), d.dva_share, "dva_share"),
    ):
        if key and key in kpi_rows:
            _link(ws, r, col, key, kpi_rows, expect)
            continue
        cell = ws.cell(r, col)
        cell.number_format = catalogue.excel_format(kind)
        if d.name == "Program as run" and col in (3, 4):
            continue  # the program as run has no step increment
        if value is None:
            put_text(ws, r, col, NONE).alignment = RIGHT
        else:
            cell.value = value


def _link(ws: Worksheet, r: int, col: int, key: str, kpi_rows: dict[str, int], expect: Expect) -> None:
    """A live link to the KPIs sheet, cached with the KPI's value."""
    cell = ws.cell(r, col, f"=KPIs!B{kpi_rows[key]}")
    cell.number_format = catalogue.excel_format(key)
    expect[(ws.title, r, col)] = expect[("KPIs", kpi_rows[key], 2)]

"""The workbook's IRR: tem's IRR rules (:mod:`tem.finance.grid`) written as live formulas.

A block of cells (on the KPIs sheet, below the KPIs) reads the free cash flow row and gives the IRR status
(0 found, 1-6 why none, as :data:`tem.finance.IRR_STATUS`) and the IRR, so the workbook shows the same rate as
tem, or the same reason for none, whatever the flows: the same grid of rates, the same tolerances, the same
rules. The IRR itself is polished by Newton steps from the bracket the grid finds (no call to Excel's
``IRR``, whose answer depends on its guess and its iteration limit). The grid rows are grouped (collapsed).

Layout from row ``top``: a summary (label in column A, value in column B), the running sign of the flows
across the columns of one row, the Newton steps, then one row per grid point ``j`` with the columns below; each
grid column is one array formula over the rows (a few thousand cells' worth of formulas in about 30 cells).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

import numpy as np
from openpyxl.cell.cell import Cell
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from tem.exports.workbook.irr_values import block_values
from tem.exports.workbook.style import HEADER, SECTION, put_text, restyle
from tem.finance import IRR_STATUS_SHORT
from tem.finance.grid import CLOSE_STEPS, FLAT_TOL, NEAR_TOL, NPV_TOL, RATE_MAX, RATE_MIN, ZERO_TOL, Grid, grid

NEWTON_STEPS = 8
# grid columns, one row per grid point j (each column is one array formula over the grid rows, except the
# constant 1 + r and the ends of the columns that look at a neighbour)
COLUMNS = {
    "A": "j",
    "B": "1 + r",
    "C": "r",
    "D": "K",
    "E": "ln step",
    "F": "NPV x (1+r)^K",
    "G": "PV(|flows|) x (1+r)^K",
    "H": "slope of F",
    "I": "slope of G",
    "J": "R = F / G",
    "K": "dR / d ln(1+r)",
    "L": "sign",
    "M": "crossing",
    "N": "touch",
    "O": "site (half steps)",
    "P": "local min",
    "Q": "examined",
    "R": "a",
    "S": "b",
    "T": "B",
    "U": "C",
    "V": "disc",
    "W": "q",
    "X": "s1",
    "Y": "s2",
    "Z": "min at ends",
    "AA": "min at s1, s2",
    "AB": "cubic min",
    "AC": "near touch",
}

# The near-touch examination (local minima of |R| and the cubics of their cells) compares |R| at neighbouring
# grid points; where R saturates at +-1 (rates far from any root) the comparison is between equal numbers up to
# rounding, and LibreOffice and numpy break such ties differently. These columns are saved without cached values
# (they show after the recalculation on load; hidden rows): their noise never reaches a site or the status.
UNCACHED = ("P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "AA", "AB", "AC")


@dataclass(frozen=True)
class IrrCells:
    status: str  # absolute reference of the status cell (0 found, 1-6 why none)
    rate: str  # the IRR where status is 0, else the text "none" (no error value where a reader looks)
    shown: str  # the IRR, or the status text in its place
    last_row: int


def _num(x: float) -> str:
    return repr(float(x)).replace("e", "E")


def write_irr(
    ws: Worksheet,
    top: int,
    flows: str,
    years: str,
    n_years: int,
    name: str = "free cash flow",
    values: np.ndarray | None = None,
    expect: dict[tuple[str, int, int], float | str] | None = None,
) -> IrrCells:
    """Write the IRR block of the cash flow ``name`` from row ``top``; ``flows`` and ``years`` are one-row ranges
    of the cash flows and of the year indices 0..T-1 (absolute references, ``T = n_years`` columns). With the
    flows' ``values`` (T,), each cell's value goes to ``expect`` (:mod:`.irr_values`; saved as cached values)."""
    g = grid(n_years)
    n_points = g.y.size
    title = f"IRR search of the {name}: tem's rules as formulas (tem.finance.grid); the grid rows below are grouped"
    restyle(ws.cell(top, 1, title), SECTION)
    r = top + 1
    label: dict[str, int] = {}

    def line(key: str, text: str, formula: str | float) -> None:
        nonlocal r
        put_text(ws, r, 1, text)
        ws.cell(r, 2, formula)
        label[key] = r
        r += 1

    def at(key: str) -> str:
        return f"$B${label[key]}"

    first, last = r + 21 + NEWTON_STEPS, r + 21 + NEWTON_STEPS + n_points - 1  # grid rows (set below)
    col = {c: f"${c}${first}:${c}${last}" for c in ("A", "B", "J", "L", "N", "O", "AC")}
    sign_row = r + 10
    line("years", "years of flows (T)", n_years)
    line("valid", "flows valid (no error cell): 1", f"=IF(SUMPRODUCT(--ISNUMBER({flows}))={n_years},1,0)")
    signs = f"${_col(2)}${sign_row}:${_col(n_years + 1)}${sign_row}"
    pairs = f"{_shift(signs, 1, n_years)}*{_shift(signs, 0, n_years - 1)}"
    changes = f"=SUMPRODUCT(--({pairs}<0))" if n_years > 1 else "=0"
    line("changes", "sign changes of the flows (zeros skipped)", changes)
    line("single", "one sign change: root in range (0) or not (2)", f"=IF(L{first}*L{last}<=0,0,2)")
    line("sites", "crossings and zero points on the grid", f"=COUNT({col['O']})")
    line("first", "first site (half steps)", f"=IF({at('sites')}>0,MIN({col['O']}),-1)")
    line("spread", "spread of the sites (half steps)", f"=IF({at('sites')}>0,MAX({col['O']})-MIN({col['O']}),0)")
    line(
        "grid",
        "several sign changes: status from the grid",
        f"=IF(AND({at('sites')}>=2,{at('spread')}>{2 * CLOSE_STEPS}),3,"
        f"IF(OR(SUM({col['N']})>0,SUM({col['AC']})>0,{at('sites')}>=2),4,IF({at('sites')}=1,0,2)))",
    )
    line(
        "found",
        "status before the NPV check",
        f"=IF({at('valid')}=0,5,IF({at('changes')}=0,1,IF({at('changes')}=1,{at('single')},{at('grid')})))",
    )
    put_text(ws, sign_row - 1, 1, "running sign of the flows (the last non-zero one)")
    for t in range(n_years):
        here = f"INDEX({flows},1,{t + 1})"
        prev = _col(t + 1) + str(sign_row)
        ws.cell(sign_row, 2 + t, f"=SIGN({here})" if t == 0 else f"=IF({here}<>0,SIGN({here}),{prev})")
    r = sign_row + 1
    # Newton from the bracket: the zero point itself, or the secant of R across the crossing cell
    site = at("first")
    cell_lo, cell_hi = f"INDEX({col['B']},({site}-1)/2+1)", f"INDEX({col['B']},({site}-1)/2+2)"
    r_lo, r_hi = f"INDEX({col['J']},({site}-1)/2+1)", f"INDEX({col['J']},({site}-1)/2+2)"
    line(
        "start",
        "Newton start (1 + r)",
        f"=IF({at('found')}<>0,1,IF(MOD({site},2)=0,INDEX({col['B']},{site}/2+1),"
        f"{cell_lo}+({cell_hi}-{cell_lo})*{r_lo}/({r_lo}-{r_hi})))",
    )
    line("k", "power offset K (T - 1 below 1 + r = 1)", f"=IF({at('start')}<1,{n_years - 1},0)")
    k = at("k")
    y = at("start")
    for step in range(NEWTON_STEPS):
        value = f"SUMPRODUCT({flows},{y}^({k}-{years}))"
        slope = f"SUMPRODUCT({flows},({k}-{years})*{y}^({k}-{years}-1))"
        line(f"y{step}", f"Newton step {step + 1}", f"=IFERROR({y}-{value}/{slope},{y})")
        y = at(f"y{step}")
    line(
        "checked",
        f"|NPV| <= {NPV_TOL:g} x PV(|flows|) at the root: 1",
        f"=IF(ABS(SUMPRODUCT({flows},{y}^({k}-{years})))<={_num(NPV_TOL)}*SUMPRODUCT(ABS({flows}),{y}^({k}-{years})),1,0)",
    )
    e = f"({k}-{years})"
    p, a = f"SUMPRODUCT({flows},{y}^{e})", f"SUMPRODUCT(ABS({flows}),{y}^{e})"
    dp, da = f"SUMPRODUCT({flows},{e}*{y}^{e})", f"SUMPRODUCT(ABS({flows}),{e}*{y}^{e})"
    line(
        "steep",
        f"|dR / d ln(1 + r)| >= {FLAT_TOL:g} at the root (not a multiple root): 1",
        f"=IFERROR(IF(ABS(({dp}*{a}-{p}*{da})/{a}^2)>={_num(FLAT_TOL)},1,0),0)",
    )
    line(
        "status",
        "IRR status (0 found; 1-6 why none)",
        f"=IF({at('found')}<>0,{at('found')},IF({at('checked')}=0,6,IF({at('steep')}=1,0,4)))",
    )
    line("rate", "IRR", f'=IF({at("status")}=0,MIN({_num(RATE_MAX)},MAX({_num(RATE_MIN)},{y}-1)),"none")')
    texts = ",".join('"' + IRR_STATUS_SHORT[code] + '"' for code in range(1, 7))
    line("shown", "IRR or why there is none", f"=IF({at('status')}=0,{at('rate')},CHOOSE({at('status')},{texts}))")
    ws.cell(label["rate"], 2).number_format = "0.00%"
    ws.cell(label["shown"], 2).number_format = "0.00%"
    assert r <= first - 2, "the summary overran the grid"
    for j, h in enumerate(COLUMNS.values()):
        restyle(ws.cell(first - 1, 1 + j, h), HEADER)
    _grid_columns(ws, first, g, flows, years, n_years)
    if values is not None and expect is not None:
        v = block_values(values, NEWTON_STEPS)
        sheet = ws.title
        for key, x in v.summary.items():
            expect[(sheet, label[key], 2)] = x
        for t, x in enumerate(v.signs):
            expect[(sheet, sign_row, 2 + t)] = x
        for letter, column in v.columns.items():
            if letter in UNCACHED:
                continue
            c = column_index_from_string(letter)
            keys = zip(repeat(sheet), range(first, first + len(column)), repeat(c), strict=False)  # (sheet, row, c)
            expect.update(zip(keys, column, strict=True))
    group_rows(ws, first - 1, last)
    return IrrCells(at("status"), at("rate"), at("shown"), last)


def _grid_columns(ws: Worksheet, first: int, g: Grid, flows: str, years: str, n_years: int) -> None:
    """The grid rows from ``first``: the constant ``1 + r`` per row and, per column, one array formula over the
    rows (element by element: products stand for AND, sums for OR, IF for MIN, MAX and clipping), with the
    first or last row written apart where a column looks at a neighbour (the rules of tem.finance.grid)."""
    n = g.y.size
    last = first + n - 1
    cells = ws._cells
    for j, y in enumerate(g.y.tolist()):  # new cells made directly, as ws.cell makes them
        if (first + j, 2) in cells:
            ws.cell(first + j, 2, y)
        else:
            ws._add_cell(Cell(ws, row=first + j, column=2, value=y))

    def rows(c: str, shift: int = 0, start: int = first, stop: int = last) -> str:  # a column's rows, shifted
        return f"{c}{start + shift}:{c}{stop + shift}"

    def array(c: str, formula: str, start: int = first, stop: int = last) -> None:
        ws[f"{c}{start}"] = ArrayFormula(f"{c}{start}:{c}{stop}", "=" + formula)

    inner = {"start": first, "stop": last - 1}  # cells: rows that look at the next row
    e = f"({rows('D')}-{years})"
    array("A", f"ROW({rows('A')})-{first}")
    array("C", f"{rows('B')}-1")
    array("D", f"IF({rows('B')}<1,{n_years - 1},0)")
    array("E", f"LN({rows('B', 1, **inner)})-LN({rows('B', **inner)})", **inner)
    array("F", f"MMULT({rows('B')}^{e},TRANSPOSE({flows}))")
    array("G", f"MMULT({rows('B')}^{e},TRANSPOSE(ABS({flows})))")
    array("H", f"MMULT({e}*{rows('B')}^{e},TRANSPOSE({flows}))")
    array("I", f"MMULT({e}*{rows('B')}^{e},TRANSPOSE(ABS({flows})))")
    # all-zero flows (a decision step that adds nothing) have G = 0: R and its slope read 0 there, not #DIV/0!
    # (their status is 1, no sign change, whatever the grid says)
    array("J", f"IF({rows('G')}>0,{rows('F')}/{rows('G')},0)")
    array("K", f"IF({rows('G')}>0,({rows('H')}*{rows('G')}-{rows('F')}*{rows('I')})/{rows('G')}^2,0)")
    array("L", f"IF(ABS({rows('J')})<={_num(ZERO_TOL)},0,SIGN({rows('J')}))")
    array("M", f"IF({rows('L', **inner)}*{rows('L', 1, **inner)}<0,1,0)", **inner)
    ws[f"M{last}"] = 0
    ws[f"N{first}"], ws[f"N{last}"] = 0, 0
    mid = {"start": first + 1, "stop": last - 1}
    array("N", f"IF(({rows('L', **mid)}=0)*({rows('L', -1, **mid)}*{rows('L', 1, **mid)}>=0),1,0)", **mid)
    site = f"({rows('M', **inner)}=1)+({rows('AC', **inner)}=1)*({rows('AB', **inner)}<0)>0"  # crossing or cubic crossing
    array("O", f'IF({rows("L", **inner)}=0,2*{rows("A", **inner)},IF({site},2*{rows("A", **inner)}+1,""))', **inner)
    ws[f"O{last}"] = f'=IF(L{last}=0,2*A{last},"")'
    left_ok = f"(({rows('L', -1, **mid)}<>{rows('L', **mid)})+(ABS({rows('J', **mid)})<ABS({rows('J', -1, **mid)}))>0)"
    right_ok = f"(({rows('L', 1, **mid)}<>{rows('L', **mid)})+(ABS({rows('J', **mid)})<=ABS({rows('J', 1, **mid)}))>0)"
    array("P", f"IF(({rows('L', **mid)}<>0)*{left_ok}*{right_ok},1,0)", **mid)
    ws[f"P{first}"] = f"=IF(AND(L{first}<>0,OR(L{first + 1}<>L{first},ABS(J{first})<=ABS(J{first + 1}))),1,0)"
    ws[f"P{last}"] = f"=IF(AND(L{last}<>0,OR(L{last - 1}<>L{last},ABS(J{last})<ABS(J{last - 1}))),1,0)"
    q, q_next = rows("Q", **inner), rows("P", 1, **inner)
    examined = f"(({rows('P', **inner)}=1)+({q_next}=1)>0)*({rows('L', **inner)}={rows('L', 1, **inner)})"
    array("Q", f"IF({examined}*({rows('L', **inner)}<>0),1,0)", **inner)
    ws[f"Q{last}"] = 0

    def when(formula: str) -> str:  # only in examined cells
        return f'IF({q}=1,{formula},"")'

    col = {c: rows(c, **inner) for c in ("E", "J", "K", "L", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "AA", "AB")}
    j_next, k_next = rows("J", 1, **inner), rows("K", 1, **inner)
    array("R", when(f"{col['E']}*{col['K']}"), **inner)
    array("S", when(f"{col['E']}*{k_next}"), **inner)
    array("T", when(f"3*({j_next}-{col['J']})-2*{col['R']}-{col['S']}"), **inner)
    array("U", when(f"{col['R']}+{col['S']}-2*({j_next}-{col['J']})"), **inner)
    array("V", when(f"{col['T']}^2-3*{col['R']}*{col['U']}"), **inner)
    array("W", when(f"-({col['T']}+IF({col['T']}>=0,1,-1)*SQRT(IF({col['V']}>0,{col['V']},0)))"), **inner)

    def clip(x: str) -> str:
        return f"IF({x}<0,0,IF({x}>1,1,{x}))"

    s1 = f"IF(({col['V']}>=0)*({col['U']}<>0),{col['W']}/(3*{col['U']}),0)"
    s2 = f"IF(({col['V']}>=0)*({col['W']}<>0),{col['R']}/{col['W']},0)"
    array("X", when(clip(s1)), **inner)
    array("Y", when(clip(s2)), **inner)

    def cubic(s: str) -> str:
        return f"{col['L']}*({col['J']}+{s}*({col['R']}+{s}*({col['T']}+{s}*{col['U']})))"

    def smaller(a: str, b: str) -> str:
        return f"IF({a}<{b},{a},{b})"

    array("Z", when(smaller(f"{col['L']}*{col['J']}", f"{col['L']}*{j_next}")), **inner)
    array("AA", when(smaller(cubic(col["X"]), cubic(col["Y"]))), **inner)
    array("AB", when(smaller(col["Z"], col["AA"])), **inner)
    near = f"({col['L']}*{col['K']}<0)*({col['L']}*{k_next}>=0)*({col['AB']}<={_num(NEAR_TOL)})"
    array("AC", f"IF({q}=1,IF({near},1,0),0)", **inner)
    ws[f"AC{last}"] = 0


def _col(n: int) -> str:
    return get_column_letter(n)


def _shift(block: str, start: int, length: int) -> str:
    """The ``length`` cells of a one-row block ``$X$r:$Y$r`` from offset ``start``."""
    letters, row = block.split(":")[0].strip("$").split("$")
    c0 = column_index_from_string(letters) + start
    return f"${_col(c0)}${row}:${_col(c0 + length - 1)}${row}"


def group_rows(ws: Worksheet, start: int, end: int) -> None:
    """``ws.row_dimensions.group(start, end, outline_level=1, hidden=True)``: rows ``start..end`` grouped at the
    first outline level and collapsed, with the same row dimensions, about ten times faster for thousands of rows.
    openpyxl builds and validates a dimension per row; here a new row's dimension is a copy of one built and
    validated by openpyxl (its attributes are plain values; its style none, as openpyxl's default for a row)."""
    dims = ws.row_dimensions
    proto = RowDimension(ws, index=start, outline_level=1, hidden=True)
    state = proto.__dict__
    for el in range(start, end + 1):
        dim = dims.get(el)
        if dim is not None:  # a row given a height or a style before: openpyxl's own setters
            dim.outline_level, dim.hidden = 1, True
            continue
        dim = RowDimension.__new__(RowDimension)
        dim.__dict__.update(state)
        dim.__dict__["index"] = el
        dim.parent, dim._style = ws, None
        dims[el] = dim

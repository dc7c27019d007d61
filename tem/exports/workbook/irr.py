"""The workbook's IRR: tem's IRR rules (:mod:`tem.finance.grid`) written as live formulas.

A block of cells (on the KPIs sheet, below the KPIs) reads the free cash flow row and gives the IRR status
(0 found, 1-6 why none, as :data:`tem.finance.IRR_STATUS`) and the IRR, so the workbook shows the same rate as
tem, or the same reason for none, whatever the flows: the same grid of rates, the same tolerances, the same
rules. The IRR itself is polished by Newton steps from the bracket the grid finds (no call to Excel's
``IRR``, whose answer depends on its guess and its iteration limit). The grid rows are grouped (collapsed).

Layout from row ``top``: a summary (label in column A, value in column B), the running sign of the flows
across the columns of one row, the Newton steps, then one row per grid point ``j`` with the columns below.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tem.exports.workbook.style import HEADER, SECTION, put_text
from tem.finance import IRR_STATUS_SHORT
from tem.finance.grid import CLOSE_STEPS, FLAT_TOL, NEAR_TOL, NPV_TOL, RATE_MAX, RATE_MIN, ZERO_TOL, Grid, grid

NEWTON_STEPS = 8
# grid columns: what each holds (row i is grid point j = i - first row)
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
    "Z": "cubic min",
    "AA": "near touch",
}


@dataclass(frozen=True)
class IrrCells:
    status: str  # absolute reference of the status cell (0 found, 1-6 why none)
    rate: str  # the IRR where status is 0, else #N/A
    shown: str  # the IRR, or the status text in its place
    last_row: int


def _num(x: float) -> str:
    return repr(float(x)).replace("e", "E")


def write_irr(ws: Worksheet, top: int, flows: str, years: str, n_years: int, name: str = "free cash flow") -> IrrCells:
    """Write the IRR block of the cash flow ``name`` from row ``top``; ``flows`` and ``years`` are one-row ranges
    of the cash flows and of the year indices 0..T-1 (absolute references, ``T = n_years`` columns)."""
    g = grid(n_years)
    n_points = g.y.size
    title = f"IRR search of the {name}: tem's rules as formulas (tem.finance.grid); the grid rows below are grouped"
    ws.cell(top, 1, title).font = SECTION
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
    col = {c: f"${c}${first}:${c}${last}" for c in ("A", "B", "J", "L", "N", "O", "AA")}
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
        f"IF(OR(SUM({col['N']})>0,SUM({col['AA']})>0,{at('sites')}>=2),4,IF({at('sites')}=1,0,2)))",
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
    line("rate", "IRR", f"=IF({at('status')}=0,MIN({_num(RATE_MAX)},MAX({_num(RATE_MIN)},{y}-1)),NA())")
    texts = ",".join('"' + IRR_STATUS_SHORT[code] + '"' for code in range(1, 7))
    line("shown", "IRR or why there is none", f"=IF({at('status')}=0,{at('rate')},CHOOSE({at('status')},{texts}))")
    ws.cell(label["rate"], 2).number_format = "0.00%"
    ws.cell(label["shown"], 2).number_format = "0.00%"
    assert r <= first - 2, "the summary overran the grid"
    for j, h in enumerate(COLUMNS.values()):
        ws.cell(first - 1, 1 + j, h).font = HEADER
    for j in range(n_points):
        _grid_row(ws, first + j, j, n_points, g.y[j], n_years - 1 if j < g.junction else 0, g, flows, years)
    ws.row_dimensions.group(first - 1, last, outline_level=1, hidden=True)
    return IrrCells(at("status"), at("rate"), at("shown"), last)


def _grid_row(ws: Worksheet, i: int, j: int, n_points: int, y: float, power_k: int, g: Grid, flows: str, years: str) -> None:
    """One grid point's row (see COLUMNS; the formulas of tem.finance.grid's rules)."""
    end = j == n_points - 1
    ws.cell(i, 1, j)
    ws.cell(i, 2, float(y))
    ws.cell(i, 3, f"=B{i}-1").number_format = "0.00%"
    ws.cell(i, 4, power_k)
    if not end:
        ws.cell(i, 5, float(g.log_step[j]))
    e = f"(D{i}-{years})"
    ws.cell(i, 6, f"=SUMPRODUCT({flows},B{i}^{e})")
    ws.cell(i, 7, f"=SUMPRODUCT(ABS({flows}),B{i}^{e})")
    ws.cell(i, 8, f"=SUMPRODUCT({flows},{e}*B{i}^{e})")
    ws.cell(i, 9, f"=SUMPRODUCT(ABS({flows}),{e}*B{i}^{e})")
    ws.cell(i, 10, f"=F{i}/G{i}")
    ws.cell(i, 11, f"=(H{i}*G{i}-F{i}*I{i})/G{i}^2")
    ws.cell(i, 12, f"=IF(ABS(J{i})<={_num(ZERO_TOL)},0,SIGN(J{i}))")
    n = i + 1
    ws.cell(i, 13, 0 if end else f"=IF(L{i}*L{n}<0,1,0)")
    ws.cell(i, 14, 0 if j in (0, n_points - 1) else f"=IF(AND(L{i}=0,L{i - 1}*L{n}>=0),1,0)")
    site_cell = "FALSE" if end else f"OR(M{i}=1,IF(AA{i}=1,Z{i}<0,FALSE))"  # a crossing, or a cubic crossing twice
    ws.cell(i, 15, f'=IF(L{i}=0,2*A{i},IF({site_cell},2*A{i}+1,""))')
    left_ok = "TRUE" if j == 0 else f"OR(L{i - 1}<>L{i},ABS(J{i})<ABS(J{i - 1}))"
    right_ok = "TRUE" if end else f"OR(L{n}<>L{i},ABS(J{i})<=ABS(J{n}))"
    ws.cell(i, 16, f"=IF(AND(L{i}<>0,{left_ok},{right_ok}),1,0)")
    if end:
        ws.cell(i, 17, 0)
        ws.cell(i, 27, 0)
        return
    ws.cell(i, 17, f"=IF(AND(OR(P{i}=1,P{n}=1),L{i}=L{n},L{i}<>0),1,0)")

    def when(formula: str) -> str:
        return f'=IF(Q{i}=1,{formula},"")'

    ws.cell(i, 18, when(f"E{i}*K{i}"))
    ws.cell(i, 19, when(f"E{i}*K{n}"))
    ws.cell(i, 20, when(f"3*(J{n}-J{i})-2*R{i}-S{i}"))
    ws.cell(i, 21, when(f"R{i}+S{i}-2*(J{n}-J{i})"))
    ws.cell(i, 22, when(f"T{i}^2-3*R{i}*U{i}"))
    ws.cell(i, 23, when(f"-(T{i}+IF(T{i}>=0,1,-1)*SQRT(MAX(V{i},0)))"))
    ws.cell(i, 24, when(f"MIN(1,MAX(0,IF(AND(V{i}>=0,U{i}<>0),W{i}/(3*U{i}),0)))"))
    ws.cell(i, 25, when(f"MIN(1,MAX(0,IF(AND(V{i}>=0,W{i}<>0),R{i}/W{i},0)))"))

    def cubic(s: str) -> str:
        return f"L{i}*(J{i}+{s}*(R{i}+{s}*(T{i}+{s}*U{i})))"

    ws.cell(i, 26, when(f"MIN(L{i}*J{i},L{i}*J{n},{cubic(f'X{i}')},{cubic(f'Y{i}')})"))
    ws.cell(i, 27, f"=IF(Q{i}=1,IF(AND(L{i}*K{i}<0,L{i}*K{n}>=0,Z{i}<={_num(NEAR_TOL)}),1,0),0)")


def _col(n: int) -> str:
    return get_column_letter(n)


def _shift(block: str, start: int, length: int) -> str:
    """The ``length`` cells of a one-row block ``$X$r:$Y$r`` from offset ``start``."""
    letters, row = block.split(":")[0].strip("$").split("$")
    c0 = column_index_from_string(letters) + start
    return f"${_col(c0)}${row}:${_col(c0 + length - 1)}${row}"

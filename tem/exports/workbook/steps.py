"""The nested programs of the board summary as live formulas: one sheet per decision step ("Step 1" ...).

Each step is the scenario's program with the phases of the later steps not built (their capex, capacity and
fixed opex at zero; no technology fee without a cell plant) and its gates decided by the same live formulas as on
Calculations (the definition of :func:`tem.analysis.scenarios.decisions.program_values`, carried by the board
summary, run with ``gates="decide"``): the last step is the program as run, so the steps add up to its NPV.
Those replaced inputs are
listed on Inputs, below the inputs, as fixed values (the step's definition, not assumptions); every other input is the
scenario's own, so an edit of any blue input moves every step. Each sheet has the rows of Calculations (the same
builders), then the step's free cash flow minus the previous step's and two IRR blocks (the program's and the
increment's, tem's IRR rules as formulas). The Summary sheet links to the cells returned here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from tem.exports.workbook.calc import CalcSheet
from tem.exports.workbook.counterfactual import write_counterfactual_inputs
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.irr import write_irr
from tem.exports.workbook.style import SECTION, put_text
from tem.model.engine import Outcome, run_inputs
from tem.model.inputs import Inputs

Expect = dict[tuple[str, int, int], float | str]


@dataclass(frozen=True)
class StepCells:
    """References (``'Step 2'!$B$5``-style) to one step's live figures, and their engine values."""

    sheet: str
    npv: str
    irr: str  # the IRR or why there is none
    peak_funding: str
    dva: str | None
    increment_irr: str
    values: dict[str, float | str]


def step_inputs(shown: Inputs, values: Mapping[str, np.ndarray], j: int) -> Inputs:
    """The inputs of step ``j``'s program: ``values`` (path -> one value per step) in the inputs' own shapes."""
    arrays = dict(shown.arrays)
    for path, v in values.items():
        arrays[path] = np.asarray(v[j], dtype=float).reshape(np.shape(shown.arrays[path]))
    return replace(shown, arrays=arrays)


def write_steps(
    wb: Workbook,
    ws_in: Worksheet,
    grid: Grid,
    shown: Inputs,
    labels: tuple[str, ...],
    values: Mapping[str, np.ndarray],
    dva_fy: int | None,
    expect: Expect,
    calculations: Callable[..., CalcSheet],
) -> list[StepCells]:
    """One sheet per step after the last sheet; ``calculations`` is the workbook's Calculations builder."""
    cells: list[StepCells] = []
    previous: CalcSheet | None = None
    for j, label in enumerate(labels):
        inp = step_inputs(shown, values, j)
        name = f"Step {j + 1}"
        outcome, _ = run_inputs(inp, gates="decide")
        step_grid = write_counterfactual_inputs(
            ws_in,
            grid,
            shown,
            inp,
            title=f"{name} ({label}): the inputs its definition replaces (not assumptions)",
            prefix=f"step{j + 1}",
        )
        ws = wb.create_sheet(name)
        calc = calculations(
            ws, step_grid, outcome, f"{name}: {label} (the program up to this step; its gates decided)", funding=False
        )
        expect.update({(name, r, c): v for (r, c), v in calc.expect.items()})
        cells.append(_figures(ws.title, calc, previous, outcome, dva_fy, expect))
        previous = calc
    return cells


def _q(sheet: str) -> str:
    return f"'{sheet}'"


def _figures(
    sheet: str, calc: CalcSheet, previous: CalcSheet | None, o: Outcome, dva_fy: int | None, expect: Expect
) -> StepCells:
    """The step's increment row and IRR blocks below its rows; the references of its figures."""
    ws, g = calc.ws, calc.grid
    n = g.n_years
    fcf = np.array([float(calc.expect[(g.rows["fcf"], FIRST_COL + t)]) for t in range(n)])
    before = (
        np.zeros(n)
        if previous is None
        else np.array([float(previous.expect[(previous.grid.rows["fcf"], FIRST_COL + t)]) for t in range(n)])
    )
    r = calc.next_row + 1
    ws.cell(r, 1, "What this step adds").font = SECTION
    r += 1
    put_text(ws, r, 1, "fcf_increment")
    put_text(ws, r, 2, "Free cash flow minus the previous step's" if previous is not None else "Free cash flow")
    put_text(ws, r, 3, "INR crore")
    for t in range(n):
        col = g.col(t)
        ref = f"{_q(previous.ws.title)}!{col}{previous.grid.rows['fcf']}" if previous is not None else "0"
        ws.cell(r, FIRST_COL + t, f"={col}{g.rows['fcf']}-{ref}")
        expect[(sheet, r, FIRST_COL + t)] = float(fcf[t] - before[t])
    inc_row = f"${g.col(0)}${r}:${g.last_col}${r}"
    years = f"${g.col(0)}${g.rows['t']}:${g.last_col}${g.rows['t']}"
    flows = f"${g.col(0)}${g.rows['fcf']}:${g.last_col}${g.rows['fcf']}"
    program = write_irr(ws, r + 3, flows, years, n, "program's free cash flow", fcf, expect)
    increment = write_irr(ws, program.last_row + 3, inc_row, years, n, "step's added free cash flow", fcf - before, expect)
    row = lambda key: f"{_q(sheet)}!${g.col(0)}${g.rows[key]}:${g.last_col}${g.rows[key]}"  # noqa: E731
    k = o.kpis
    dva = None
    values: dict[str, float | str] = {
        "npv": float(k["npv_inr_cr"][0]),
        "peak_funding": float(k["peak_funding_inr_cr"][0]),
        "irr": expect[(sheet, int(program.shown.split("$")[-1]), 2)],
        "increment_irr": expect[(sheet, int(increment.shown.split("$")[-1]), 2)],
    }
    if dva_fy is not None and "dva" in g.rows:
        t = dva_fy - int(o.inputs.structure.first_fy)
        dva = f"INDEX({row('dva')},1,{t + 1})"
        values["dva"] = float(np.asarray(o.operations.dva_share, dtype=float).reshape(-1, n)[0, t])
    return StepCells(
        sheet,
        f"SUM({row('pv')})",
        f"{_q(sheet)}!{program.shown}",
        f"-MIN(0,MIN({row('cum_fcf_pre')}))",
        dva,
        f"{_q(sheet)}!{increment.shown}",
        values,
    )

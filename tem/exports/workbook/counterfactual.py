"""The Import-only sheet: the import-only counterfactual as live formulas over the same Inputs.

The counterfactual is the scenario with a few inputs replaced by its definition
(:func:`tem.model.inputs.import_only_inputs`: local cells never start, no technology fee, the dropped phases
not built, ...). Those replacements are listed on the Inputs sheet, below the inputs, as fixed values; every
other input is the scenario's own, so a director's change to any blue input moves the counterfactual and every
increment (NPV minus import-only, pack cost minus import-only, forex saved) on recalculation. The sheet has the
same rows as Calculations (the same builders) and carries the engine's counterfactual values for the parity checks.
"""

from __future__ import annotations

import numpy as np
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.workbook.grid import FIRST_COL, SCALAR_COL, Grid, InputRef
from tem.exports.workbook.inputs_sheet import unit_of
from tem.exports.workbook.style import SECTION, number_format, put_text
from tem.model.inputs import NEVER_FY, Inputs

SHEET = "Import-only"


def changed_paths(inp: Inputs, cf: Inputs, grid: Grid) -> list[str]:
    """Input paths whose counterfactual value differs from the scenario's, in the Inputs sheet's order."""
    order = {p: i for i, p in enumerate(grid.inputs)}
    out = []
    for path, arr in cf.arrays.items():
        if path not in grid.inputs:
            continue
        mine = inp.arrays.get(path)
        if mine is None or np.shape(mine) != np.shape(arr) or not np.array_equal(mine, arr):
            out.append(path)
    return sorted(out, key=order.__getitem__)


def write_counterfactual_inputs(
    ws: Worksheet,
    grid: Grid,
    inp: Inputs,
    cf: Inputs,
    title: str = "Import-only counterfactual: the inputs it replaces (its definition, not assumptions)",
    prefix: str = "import_only",
) -> Grid:
    """Lists the counterfactual's replaced inputs on the Inputs sheet; returns the grid its formulas use (the
    scenario's inputs, with those paths pointing at the replacements). Also used for the decision steps."""
    r = ws.max_row + 2
    ws.cell(r, 1, title).font = SECTION
    refs: dict[str, InputRef] = {}
    for path in changed_paths(inp, cf, grid):
        r += 1
        kind = grid.inputs[path].kind
        put_text(ws, r, 1, f"{prefix}.{path}")
        put_text(ws, r, 2, f"{title.split(':')[0]}: {path}")
        put_text(ws, r, 3, catalogue.unit_text(unit_of(path)))
        arr = np.asarray(cf.arrays[path], dtype=float)
        note = f"fixed by the definition of {title.split(':')[0]}"
        if kind in ("scalar", "text") and arr.reshape(-1)[0] == NEVER_FY:
            note += f" ({NEVER_FY:.0f} stands for never)"
        put_text(ws, r, 4, note)
        fmt = number_format(unit_of(path))
        if kind in ("scalar", "text"):
            ws.cell(r, SCALAR_COL, float(arr.reshape(-1)[0])).number_format = fmt
            refs[path] = InputRef(r, "scalar")
        else:
            row = arr.reshape(-1) if kind == "list" else np.broadcast_to(arr.reshape(1, -1), (1, grid.n_years))[0]
            for t, x in enumerate(row):
                ws.cell(r, FIRST_COL + t, float(x)).number_format = fmt
            refs[path] = InputRef(r, kind)
    return Grid(
        grid.n_years,
        inputs={**grid.inputs, **refs},
        constants=grid.constants,
        used_input_rows=grid.used_input_rows,
        rendered=grid.rendered,
    )

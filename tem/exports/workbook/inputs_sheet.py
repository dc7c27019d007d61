"""The workbook's Inputs sheet: every input with its unit, description and source note, styled as an input.

Scalars sit in column E, yearly paths along the timeline (G = first FY), lists (ramps, spend profiles) along
the timeline from column G by position. Source notes are the comments written beside each value in the
assumption files. Constants used by formulas (unit conversions) are listed first.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.assumptions.input_kinds import input_kind
from tem.assumptions.schema import Assumptions
from tem.assumptions.walk import iter_leaves
from tem.assumptions.yearly import fy_label
from tem.exports.workbook.grid import FIRST_COL, SCALAR_COL, Grid, InputRef
from tem.exports.workbook.style import HEADER, INPUT_FILL, INPUT_FONT, SECTION, number_format, put_text, restyle
from tem.model.inputs import NEVER_FY, Inputs
from tem.units import INR_CR_PER_GWH_X_INR_PER_KWH, INR_PER_CRORE, KWH_PER_GWH, USD_PER_MILLION

CONSTANTS: list[tuple[str, str, float, str]] = [
    (
        "inr_cr_per_gwh_inr_per_kwh",
        "GWh x INR/kWh -> INR crore",
        INR_CR_PER_GWH_X_INR_PER_KWH,
        "INR crore per (GWh x INR/kWh)",
    ),
    (
        "inr_per_kwh_per_inr_cr_gwh",
        "INR crore / GWh -> INR/kWh",
        1.0 / INR_CR_PER_GWH_X_INR_PER_KWH,
        "INR/kWh per (INR crore/GWh)",
    ),
    (
        "usd_m_per_inr_cr_x_fx",
        "INR crore x 1/(INR per USD) -> USD million",
        INR_PER_CRORE / USD_PER_MILLION,
        "USD m x INR/USD per INR crore",
    ),
    ("kwh_per_gwh", "kWh in a GWh", KWH_PER_GWH, "kWh/GWh"),
    ("days_per_year", "Days in a year (working capital)", 365.0, "days"),
]

UNIT_SUFFIXES = [
    ("_inr_per_kwh", "INR/kWh"),
    ("_usd_per_kwh", "USD/kWh"),
    ("_inr_cr", "INR crore"),
    ("_usd_m", "USD million"),
    ("_gwh", "GWh"),
    ("_rate", "fraction"),
    ("_share", "fraction"),
    ("_fy", "FY"),
    ("_years", "years"),
    ("_days", "days"),
    ("inr_per_usd", "INR per USD"),
    ("_factor", "ratio"),
    ("_multiple", "x"),
    ("kwh_per_unit", "kWh/unit"),
    ("units", "units/yr"),
    ("yield_ramp", "fraction"),
    ("utilization_ramp", "fraction"),
    ("spend_profile", "fraction"),
]


def unit_of(path: str) -> str:
    """The model unit of the input at ``path``: from its name's suffix, else a fraction when the schema makes it a
    share or a rate (a customs duty ``bcd_rate_vehicle``, a ``price_premium``, a ``markup``: shown as %)."""
    name = path.rsplit(".", 1)[-1]
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return "fraction" if input_kind(path) == "rate" else ""


@lru_cache(maxsize=64)
def _lines(file: str) -> tuple[str, ...]:
    try:
        return tuple(Path(file).read_text(encoding="utf-8").splitlines())
    except OSError:
        return ()


def source_note(a: Assumptions, path: str) -> str:
    """The comment written beside ``path`` in its assumption file (or the override that set it)."""
    origins = a.origins
    probe = path
    while probe and probe not in origins:
        probe = probe.rpartition(".")[0]
    if not probe:
        return ""
    file, line = origins[probe]
    if line is None:
        return f"set by {file}"
    lines = _lines(file)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    _, hash_, comment = text.partition("#")
    note = comment.strip() if hash_ else ""
    return f"{Path(file).name}:{line}" + (f": {note}" if note else "")


def write_inputs(ws: Worksheet, a: Assumptions, inp: Inputs, grid: Grid) -> None:
    fys = [fy_label(int(fy)) for fy in inp.fiscal_years]
    ws.append(["key", "input", "unit", "source / note", "value", "", *fys])
    for cell in ws[1]:
        cell.font = HEADER
    row = 2
    ws.cell(row, 1, "Constants").font = SECTION
    row += 1
    for key, label, value, unit in CONSTANTS:
        put_text(ws, row, 1, f"constant.{key}")
        put_text(ws, row, 2, label)
        put_text(ws, row, 3, catalogue.unit_text(unit))
        put_text(ws, row, 4, "fixed by definition")
        ws.cell(row, SCALAR_COL, value)
        grid.constants[key] = row
        row += 1
    block = ""
    for leaf in iter_leaves(a):
        path = leaf.path
        if path in ("name", "description") or path.endswith(".name"):
            continue
        top = path.split(".")[0]
        if top != block:
            row += 1
            ws.cell(row, 1, top.replace("_", " ").capitalize()).font = SECTION
            block = top
            row += 1
        ref = _write_input(ws, row, path, leaf.value, inp, a, str(leaf.field.description or ""))
        if ref is not None:
            grid.inputs[path] = ref
            row += 1
    ws.freeze_panes = ws.cell(2, FIRST_COL)


def _write_input(
    ws: Worksheet, row: int, path: str, value: Any, inp: Inputs, a: Assumptions, description: str
) -> InputRef | None:
    kind = inp.kinds.get(path)
    put_text(ws, row, 1, path)
    put_text(ws, row, 2, catalogue.description_text(description))
    put_text(ws, row, 3, catalogue.unit_text(unit_of(path)))
    put_text(ws, row, 4, source_note(a, path))
    if kind is None:
        if isinstance(value, str):  # a policy or method: text the formulas compare against
            cell = put_text(ws, row, SCALAR_COL, value)
            restyle(cell, INPUT_FONT, INPUT_FILL)
            return InputRef(row, "text")
        if value is None and path == "transition.local_cells_start_fy":
            kind = "scalar"
        else:
            if value is not None:
                put_text(ws, row, SCALAR_COL, value)
            return None
    arr = inp.arrays.get(path)
    if arr is None:
        return None
    fmt = number_format(unit_of(path))
    if kind == "scalar":
        cell = ws.cell(row, SCALAR_COL, float(arr[0, 0]))
        restyle(cell, INPUT_FONT, INPUT_FILL).number_format = fmt
        if path == "transition.local_cells_start_fy" and arr[0, 0] == NEVER_FY:
            put_text(ws, row, 4, f"null in the assumptions: never ({NEVER_FY:.0f} stands for never)")
        return InputRef(row, "scalar")
    style = None
    for t, x in enumerate(arr[0].tolist()):
        cell = ws.cell(row, FIRST_COL + t, float(x))
        if style is None:  # the first year's cell through openpyxl; the others take its indices, as it would set
            restyle(cell, INPUT_FONT, INPUT_FILL).number_format = fmt
            style = cell._style
            continue
        own = cell._style
        if own is None:
            own = cell._style = StyleArray()
        own.fontId, own.fillId, own.numFmtId = style.fontId, style.fillId, style.numFmtId
    return InputRef(row, "yearly" if kind == "yearly" else "list")


UNREAD_FONT = Font(color="808080", italic=True)
NO_FILL = PatternFill()
UNREAD_NOTE = "not read by any formula of this workbook: fixed here (edit the assumption file and re-run tem)"


def mark_unread_inputs(ws: Worksheet, used_rows: set[int]) -> list[str]:
    """Inputs no formula reads lose the blue-on-yellow look of an editable input and say so in their note: a
    policy the workbook does not switch (e.g. ``transition.local_cell_allocation``) or an input this assumption
    set does not use. Call after every formula of the workbook is written; returns the paths marked."""
    rows: dict[int, list[Any]] = {}
    input_fill: dict[int, bool] = {}  # fill index -> an input's fill (read once per index)
    for (r, c), cell in ws._cells.items():  # existing cells only: reading must not create any
        if c < SCALAR_COL:
            continue
        index = cell._style.fillId if cell._style is not None else 0
        is_input = input_fill.get(index)
        if is_input is None:
            fill = cell.fill
            is_input = input_fill[index] = fill.fill_type == "solid" and fill.fgColor.rgb == INPUT_FILL.fgColor.rgb
        if is_input:
            rows.setdefault(r, []).append(cell)
    marked = []
    for r in sorted(rows):
        if r in used_rows:
            continue
        for cell in rows[r]:
            restyle(cell, UNREAD_FONT, NO_FILL)
        note = ws.cell(r, 4).value
        put_text(ws, r, 4, f"{note}; {UNREAD_NOTE}" if note else UNREAD_NOTE)
        marked.append(str(ws.cell(r, 1).value))
    return marked

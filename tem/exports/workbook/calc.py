"""The Calculations sheet: the whole model as live Excel formulas, one formula per row across the timeline.

Rows follow the engine's order (volumes, unit costs, capex, operations, tax, cash flow). Every row refers to
Inputs, to rows above it, or to the previous column of a balance (corkscrews: running totals, working
capital, loss set-off). Each row carries the engine's value for the same line so that the Checks sheet and
the tests can prove that a spreadsheet engine reproduces the Python numbers.
"""

from __future__ import annotations

import numpy as np
from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.catalogue import phase_label, segment_label
from tem.exports.workbook.fastwrite import all_plain, plain_formula, raw_rows
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.style import SECTION, number_format, put_text, restyle
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.volumes import ramp_by_age

Expect = dict[tuple[int, int], float | str]


class CalcSheet:
    """Appends calculation rows to a worksheet and records the Python value of every formula cell."""

    def __init__(self, ws: Worksheet, grid: Grid, outcome: Outcome):
        self.ws, self.grid, self.o = ws, grid, outcome
        self.n = grid.n_years
        self.next_row = 5
        self.expect: Expect = {}
        self.key_rows: list[str] = []

    def section(self, title: str) -> None:
        self.next_row += 1
        restyle(put_text(self.ws, self.next_row, 1, title), SECTION)
        self.next_row += 1

    def row(
        self, key: str, label: str, unit: str, template: str, expected: np.ndarray | float | None, key_row: bool = False
    ) -> None:
        r = self.next_row
        self.grid.rows[key] = r
        put_text(self.ws, r, 1, key)
        put_text(self.ws, r, 2, label)
        put_text(self.ws, r, 3, catalogue.unit_text(unit))
        fmt = number_format(unit)
        values = None if expected is None else _timeline(expected, self.n)
        formulas = self.grid.render_all(template)
        style = StyleArray()
        style.numFmtId = format_id(self.ws, fmt)  # the format's index: the same for every cell of the row
        put_formula(self.ws, r, FIRST_COL, formulas[0], style)
        raw, cells = raw_rows(self.ws), self.ws._cells
        inner = range(1, self.n - 1)
        if raw is not None and all_plain(formulas[1:-1]):  # kept as text (see fastwrite.raw_rows)
            taken = [t for t in inner if (r, FIRST_COL + t) in cells]  # written before: go through openpyxl
            for t in taken:
                put_formula(self.ws, r, FIRST_COL + t, formulas[t], style)
            free = [t for t in inner if (r, FIRST_COL + t) not in cells] if taken else inner
            if free:
                raw.setdefault(r, []).extend((FIRST_COL + t, formulas[t], style) for t in free)
        else:
            for t in inner:
                put_formula(self.ws, r, FIRST_COL + t, formulas[t], style)
        if self.n > 1:
            put_formula(self.ws, r, FIRST_COL + self.n - 1, formulas[-1], style)
        if values is not None:  # a value that does not exist is shown as blank text
            keys = [(r, FIRST_COL + t) for t in range(self.n)]
            self.expect.update(zip(keys, [x if x - x == 0.0 else "" for x in values], strict=True))
        if key_row:
            self.key_rows.append(key)
        self.next_row += 1


def _timeline(expected: np.ndarray | float, n: int) -> list[float]:
    """The row's values, one per year: the last ``n`` of ``expected`` flattened, or its one value in every year."""
    flat = np.asarray(expected, dtype=float).reshape(-1)[-n:]
    if flat.size == n:
        return flat.tolist()
    return np.broadcast_to(flat, (n,)).tolist()


def format_id(ws: Worksheet, fmt: str) -> int:
    """The index ``cell.number_format = fmt`` gives a cell of ``ws``'s workbook (a custom format registered there
    by its first use, as openpyxl registers it)."""
    if fmt in BUILTIN_FORMATS_REVERSE:
        return int(BUILTIN_FORMATS_REVERSE[fmt])
    return int(ws.parent._number_formats.add(fmt)) + BUILTIN_FORMATS_MAX_SIZE


def put_formula(ws: Worksheet, row: int, column: int, formula: str, style: StyleArray) -> None:
    """``ws.cell(row, column, formula)`` with the number format of ``style`` (a style with only that set), as
    openpyxl stores it. A new cell with a plain formula (printable, within Excel's 32,767 characters) is made
    directly, without openpyxl's checks of each value, which it passes; any other goes through openpyxl."""
    if (row, column) in ws._cells or not plain_formula(formula):
        cell = ws.cell(row, column, formula)
        if not cell._style:
            cell._style = StyleArray()
        cell._style.numFmtId = style.numFmtId
        return
    cell = Cell(ws, row=row, column=column, style_array=style)
    cell._value = formula
    cell.data_type = "f"
    ws._add_cell(cell)


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, else 0 (the formulas' IF)."""
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def first(a: np.ndarray) -> np.ndarray:
    """Scenario 0 of an engine array, as (T,)."""
    arr = np.asarray(a, dtype=float)
    return arr[0] if arr.ndim == 2 else arr


def _ramp(list_path: str, age_key: str) -> str:
    """Value of a ramp list at an age (last value holds), 0 before the start."""
    return f"IF({{{age_key}}}<0,0,INDEX({{in:{list_path}}},MIN({{{age_key}}},COUNT({{in:{list_path}}})-1)+1))"


def volume_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    v = o.volumes
    c.section("Volumes [GWh]")
    for s in inp.structure.segments:
        p = f"demand.{s}."
        gwh = (
            f"{{in:{p}units}}*{{in:{p}kwh_per_unit}}/{{c:kwh_per_gwh}}"
            if inp.structure.segment_by_units[s]
            else f"{{in:{p}volume_gwh}}"
        )
        c.row(
            f"demand_{s}",
            f"Demand: {segment_label(s)}",
            "GWh",
            f"IF({{fy}}>={{in:{p}start_fy}},{gwh},0)",
            first(v.demand_gwh[s]),
        )
    c.row(
        "demand_total",
        "Demand: total",
        "GWh",
        "+".join(f"{{demand_{s}}}" for s in inp.structure.segments),
        first(v.demand_total_gwh),
        True,
    )
    fy = first(inp.fiscal_years[None, :].astype(float))
    for kind in ("pack_line", "cell_plant", "recycling"):
        for ph in (p for p in inp.structure.phases if p.kind == kind):
            p = f"capex.phases.{ph.name}."
            age = fy - first(inp[p + "commissioning_fy"])
            c.row(
                f"age_{ph.name}",
                f"Years in operation: {phase_label(ph.name)}",
                "years",
                f"{{fy}}-{{in:{p}commissioning_fy}}",
                age,
            )
            util = first(ramp_by_age(inp[p + "utilization_ramp"], age[None, :]))
            c.row(
                f"util_{ph.name}",
                f"Utilization: {phase_label(ph.name)}",
                "fraction",
                _ramp(p + "utilization_ramp", f"age_{ph.name}"),
                util,
            )

    def cap_sum(kind: str, ramped: bool) -> str:
        terms = [
            f"{{in:capex.phases.{ph.name}.capacity_gwh}}*"
            + (f"{{util_{ph.name}}}" if ramped else f"({{age_{ph.name}}}>=0)")
            + (f"*{{kept_{ph.name}}}" if f"kept_{ph.name}" in c.grid.rows else "")  # gates (workbook/gates.py)
            for ph in inp.structure.phases
            if ph.kind == kind
        ]
        return "+".join(terms) if terms else "0"

    c.row("pack_capacity", "Pack capacity (ramped)", "GWh", cap_sum("pack_line", True), first(v.pack_capacity_gwh))
    c.row("pack_output", "Packs made in India", "GWh", "MIN({demand_total},{pack_capacity})", first(v.pack_output_gwh), True)
    c.row(
        "excess",
        "Demand above pack capacity",
        "GWh",
        "{demand_total}-{pack_output}",
        first(v.demand_total_gwh - v.pack_output_gwh),
    )
    c.row(
        "bought_in",
        "Packs bought in",
        "GWh",
        'IF({in:transition.overflow_policy}="import_packs",{excess},0)',
        first(v.bought_in_packs_gwh),
    )
    c.row("unmet", "Demand not met", "GWh", "{excess}-{bought_in}", first(v.unmet_gwh))
    c.row("delivered", "Packs delivered", "GWh", "{pack_output}+{bought_in}", first(v.delivered_gwh))
    served = np.where(
        first(v.demand_total_gwh) > 0,
        first(v.delivered_gwh) / np.where(first(v.demand_total_gwh) > 0, first(v.demand_total_gwh), 1),
        0.0,
    )
    c.row("served", "Share of demand served", "fraction", "IF({demand_total}>0,{delivered}/{demand_total},0)", served)
    segs = inp.structure.segments
    if inp.structure.pack_allocation == "priority":
        ahead: list[str] = []
        served_before = np.zeros(c.n)
        for s in inp.structure.pack_priority:
            c.row(
                f"pack_ahead_{s}",
                f"Demand served before {segment_label(s)}",
                "GWh",
                "+".join(ahead) if ahead else "0",
                served_before,
            )
            ahead.append(f"{{demand_{s}}}")
            served_before = served_before + first(v.demand_gwh[s])
        for s in segs:
            c.row(
                f"made_{s}",
                f"Packs made in India: {segment_label(s)}",
                "GWh",
                f"MIN(MAX({{pack_output}}-{{pack_ahead_{s}}},0),{{demand_{s}}})",
                first(v.pack_output_by_segment[s]),
            )
            c.row(
                f"bought_{s}",
                f"Packs bought in: {segment_label(s)}",
                "GWh",
                f'IF({{in:transition.overflow_policy}}="import_packs",{{demand_{s}}}-{{made_{s}}},0)',
                first(v.bought_in_by_segment[s]),
            )
            c.row(f"met_{s}", f"Demand met: {segment_label(s)}", "GWh", f"{{made_{s}}}+{{bought_{s}}}", first(v.met_gwh[s]))
    else:
        c.row(
            "made_share",
            "Share of demand made in India",
            "fraction",
            "IF({demand_total}>0,{pack_output}/{demand_total},0)",
            safe_ratio(first(v.pack_output_gwh), first(v.demand_total_gwh)),
        )
        c.row(
            "bought_share",
            "Share of demand bought in",
            "fraction",
            "IF({demand_total}>0,{bought_in}/{demand_total},0)",
            safe_ratio(first(v.bought_in_packs_gwh), first(v.demand_total_gwh)),
        )
        for s in segs:
            c.row(f"met_{s}", f"Demand met: {segment_label(s)}", "GWh", f"{{demand_{s}}}*{{served}}", first(v.met_gwh[s]))
            c.row(
                f"made_{s}",
                f"Packs made in India: {segment_label(s)}",
                "GWh",
                f"{{demand_{s}}}*{{made_share}}",
                first(v.pack_output_by_segment[s]),
            )
            c.row(
                f"bought_{s}",
                f"Packs bought in: {segment_label(s)}",
                "GWh",
                f"{{demand_{s}}}*{{bought_share}}",
                first(v.bought_in_by_segment[s]),
            )
    c.row("cells_required", "Cells required", "GWh", "{pack_output}/{in:pack.pack_yield}", first(v.cells_required_gwh))
    local_age = fy - first(inp["transition.local_cells_start_fy"])
    c.row("local_age", "Years of local cell production", "years", "{fy}-{in:transition.local_cells_start_fy}", local_age)
    progress = np.clip((local_age + 1) / first(inp["transition.ramp_years"]), 0, 1)
    c.row(
        "local_progress",
        "Ramp to the target local share",
        "fraction",
        "MIN(MAX(({local_age}+1)/{in:transition.ramp_years},0),1)",
        progress,
    )
    c.row(
        "local_target",
        "Target local share",
        "fraction",
        "{in:transition.target_local_share}*{local_progress}",
        first(v.local_target_share),
    )
    good_terms = []
    for ph in (p for p in inp.structure.phases if p.kind == "cell_plant"):
        p = f"capex.phases.{ph.name}."
        comms = ",".join(f"{{in:capex.phases.{x}.commissioning_fy}}" for x in ph.yield_from)
        start = f"MIN({comms})" if ph.yield_from else f"{{in:{p}commissioning_fy}}"
        learn_age = fy - min(
            (first(inp[f"capex.phases.{x}.commissioning_fy"]) for x in ph.yield_from),
            default=first(inp[p + "commissioning_fy"]),
        )
        c.row(f"yage_{ph.name}", f"Years of yield learning: {phase_label(ph.name)}", "years", f"{{fy}}-{start}", learn_age)
        c.row(
            f"yield_{ph.name}",
            f"Cell yield: {phase_label(ph.name)}",
            "fraction",
            _ramp(ph.yield_ramp, f"yage_{ph.name}"),
            first(ramp_by_age(inp[ph.yield_ramp], learn_age[None, :])),
        )
        kept = f"*{{kept_{ph.name}}}" if f"kept_{ph.name}" in c.grid.rows else ""  # gates (workbook/gates.py)
        good_terms.append(f"{{in:{p}capacity_gwh}}*{{util_{ph.name}}}*{{yield_{ph.name}}}{kept}")
    c.row("cell_nameplate", "Cell plant nameplate", "GWh", cap_sum("cell_plant", False), first(v.cell_nameplate_gwh))
    c.row(
        "cell_usable",
        "Cell plant usable (ramped), cells started",
        "GWh",
        cap_sum("cell_plant", True),
        first(v.cell_usable_started_gwh),
    )
    usable = first(v.cell_usable_started_gwh)
    good = np.where(usable > 0, usable * first(v.cell_yield), 0.0)  # the yield row is good / usable
    c.row("cell_good", "Cell plants: good cells they can make", "GWh", "+".join(good_terms) if good_terms else "0", good)
    c.row(
        "cell_yield",
        "Cell yield (average over plants)",
        "fraction",
        "IF({cell_usable}>0,{cell_good}/{cell_usable},INDEX({in:cells.local.yield_ramp},1))",
        first(v.cell_yield),
    )
    c.row(
        "local_cells",
        "Cells made in India (good)",
        "GWh",
        "IF({local_age}>=0,MIN({local_target}*{cells_required},{cell_good}),0)",
        first(v.local_cells_gwh),
        True,
    )
    c.row("local_started", "Local cells started", "GWh", "{local_cells}/{cell_yield}", first(v.local_cells_started_gwh))
    c.row("imported_cells", "Cells imported", "GWh", "{cells_required}-{local_cells}", first(v.imported_cells_gwh), True)
    c.row(
        "cell_utilization",
        "Cell plant utilization",
        "fraction",
        "IF({cell_nameplate}>0,{local_started}/{cell_nameplate},0)",
        first(v.cell_utilization),
    )
    c.row(
        "recycling_capacity",
        "Recycling capacity (ramped)",
        "GWh",
        cap_sum("recycling", True),
        first(v.recycling_capacity_gwh),
    )

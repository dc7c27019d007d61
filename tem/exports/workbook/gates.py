"""Gates in the workbook: each condition, each gate's outcome and each phase's "built" flag as live formulas on
the scenario's own rows (README, "Gates").

* Section "Gates" at the end of Calculations, values in column E: per condition the value read (the line's
  cell in the decision year, or the input), then 1 if it passes; per gate 1 if it passes (MIN of its conditions
  for ``all``, MAX for ``any``); per phase a gate can remove, 1 if built (the product of the gates that can
  remove it). A gate whose phase requires a phase an earlier gate removed is not reached: its values read
  "none" (text, never an error value) and it does not pass.
* A row ``kept_<phase>`` near the top of Calculations multiplies that phase's capex, capacity and fixed opex
  rows. It holds 1 up to the decision year (the phase spends nothing before then, so its rows are zero whatever
  the gate says) and refers to the phase's built flag after it; so the cells a condition reads never depend on
  the decision they feed (no circular reference).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from openpyxl.utils import get_column_letter

from tem import catalogue
from tem.catalogue import phase_label
from tem.exports.workbook.calc import CalcSheet
from tem.exports.workbook.grid import FIRST_COL, SCALAR_COL
from tem.exports.workbook.style import SECTION, put_text
from tem.model.engine import Outcome
from tem.model.gates import removable
from tem.model.inputs import Inputs

NONE = "none"  # a value that does not exist (no local cells; no demand; a gate not reached)


def _duty_gap_template(inp: Inputs) -> str:
    """``cell_duty_minus_pack_duty_rate``: the widest gap over the segments with demand, "none" without demand
    (as :func:`tem.model.gates.cell_minus_pack_duty`)."""
    terms = []
    for s in inp.structure.segments:
        pr = inp.structure.products[s]
        terms.append(f"IF({{demand_{s}}}>0,{{in:{pr.cell_bcd}}}-{{in:{pr.pack_bcd}}},-1E+99)")
    widest = f"MAX({','.join(terms)})"
    return f'IF({widest}>-1E+99,{widest},"{NONE}")'


# the formula of each gate line in one year, over Calculations rows (tem.model.gates.LINES, same names)
LINE_TEMPLATES: dict[str, str | Callable[[Inputs], str]] = {
    "imported_cell_landed_inr_per_kwh": "{imp_landed}",
    "imported_cell_fob_usd_per_kwh": "{fob_usd}",
    "local_cell_variable_minus_imported_inr_per_kwh": f'IF({{local_cells}}>0,{{local_cell}}-{{replaced_landed}},"{NONE}")',
    "cell_yield": "{cell_yield}",
    "dva_share": "{dva}",
    "local_cells_gwh": "{local_cells}",
    "ebitda_inr_cr": "{ebitda}",
    "cell_duty_minus_pack_duty_rate": _duty_gap_template,
}


def line_template(name: str, inp: Inputs) -> str:
    """The formula template of gate line ``name`` in one year, over Calculations rows."""
    template = LINE_TEMPLATES[name]
    return template if isinstance(template, str) else template(inp)


def reserve_kept_rows(c: CalcSheet, inp: Inputs) -> None:
    """One ``kept_<phase>`` row per phase a gate can remove (filled by :func:`gate_rows`)."""
    for phase in removable(inp.structure):
        r = c.next_row
        c.grid.rows[f"kept_{phase}"] = r
        put_text(c.ws, r, 1, f"kept_{phase}")
        put_text(c.ws, r, 2, f"Built after its gates: {phase_label(phase)} (1 = yes; 1 until the decision)")
        put_text(c.ws, r, 3, "flag")
        c.next_row += 1


def kept(c: CalcSheet, phase: str) -> str:
    """``*{kept_<phase>}`` for a phase a gate can remove, else nothing (templates multiply by it)."""
    return f"*{{kept_{phase}}}" if f"kept_{phase}" in c.grid.rows else ""


def built(c: CalcSheet, phase: str) -> str:
    """``*`` the phase's built flag (1 or 0; the last year of its ``kept_`` row, after every decision) for a
    phase a gate can remove, else nothing: for formulas that use a phase's capex input outside its own rows."""
    key = f"kept_{phase}"
    return f"*INDEX({{{key}:all}},COLUMNS({{{key}:all}}))" if key in c.grid.rows else ""


def link_kept_rows(c: CalcSheet, main: CalcSheet, sheet: str = "Calculations") -> None:
    """The import-only sheet's ``kept_`` rows read the scenario's (its counterfactual is built on the phases the
    scenario's gates keep, :func:`tem.model.engine.run_inputs`)."""
    for key, r in c.grid.rows.items():
        if key.startswith("kept_") and key in main.grid.rows:
            src = main.grid.rows[key]
            for t in range(c.grid.n_years):
                c.ws.cell(r, FIRST_COL + t, f"={sheet}!{c.grid.col(t)}{src}")
                c.expect[(r, FIRST_COL + t)] = main.expect[(src, FIRST_COL + t)]


def gate_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    """The Gates section; fills the ``kept_`` rows."""
    decision = o.gates
    structure = inp.structure
    if decision is None or not structure.gates:
        return
    c.section("Gates (decided at the end of the decision year on that year's values; column E)")
    ws = c.ws
    e = get_column_letter(SCALAR_COL)
    gate_cell: dict[str, str] = {}

    def put(key: str, label: str, unit: str, formula: str, value: float) -> str:
        r = c.next_row
        put_text(ws, r, 1, key)
        put_text(ws, r, 2, label)
        put_text(ws, r, 3, unit)
        ws.cell(r, SCALAR_COL, formula)
        c.expect[(r, SCALAR_COL)] = value if math.isfinite(value) else NONE  # no value read: the text "none"
        c.next_row += 1
        return f"${e}${r}"

    removers = removable(structure)
    decided = {g.phase: g.decide_fy for g in structure.gates}
    for g in sorted(structure.gates, key=lambda g: g.decide_fy):
        earlier = [gate_cell[h] for h in removers.get(g.phase, ()) if h != g.phase and decided[h] < g.decide_fy]
        passes = []
        for i, cond in enumerate(g.conditions):
            t = cond.fy - structure.first_fy
            template = line_template(cond.name, inp) if cond.source == "line" else f"{{in:{cond.name}}}"
            name = catalogue.label(cond.name) if cond.source == "line" else cond.name  # a line in words, or an input path
            what = f"{name} in FY{cond.fy % 100:02d}"
            read = float(decision.values[(g.phase, i)][0])
            formula = c.grid.render(template, t)
            if earlier:  # not reached where a required phase was not built: no value read
                formula = f"=IF({'*'.join(earlier)}=1,{formula[1:]},\"{NONE}\")"
            value = put(f"gate_{g.phase}_{i}_value", f"{phase_label(g.phase)}: {what}", "", formula, read)
            threshold = c.grid.render(f"{{in:{cond.threshold_path}}}", 0)[1:]
            passes.append(
                put(
                    f"gate_{g.phase}_{i}_passes",
                    f"{phase_label(g.phase)}: {what} {catalogue.OPERATORS.get(cond.op, cond.op)} threshold (1 = passes)",
                    "flag",
                    f"=IF(ISNUMBER({value}),IF({value}{cond.op}{threshold},1,0),0)",
                    float(decision.condition_passed[(g.phase, i)][0]),
                )
            )
        fn = "MIN" if g.combine == "all" else "MAX"
        gate_cell[g.phase] = put(
            f"gate_{g.phase}_passes",
            f"Gate of {phase_label(g.phase)}, decided at the end of FY{g.decide_fy % 100:02d} "
            f"({g.combine} conditions; 1 = go)",
            "flag",
            f"={fn}({','.join(passes)})",
            float(decision.passed[g.phase][0]),
        )
    for phase, gates in removers.items():
        built = put(
            f"built_{phase}",
            f"Built: {phase_label(phase)} (its gate and the gates of the phases it requires)",
            "flag",
            "=" + "*".join(gate_cell[g] for g in gates),
            float(decision.built[phase][0]),
        )
        r = c.grid.rows[f"kept_{phase}"]
        last_decision = max(decided[g] for g in gates) - structure.first_fy
        for t in range(structure.n_years):
            ws.cell(r, FIRST_COL + t, 1 if t <= last_decision else f"={built}")
            c.expect[(r, FIRST_COL + t)] = 1.0 if t <= last_decision else float(decision.built[phase][0])
    put_text(ws, c.next_row, 2, "A gate reads the scenario's own rows: the phases it removes spend nothing up to then.")
    ws.cell(c.next_row, 2).font = SECTION
    c.next_row += 1

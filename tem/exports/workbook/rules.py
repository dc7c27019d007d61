"""The loader's rules that are more than one field's own bounds, as the workbook's Checks enforce them.

The loader (:mod:`tem.assumptions.checks`, :mod:`tem.assumptions.gates`, the schema's validators) refuses some
values that the schema's bounds allow. In the workbook the timeline is fixed (its columns are the years; the first
year and the horizon are fixed inputs, see :data:`FIXED`), a phase's spend profile keeps its length and the gates
their decision years (neither is an input cell), so most of these rules become tighter bounds on one cell
(:func:`year_limits`, :func:`capacity_limit`), enforced by the cell's own range and Checks row. The rules that read
two or more cells a director can edit are :class:`Rule` rows on Checks (:func:`loader_rules`): a spend profile
sums to 1, the PLI's first year inside the horizon while the PLI is received, the perpetuity growth below the
discount rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.assumptions.gates import removing_gates
from tem.assumptions.phases import CAPACITY_KINDS
from tem.assumptions.schema import Assumptions
from tem.assumptions.yearly import fy_label
from tem.exports.workbook.grid import FIRST_COL, SCALAR_COL, Grid
from tem.model.inputs import FIXED_IN_A_BATCH

FIXED = tuple(FIXED_IN_A_BATCH)  # the first year and the horizon: the workbook's columns are its years
SPEND_TOLERANCE = 1e-6  # the schema's: a spend profile sums to 1 within it (CapexPhase._sums_to_one)


@dataclass(frozen=True)
class Rule:
    """A check between inputs: ``label`` names it in words (Checks column A), ``text`` says what is allowed,
    ``valid`` is an Excel expression TRUE when it holds, ``value`` the number shown beside it (an expression) and
    ``shown`` its value as exported; ``holds`` whether the inputs as exported meet it."""

    label: str
    text: str
    valid: str
    value: str
    shown: float
    holds: bool


def _horizon(a: Assumptions) -> tuple[int, int, str]:
    first = a.timeline.first_fy
    last = first + a.timeline.horizon_years - 1
    return first, last, f"{fy_label(first)}-{fy_label(last)}"


def _fy_text(lo: int, hi: int) -> str:
    return f"a fiscal year from {lo} ({fy_label(lo)}) to {hi} ({fy_label(hi)})"


def fixed_text(value: float, a: Assumptions) -> str:
    """What a fixed input (:data:`FIXED`) may hold, in words."""
    _, _, span = _horizon(a)
    return (
        f"{value:g}, as exported: fixed in this workbook (its columns are the years {span}); to change it, edit the "
        "assumption file and re-run tem"
    )


def year_limits(a: Assumptions, path: str) -> tuple[float, float, str] | None:
    """(lowest, highest, in words) of a fiscal-year input on the Inputs sheet where the loader's horizon rules
    (:func:`tem.assumptions.checks.year_problem`, the gates' "you cannot un-spend") allow less than the schema's
    2000-2100; None for other inputs and for the PLI's first year (a rule with its switch: :func:`loader_rules`)."""
    first, last, span = _horizon(a)
    parts = path.split(".")
    if parts[0] == "demand" and parts[-1] == "start_fy":
        return 2000.0, float(last), f"a fiscal year up to {last} ({fy_label(last)}): the segment must sell within {span}"
    if parts[:2] == ["capex", "phases"] and parts[-1] == "commissioning_fy":
        phases = {ph.name: ph for ph in a.capex.phases}
        name = ".".join(parts[2:-1])
        years = len(phases[name].spend_profile)
        lo, why = first + years - 1, f"its {years} years of spend start in {fy_label(first)} or later"
        gates = removing_gates(phases)[name]
        if gates:
            gated, decide = max(gates.items(), key=lambda kv: kv[1])
            whose = "its gate" if gated == name else f"the gate of {catalogue.phase_label(gated)} (required)"
            if decide + years > lo:
                lo = decide + years
                why = f"its {years} years of spend start after {whose} decides (end of {fy_label(decide)})"
        return float(lo), float(last), f"{_fy_text(lo, last)}: {why}, within {span}"
    if path in ("transition.local_cells_start_fy", "capex.price_base_fy"):
        return float(first), float(last), _fy_text(first, last) + f", within {span}"
    return None


def capacity_limit(a: Assumptions, path: str) -> str | None:
    """The words for a phase's capacity that must be 0 (a kind that adds no modelled capacity); None otherwise."""
    parts = path.split(".")
    if parts[:2] != ["capex", "phases"] or parts[-1] != "capacity_gwh":
        return None
    kinds = {ph.name: ph.kind for ph in a.capex.phases}
    kind = kinds.get(".".join(parts[2:-1]))
    if kind is None or kind in CAPACITY_KINDS:
        return None
    kind_text = catalogue.phase_label(kind)
    return f"0: a phase of kind {kind_text} adds no modelled capacity (pack lines, cell plants, recycling do)"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def loader_rules(a: Assumptions, grid: Grid, ws_in: Worksheet) -> list[Rule]:
    """The rules between input cells a director can edit, each where its cells are on the Inputs sheet."""
    rules: list[Rule] = []
    refs = grid.inputs

    def cell(path: str) -> str:
        return f"Inputs!$E${refs[path].row}"

    def value(path: str, t: int | None = None) -> float | str:
        v = ws_in.cell(refs[path].row, SCALAR_COL if t is None else FIRST_COL + t).value
        return v if isinstance(v, str) else float(v or 0.0)

    for ph in a.capex.phases:
        path = f"capex.phases.{ph.name}.spend_profile"
        ref = refs.get(path)
        if ref is None:
            continue
        n = len(ph.spend_profile)
        row = f"Inputs!${grid.col(0)}${ref.row}:${get_column_letter(FIRST_COL + n - 1)}${ref.row}"
        total = sum(float(value(path, t)) for t in range(n))
        rules.append(
            Rule(
                f"{_first_upper(catalogue.phase_title(ph.name, ph.kind))}: spend profile sums to 1 (all of its capex)",
                f"its {n} shares sum to 1 (within {SPEND_TOLERANCE:.6f})",
                f"IFERROR(ABS(SUM({row})-1)<={SPEND_TOLERANCE:.6f},FALSE)",
                f"SUM({row})",
                total,
                abs(total - 1.0) <= SPEND_TOLERANCE,
            )
        )
    first, last, span = _horizon(a)
    if {"cells.local.pli.start_fy", "cells.local.pli.enabled"} <= set(refs):
        start, on = cell("cells.local.pli.start_fy"), cell("cells.local.pli.enabled")
        x, enabled = value("cells.local.pli.start_fy"), value("cells.local.pli.enabled")
        rules.append(
            Rule(
                f"ACC PLI: the incentive's first year within {span} while the PLI is received",
                f"while received (1): {_fy_text(first, last)}",
                f"IFERROR(OR({on}=0,AND({start}>={first},{start}<={last})),FALSE)",
                start,
                float(x),
                enabled == 0 or first <= float(x) <= last,
            )
        )
    growth, rate, method = "valuation.terminal_growth_rate", "timeline.discount_rate", "valuation.terminal_value_method"
    if {growth, rate, method} <= set(refs):
        g, r = float(value(growth)), float(value(rate))
        rules.append(
            Rule(
                "Terminal value: perpetuity growth below the discount rate",
                "with the perpetuity method: the growth rate below the discount rate",
                f'IFERROR(OR(NOT(EXACT({cell(method)},"perpetuity")),{cell(growth)}<{cell(rate)}),FALSE)',
                cell(growth),
                g,
                value(method) != "perpetuity" or g < r,
            )
        )
    return rules

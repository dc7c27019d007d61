"""The board summary of one run: the verdict in one sentence built from the numbers, each decision apart (the
nested programs of :mod:`tem.analysis.scenarios.decisions`: the pack business on imported cells, + module line
and pilot cells, + cell plants, + recycling), the scenario as run, the levelized selling price against the
levelized cost, peak funding split into capex, working capital and operating losses, the breakevens found by goal
seek in the same run (:mod:`tem.analysis.breakevens`), and the gate decisions when the scenario has gates.

Sources: the KPIs of :mod:`tem.model.kpis`; each step's increment and its IRR as in
:func:`tem.analysis.scenarios.decisions.decisions`; the funding split adds up to peak funding exactly:
``peak = cum(capex + maintenance + replacement - state subsidy) + cum(increase in working capital - release)
- cum(EBITDA - tax)`` at the peak year, on free cash flow before terminal value (the peak funding KPI's basis);
the levelized selling price is ``sum(revenue x DF) / sum(packs delivered x DF)`` (as the levelized cost).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from tem import catalogue
from tem.analysis.breakevens import breakevens
from tem.analysis.scenarios.decisions import decisions, program_values
from tem.assumptions.schema import Assumptions
from tem.assumptions.yearly import fy_label
from tem.errors import TemError
from tem.exports.board import BoardSummary, Breakeven, Decision, GateCondition, GateLine
from tem.exports.labels import run_caption
from tem.exports.verdict import text_of
from tem.model.inputs import build_inputs
from tem.model.kpis import PER_KWH
from tem.model.results import Result

PROGRAM = "Battery localization program"


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _row(a: np.ndarray) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    return arr[0] if arr.ndim == 2 else arr


def nested(a: Assumptions) -> tuple[tuple[Decision, ...], int | None, dict[str, np.ndarray]]:
    """The nested programs as decisions, the FY whose DVA they show, and the programs' input values."""
    d = decisions(a, gates="decide")  # the steps of the program that runs: they add up to the run's NPV
    values = program_values(build_inputs(a), d.steps)
    out = []
    for step, row in zip(d.steps, d.table.to_dict("records"), strict=True):
        out.append(
            Decision(
                step.label,
                "adds " + ", ".join(catalogue.phase_label(p) for p in step.phases) if step.phases else "no phases",
                _finite(row["npv_inr_cr"]),
                _finite(row["irr"]),
                _finite(row["peak_funding_inr_cr"]),
                _finite(row.get("dva_share")),
                _finite(row["npv_increment_inr_cr"]),
                _finite(row["irr_increment"]),
            )
        )
    return tuple(out), d.dva_fy, values


def as_run(result: Result, dva_fy: int | None) -> Decision:
    k = result.kpis
    dva = None
    if dva_fy is not None and fy_label(dva_fy) in result.fiscal_years:
        dva = _finite(_row(result.outcome.operations.dva_share)[result.fiscal_years.index(fy_label(dva_fy))])
    gated = "with its gates decided" if not result.gates.empty else "the whole program"
    return Decision(
        "Program as run", gated, _finite(k["npv_inr_cr"]), _finite(k["irr"]), _finite(k["peak_funding_inr_cr"]), dva
    )


def funding_split(result: Result) -> tuple[tuple[str, float], ...]:
    o = result.outcome
    pre = _row(o.cash.free_cash_flow_before_terminal)
    cum = np.cumsum(pre)
    if cum.min() >= 0:
        return ()
    p = int(np.argmin(cum))
    spent = _row(o.capex.spend_total) + _row(o.capex.maintenance) + _row(o.capex.replacement) - _row(o.capex.subsidy)
    capex = float(np.sum(spent[: p + 1]))  # net of the state capital subsidy received
    wc = float(np.sum(_row(o.cash.change_in_working_capital)[: p + 1] - _row(o.cash.working_capital_release)[: p + 1]))
    operating = float(-np.sum(_row(o.operations.ebitda)[: p + 1] - _row(o.tax.tax)[: p + 1]))
    return (
        ("capex net of the state subsidy", capex),
        ("working capital", wc),
        ("operating losses after tax (negative: cash earned)", operating),
    )


def levelized_price(result: Result) -> float | None:
    o = result.outcome
    df = _row(o.cash.discount_factor)
    volume = float(np.sum(_row(o.volumes.delivered_gwh) * df))
    return None if volume <= 0 else float(np.sum(_row(o.operations.revenue) * df)) / volume * PER_KWH


def gate_lines(result: Result) -> tuple[GateLine, ...]:
    frame = result.gates
    if frame.empty:
        return ()
    out: dict[str, GateLine] = {}
    for row in frame.to_dict("records"):
        value = _finite(row["value"])
        cond = GateCondition(
            str(row["line"]), str(row["fy"]), str(row["op"]), value, float(row["threshold"]), bool(row["passes"])
        )
        phase = str(row["phase"])
        prev = out.get(phase)
        conditions = (*(prev.conditions if prev else ()), cond)
        out[phase] = GateLine(phase, str(row["decide_fy"]), bool(row["gate_passes"]), conditions)
    return tuple(out.values())


def _money(x: float | None, signed: bool = False) -> str:
    text = catalogue.format_value("npv_inr_cr", x, with_unit=True)
    return ("+" + text) if signed and x is not None and x > 0 else text


def breakeven_clause(seeks: tuple[Breakeven, ...]) -> str:
    """The verdict's last clause: the imported cell price at which the program breaks even (goal seek)."""
    fob = next((b for b in seeks if b.kpi == "npv_inr_cr" and b.input_label.startswith("Imported cell")), None)
    if fob is None:
        return ""
    if fob.value is None:
        lo, hi = fob.searched
        return f"; no imported cell price between USD {lo:,.0f} and {hi:,.0f}/kWh brings its NPV to zero"
    side = "or more" if fob.value > fob.base_value else "or less"
    return f"; it breaks even with imported cells at USD {fob.value:,.1f}/kWh {side} (today USD {fob.base_value:,.1f})"


def board_summary(a: Assumptions, result: Result, overrides: Mapping[str, Any] | None = None) -> BoardSummary:
    """Everything the summary page shows, for one scenario (a few batched engine runs: the nested programs and
    the goal seeks)."""
    hurdle = float(a.valuation.hurdle_rate)
    k = result.kpis
    steps, dva_fy, values = nested(a)
    run = as_run(result, dva_fy)
    try:
        seeks, not_computed = breakevens(a, hurdle), ""
    except TemError as exc:  # the summary still shows everything else, and says why there are no breakevens
        seeks, not_computed = (), f"the goal seek failed: {exc}"
    gates = gate_lines(result)
    committed = _finite(k["committed_npv_inr_cr"]) if gates and "committed_npv_inr_cr" in k else None
    summary = BoardSummary(
        program=PROGRAM,
        scenario=run_caption(result.name, a.overrides if overrides is None else overrides),
        verdict="",
        hurdle_rate=hurdle,
        dva_fy=fy_label(dva_fy) if dva_fy is not None else "",
        decisions=steps,
        as_run=run,
        levelized_price_inr_per_kwh=levelized_price(result),
        levelized_cost_inr_per_kwh=_finite(k["levelized_pack_cost_inr_per_kwh"]),
        levelized_cost_import_only_inr_per_kwh=_finite(k["levelized_pack_cost_import_only_inr_per_kwh"]),
        peak_funding_inr_cr=_finite(k["peak_funding_inr_cr"]),
        peak_funding_fy=k.get("peak_funding_fy"),
        funding_split_inr_cr=funding_split(result),
        breakevens=seeks,
        breakevens_not_computed=not_computed,
        gates=gates,
        committed_npv_inr_cr=committed,
        program_values=values,
        dva_year=dva_fy,
        breakeven_clause=breakeven_clause(seeks),
    )
    return replace(summary, verdict=text_of(summary.verdict_pieces()))  # the sentence, as the workbook's formula

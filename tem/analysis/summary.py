"""The board summary of one run: the verdict in one sentence built from the numbers, the decisions apart (the pack
business on imported cells, and cell localization as the increment over it), the levelized selling price against
the levelized cost, peak funding split into capex, working capital and operating losses, and the breakevens that
matter, found by goal seek in the same run (:func:`tem.analysis.sensitivity.goalseek.goal_seek`).

Sources: the KPIs of :mod:`tem.model.kpis`; the increment's IRR is the IRR of (scenario FCF - import-only FCF)
(:func:`tem.finance.irr`); the funding split adds up to peak funding exactly:
``peak = cum(capex + maintenance) + cum(increase in working capital - release) - cum(EBITDA - tax)`` at the peak
year, on free cash flow before terminal value (the peak funding KPI's basis).
"""

from __future__ import annotations

import math

import numpy as np

from tem import catalogue
from tem.analysis.sensitivity.goalseek import NoSolutionError, goal_seek
from tem.assumptions.schema import Assumptions
from tem.errors import TemError
from tem.exports.board import BoardSummary, Breakeven, Decision
from tem.finance import irr
from tem.model.kpis import PER_KWH
from tem.model.results import Result

FOB = "cells.imported.fob_price_usd_per_kwh"
PLI_RATE = "cells.local.pli.rate_inr_per_kwh"


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _row(a: np.ndarray) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    return arr[0] if arr.ndim == 2 else arr


def _peak(flow: np.ndarray) -> float:
    return float(-min(0.0, float(np.min(np.cumsum(flow)))))


def _dva(result: Result, outcome_dva: np.ndarray, fy: str) -> float | None:
    t = result.fiscal_years.index(fy)
    return _finite(float(_row(outcome_dva)[t]))


def decisions(result: Result, dva_fy: str) -> tuple[Decision, ...]:
    o, cf = result.outcome, result.counterfactual
    k = result.kpis
    fcf, cf_fcf = _row(o.cash.free_cash_flow), _row(cf.cash.free_cash_flow)
    pre, cf_pre = _row(o.cash.free_cash_flow_before_terminal), _row(cf.cash.free_cash_flow_before_terminal)
    increment = irr((fcf - cf_fcf)[None, :])
    dva, cf_dva = _dva(result, o.operations.dva_share, dva_fy), _dva(result, cf.operations.dva_share, dva_fy)
    return (
        Decision(
            "Whole program",
            "packs made in India, cells localized as planned",
            _finite(k["npv_inr_cr"]),
            _finite(k["irr"]),
            _finite(k["peak_funding_inr_cr"]),
            dva,
        ),
        Decision(
            "Pack business",
            "the same packs from imported cells (the import-only counterfactual)",
            _finite(k["npv_import_only_inr_cr"]),
            _finite(float(cf.kpis["irr"][0])),
            _peak(cf_pre),
            cf_dva,
        ),
        Decision(
            "Cell localization",
            "what making cells in India adds to the pack business (the increment)",
            _finite(k["incremental_npv_vs_import_inr_cr"]),
            _finite(float(increment.rate[0])),
            _peak(pre - cf_pre),
            None if dva is None or cf_dva is None else dva - cf_dva,
        ),
    )


def funding_split(result: Result) -> tuple[tuple[str, float], ...]:
    o = result.outcome
    pre = _row(o.cash.free_cash_flow_before_terminal)
    cum = np.cumsum(pre)
    if cum.min() >= 0:
        return ()
    p = int(np.argmin(cum))
    capex = float(np.sum(_row(o.capex.spend_total)[: p + 1] + _row(o.capex.maintenance)[: p + 1]))
    wc = float(np.sum(_row(o.cash.change_in_working_capital)[: p + 1] - _row(o.cash.working_capital_release)[: p + 1]))
    operating = float(-np.sum(_row(o.operations.ebitda)[: p + 1] - _row(o.tax.tax)[: p + 1]))
    return (("capex", capex), ("working capital", wc), ("operating losses after tax", operating))


def levelized_price(result: Result) -> float | None:
    o = result.outcome
    df = _row(o.cash.discount_factor)
    volume = float(np.sum(_row(o.volumes.delivered_gwh) * df))
    return None if volume <= 0 else float(np.sum(_row(o.operations.revenue) * df)) / volume * PER_KWH


def _seek(a: Assumptions, path: str, kpi: str, target: float, low: float, high: float) -> float | None:
    try:
        return goal_seek(a, path, kpi, target, low, high, xtol=1e-6).value
    except NoSolutionError:
        return None


def breakevens(a: Assumptions, result: Result) -> tuple[Breakeven, ...]:
    """The imported cell price (FOB, first year; the whole path scaled) at which localizing adds nothing, the program
    breaks even, and the IRR reaches the hurdle; the production support (ACC PLI rate) at which localizing adds
    nothing, when the PLI is on."""
    inp = result.outcome.inputs
    hurdle = float(a.valuation.hurdle_rate)
    fob = float(_row(inp.arrays[FOB])[0])
    lo, hi = 0.25 * fob, 3.0 * fob
    out = [
        Breakeven(
            "Imported cell price at which localizing adds nothing (NPV vs import-only = 0)",
            "Imported cell price (FOB, first year)",
            "USD/kWh",
            fob,
            _seek(a, FOB, "incremental_npv_vs_import_inr_cr", 0.0, lo, hi),
            (lo, hi),
        ),
        Breakeven(
            "Imported cell price at which the program breaks even (NPV = 0)",
            "Imported cell price (FOB, first year)",
            "USD/kWh",
            fob,
            _seek(a, FOB, "npv_inr_cr", 0.0, lo, hi),
            (lo, hi),
        ),
        Breakeven(
            f"Imported cell price at which the IRR reaches the hurdle ({hurdle:.1%})",
            "Imported cell price (FOB, first year)",
            "USD/kWh",
            fob,
            _seek(a, FOB, "irr", hurdle, lo, hi),
            (lo, hi),
        ),
    ]
    if PLI_RATE in inp.arrays and float(_row(inp.arrays["cells.local.pli.enabled"])[0]) > 0.5:
        rate = float(_row(inp.arrays[PLI_RATE])[0])
        top = max(4.0 * rate, 5000.0)
        out.append(
            Breakeven(
                "Production support (ACC PLI per kWh) at which localizing adds nothing",
                "ACC PLI rate",
                "INR/kWh",
                rate,
                _seek(a, PLI_RATE, "incremental_npv_vs_import_inr_cr", 0.0, 0.0, top),
                (0.0, top),
            )
        )
    return tuple(out)


def verdict(result: Result, hurdle: float, items: tuple[Decision, ...]) -> str:
    """One sentence from the numbers: does the program create value, does localizing cells add to the pack
    business, and how does the IRR compare with the hurdle."""
    program, pack, local = items
    f = catalogue.format_value

    def value(x: float | None) -> str:
        return f("npv_inr_cr", x, with_unit=True)

    creates = "creates" if (program.npv_inr_cr or 0.0) >= 0 else "destroys"
    adds = "adds" if (local.npv_inr_cr or 0.0) >= 0 else "costs"
    irr_text = (
        f"its IRR of {f('irr', program.irr)} is {'above' if program.irr >= hurdle else 'below'} the {hurdle:.1%} hurdle"
        if program.irr is not None
        else "it has no IRR"
    )
    return (
        f"At these assumptions the program {creates} value (NPV {value(program.npv_inr_cr)}) and {irr_text}; "
        f"making cells in India {adds} {value(abs(local.npv_inr_cr or 0.0))} against buying the same cells abroad "
        f"(pack business alone: NPV {value(pack.npv_inr_cr)})."
    )


def board_summary(a: Assumptions, result: Result) -> BoardSummary:
    """Everything the summary page shows, for one scenario (a few batched engine runs for the goal seeks)."""
    hurdle = float(a.valuation.hurdle_rate)
    k = result.kpis
    dva_fy = list(k["dva_share_by_fy"])[-1] if k["dva_share_by_fy"] else result.fiscal_years[-1]
    items = decisions(result, dva_fy)
    try:
        seeks = breakevens(a, result)
    except TemError:  # an input missing in this assumption set: the summary still shows everything else
        seeks = ()
    return BoardSummary(
        scenario=result.name,
        verdict=verdict(result, hurdle, items),
        hurdle_rate=hurdle,
        dva_fy=dva_fy,
        decisions=items,
        levelized_price_inr_per_kwh=levelized_price(result),
        levelized_cost_inr_per_kwh=_finite(k["levelized_pack_cost_inr_per_kwh"]),
        levelized_cost_import_only_inr_per_kwh=_finite(k["levelized_pack_cost_import_only_inr_per_kwh"]),
        peak_funding_inr_cr=_finite(k["peak_funding_inr_cr"]),
        peak_funding_fy=k.get("peak_funding_fy"),
        funding_split_inr_cr=funding_split(result),
        breakevens=seeks,
    )

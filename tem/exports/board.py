"""The one-page board summary: what it holds (computed by :mod:`tem.analysis.summary`, drawn by the report and the
workbook's Summary sheet). Plain numbers; None where a value does not exist (no IRR, no breakeven in range)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """One decision the board takes apart: its NPV, IRR against the hurdle, peak funding and DVA."""

    name: str
    what: str
    npv_inr_cr: float | None
    irr: float | None
    peak_funding_inr_cr: float | None
    dva_share: float | None  # DVA on sales in ``BoardSummary.dva_fy``; for an increment, the difference in points


@dataclass(frozen=True)
class Breakeven:
    """The value of one input at which a KPI reaches a target, by goal seek in the same run."""

    question: str  # "Imported cell price at which localizing adds nothing (NPV vs import-only = 0)"
    input_label: str
    unit: str
    base_value: float
    value: float | None  # None: not reached in the range searched
    searched: tuple[float, float]


@dataclass(frozen=True)
class BoardSummary:
    scenario: str
    verdict: str
    hurdle_rate: float
    dva_fy: str
    decisions: tuple[Decision, ...]
    levelized_price_inr_per_kwh: float | None
    levelized_cost_inr_per_kwh: float | None
    levelized_cost_import_only_inr_per_kwh: float | None
    peak_funding_inr_cr: float | None
    peak_funding_fy: int | None
    funding_split_inr_cr: tuple[tuple[str, float], ...]  # (capex, working capital, operating losses) at the peak
    breakevens: tuple[Breakeven, ...]

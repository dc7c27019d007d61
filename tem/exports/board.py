"""The one-page board summary: what it holds (computed by :mod:`tem.analysis.summary`, drawn by the report and the
workbook's Summary sheet). Plain numbers; None where a value does not exist (no IRR, no breakeven in range)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tem import catalogue
from tem.exports.verdict import Piece, VerdictRefs, verdict_pieces


@dataclass(frozen=True)
class Decision:
    """One decision the board takes apart: a program of nested phases (each step adds phases to the one before,
    :mod:`tem.analysis.scenarios.decisions`), its NPV, IRR against the hurdle, peak funding and DVA, and what the
    step adds to the step before (its increment; the first step's increment is the step itself)."""

    name: str
    what: str
    npv_inr_cr: float | None
    irr: float | None
    peak_funding_inr_cr: float | None
    dva_share: float | None  # DVA on sales in ``BoardSummary.dva_fy``
    npv_increment_inr_cr: float | None = None
    irr_increment: float | None = None  # IRR of the difference of the two free cash flows


@dataclass(frozen=True)
class Breakeven:
    """The value of one input at which a KPI reaches a target, by goal seek in the same run."""

    input_label: str  # "Imported cell price (FOB, FY26; whole path scaled)"
    target_label: str  # "NPV = 0"
    kpi: str
    target: float
    kind: str  # the input's catalogue kind: "usd_kwh", "rate" (a premium), "inr_kwh"
    base_value: float
    value: float | None  # None: not reached in the range searched
    searched: tuple[float, float]
    note: str = ""
    why: str = ""  # with no value: why (the KPI does not move, stays below its target, a gate decides otherwise)


@dataclass(frozen=True)
class GateCondition:
    """One condition of a gate as the run read it: the line (a catalogue key), FY, operator, value read (None: no
    value), threshold, whether it passes; words and margin from :func:`tem.catalogue.gate_reading`."""

    line: str
    fy: str
    op: str
    value: float | None
    threshold: float
    passes: bool

    @property
    def text(self) -> str:
        return catalogue.condition_text(self.line, self.op, self.threshold, self.fy)

    @property
    def reading(self) -> str:
        return catalogue.gate_reading(self.line, self.op, self.value, self.threshold, self.passes)

    @property
    def headroom(self) -> float | None:
        return catalogue.headroom(self.op, self.value, self.threshold)

    @property
    def at_threshold(self) -> bool:
        return self.passes and catalogue.at_threshold(self.line, self.op, self.value, self.threshold)


@dataclass(frozen=True)
class GateLine:
    """One gate of the scenario: decided at the end of ``decide_fy``, go or no go, with its conditions."""

    phase: str
    decide_fy: str
    go: bool
    conditions: tuple[GateCondition, ...]

    @property
    def title(self) -> str:
        return f"{catalogue.phase_label(self.phase)}, decided at the end of {self.decide_fy}"


@dataclass(frozen=True)
class BoardSummary:
    program: str
    scenario: str  # the run's caption (with --set overrides)
    verdict: str
    hurdle_rate: float
    dva_fy: str
    decisions: tuple[Decision, ...]  # the nested programs, each with its gates decided (they add up to the run)
    as_run: Decision  # the scenario as run (gates decided)
    levelized_price_inr_per_kwh: float | None
    levelized_cost_inr_per_kwh: float | None
    levelized_cost_import_only_inr_per_kwh: float | None
    peak_funding_inr_cr: float | None
    peak_funding_fy: int | None
    funding_split_inr_cr: tuple[tuple[str, float], ...]  # (capex, working capital, operating losses) at the peak
    breakevens: tuple[Breakeven, ...]
    gates: tuple[GateLine, ...] = ()
    # the nested programs' definition, for the workbook's live step sheets: input path -> one value per step
    # (:func:`tem.analysis.scenarios.decisions.program_values`), and the DVA year as a number
    program_values: Mapping[str, np.ndarray] = field(default_factory=dict)
    dva_year: int | None = None
    committed_npv_inr_cr: float | None = None  # with gates: the program with every gate open (the gates' value is
    # the run's NPV minus this)
    breakeven_clause: str = ""  # the verdict's goal-seek clause (a value of the run)
    breakevens_not_computed: str = ""  # why there are no breakevens (the goal seek's error); "" when computed

    @property
    def gates_clause(self) -> tuple[tuple[str, ...], float | None, float | None] | None:
        """The phases the gates stop, the gates' value and the committed NPV, when some gate says no go."""
        stopped = tuple(catalogue.phase_label(g.phase) for g in self.gates if not g.go)
        if not stopped or self.gates_value_inr_cr is None:
            return None
        return stopped, self.gates_value_inr_cr, self.committed_npv_inr_cr

    def verdict_pieces(self, refs: VerdictRefs | None = None) -> list[Piece]:
        """The verdict as pieces (:mod:`tem.exports.verdict`): text, and with ``refs`` a live formula."""
        steps = [(d.name, d.npv_increment_inr_cr) for d in self.decisions]
        run = self.as_run
        return verdict_pieces(
            run.npv_inr_cr, run.irr, self.hurdle_rate, steps, self.gates_clause, self.breakeven_clause, refs
        )

    @property
    def gates_value_inr_cr(self) -> float | None:
        """What the gates are worth: the run's NPV minus the committed program's (None without gates)."""
        run, committed = self.as_run.npv_inr_cr, self.committed_npv_inr_cr
        return None if run is None or committed is None else run - committed

    @property
    def title(self) -> str:
        return f"{self.program}: {self.scenario}"


def breakeven_text(b: Breakeven, *, with_why: bool = True) -> str:
    """The value found, in the input's unit and format (:func:`tem.catalogue.format_kind`: a premium is a level
    in %, unsigned like every level), or "none in range" with the range searched and (``with_why``) why."""

    def show(x: float) -> str:
        return catalogue.format_kind(b.kind, x, with_unit=True)

    if b.value is None:
        lo, hi = b.searched
        why = f": {b.why}" if b.why and with_why else ""
        return f"none in range ({catalogue.format_kind(b.kind, lo)} to {show(hi)}){why}"
    return show(b.value)

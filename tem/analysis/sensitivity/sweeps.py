"""One-at-a-time tornado, spider and two-way data tables, each one vectorized engine call.

* Tornado: the base case plus every parameter at its low and at its high value (2P + 1 scenarios); for each
  KPI the parameters sorted by swing ``|KPI(high) - KPI(low)|``, the base marked.
* Spider: every (non-FY) parameter at each relative multiplier (e.g. -30%..+30%).
* Data table: a KPI on a grid of two inputs (up to 50 x 50).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tem import catalogue
from tem.analysis.sensitivity.spec import (
    Setting,
    SweepSpec,
    base_value,
    batch_arrays,
    check_kpis,
    check_sweep,
    describe,
    is_year,
    setting,
    unknown_path,
)
from tem.analysis.specio import parse_relative
from tem.assumptions.input_kinds import input_kind
from tem.assumptions.schema import Assumptions
from tem.errors import BatchInputError
from tem.model.batch_inputs import with_values
from tem.model.engine import run_batch_inputs
from tem.model.inputs import Inputs, build_inputs

MAX_GRID = 50


def evaluate(
    inp: Inputs, settings: list[list[Setting]], year_lines: Sequence[str] = (), gates: str = "decide"
) -> dict[str, np.ndarray]:
    """KPIs of one scenario per settings list, in one batch (plus one-year lines such as ``dva_share@FY30``);
    ``gates="open"`` forces every gate open (the committed program)."""
    values, scales = batch_arrays(inp, settings)
    if not values and not scales:  # only the base case
        values = {"timeline.discount_rate": np.full(len(settings), base_value(inp, "timeline.discount_rate"))}
    return run_batch_inputs(inp, values, scales, year_lines=year_lines, gates=gates)


def gate_changes(k: dict[str, np.ndarray], rows: slice) -> list[str]:
    """Per scenario of ``rows``, the gates whose decision differs from the base's (scenario 0), in words
    (``"cell plant 1 no go"``); empty strings without gates or where every decision is the base's."""
    out = [""] * len(next(iter(k.values()))[rows])
    for key in sorted(x for x in k if x.startswith("gate_passed_")):
        phase, base = key.removeprefix("gate_passed_"), k[key][0]
        for i, v in enumerate(k[key][rows]):
            if v != base:
                word = f"{catalogue.phase_label(phase)} {'go' if v == 1.0 else 'no go'}"
                out[i] = f"{out[i]}, {word}" if out[i] else word
    return out


@dataclass(frozen=True)
class Tornado:
    kpi: str
    base: float
    # parameter, label, low_input, high_input, base_input, kpi_low, kpi_high, swing, gates_low, gates_high
    # (the gate decisions that differ from the base's at the low and at the high input; "" if none); by swing
    table: pd.DataFrame


def tornado(
    assumptions: Assumptions,
    spec: SweepSpec,
    kpis: Sequence[str] | None = None,
    *,
    kpi_source: str = "kpis",
    gates: str = "decide",
) -> dict[str, Tornado]:
    """One tornado per KPI (default: the spec's) from 2P + 1 scenarios evaluated together. Problems of the spec
    are reported at their line of the spec file; an unknown KPI in ``kpis`` names ``kpi_source`` (e.g. '--kpi').

    With gates, each scenario takes its own gate decisions (``gates="decide"``, the plan as it would be run: a
    low imported cell price may stop the cell plants, so a KPI need not move monotonically with an input), and
    ``gates_low`` / ``gates_high`` name the decisions that differ from the base's; ``gates="open"`` gives the
    tornado of the committed program (every gate open)."""
    inp = build_inputs(assumptions)
    check_sweep(spec, inp)
    lows = [setting(inp, p.path, p.low) for p in spec.parameters]
    highs = [setting(inp, p.path, p.high) for p in spec.parameters]
    scenarios: list[list[Setting]] = [[], *([s] for s in lows), *([s] for s in highs)]
    k = evaluate(inp, scenarios, gates=gates)
    check_kpis(spec, kpis or None, list(k), kpi_source)
    n_p = len(spec.parameters)
    changed_low, changed_high = gate_changes(k, slice(1, 1 + n_p)), gate_changes(k, slice(1 + n_p, None))
    out: dict[str, Tornado] = {}
    for kpi in kpis or spec.kpis:
        v = k[kpi]
        table = pd.DataFrame(
            {
                "parameter": [p.path for p in spec.parameters],
                "label": [p.name for p in spec.parameters],
                "low_input": [describe(inp, s) for s in lows],
                "high_input": [describe(inp, s) for s in highs],
                "base_input": [base_value(inp, p.path) for p in spec.parameters],
                "kpi_low": v[1 : 1 + n_p],
                "kpi_high": v[1 + n_p :],
            }
        )
        table["swing"] = (table["kpi_high"] - table["kpi_low"]).abs()
        table["gates_low"], table["gates_high"] = changed_low, changed_high
        table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
        out[kpi] = Tornado(kpi, float(v[0]), table)
    return out


def _within_bounds(inp: Inputs, path: str, factor: float) -> bool:
    lo, hi = inp.bounds.get(path, (None, None))
    scaled = inp.arrays[path] * factor
    return (lo is None or bool(np.all(scaled >= lo))) and (hi is None or bool(np.all(scaled <= hi)))


def spider(assumptions: Assumptions, spec: SweepSpec, kpi: str, gates: str = "decide") -> pd.DataFrame:
    """KPI by parameter (rows) and relative multiplier (columns). FY parameters are left out (a year is not
    scaled); a multiplier that would take an input out of its allowed range (a yield above 100%) gives NaN,
    listed in ``table.attrs["out_of_range"]``."""
    inp = build_inputs(assumptions)
    check_sweep(spec, inp)
    params = [p for p in spec.parameters if not is_year(p.path)]
    rels = [float(parse_relative(m) or 0.0) for m in spec.multipliers]
    cells = [(p, r) for p in params for r in rels]
    feasible = [_within_bounds(inp, p.path, 1.0 + r) for p, r in cells]
    scenarios = [[Setting(p.path, "scale", 1.0 + r)] for (p, r), ok in zip(cells, feasible, strict=True) if ok]
    k = evaluate(inp, scenarios or [[]], gates=gates)
    if kpi not in k:
        raise BatchInputError(catalogue.unknown_kpi(kpi, k))
    flat = np.full(len(cells), np.nan)
    flat[np.flatnonzero(feasible)] = k[kpi][: int(np.sum(feasible))]
    table = pd.DataFrame(
        flat.reshape(len(params), len(rels)),
        index=pd.Index([p.name for p in params], name="parameter"),
        columns=spec.multipliers,
    )
    table.attrs["out_of_range"] = [
        f"{p.name} {m}" for (p, _), ok, m in zip(cells, feasible, spec.multipliers * len(params), strict=True) if not ok
    ]
    return table


@dataclass(frozen=True)
class Axis:
    path: str
    values: np.ndarray


def axis(
    path: str,
    values: Sequence[float] | None = None,
    low: float | None = None,
    high: float | None = None,
    steps: int | None = None,
) -> Axis:
    """A data-table axis: explicit values, or ``steps`` evenly spaced from ``low`` to ``high``."""
    if values is None:
        if low is None or high is None or steps is None:
            raise BatchInputError(f"{path}: give values, or low, high and steps")
        if not 1 <= steps <= MAX_GRID:
            raise BatchInputError(f"{path}: {steps} steps; a data table axis takes 1 to {MAX_GRID}")
        if not (np.isfinite(low) and np.isfinite(high)):
            raise BatchInputError(f"{path}: low {low:g} and high {high:g} must be finite numbers")
        arr = np.linspace(low, high, steps)
    else:
        arr = np.asarray(values, dtype=float)
    if not 1 <= arr.size <= MAX_GRID:
        raise BatchInputError(f"{path}: {arr.size} values; a data table axis takes 1 to {MAX_GRID}")
    return Axis(path, arr)


def check_axis(inp: Inputs, ax: Axis) -> None:
    """BatchInputError unless every value of ``ax`` may be given to its input: the path exists and may vary, and
    each value keeps to the input's bounds (fiscal years: whole years the horizon allows)."""
    why = unknown_path(inp, ax.path)
    if why:
        raise BatchInputError(why)
    _check_rescaled(inp, ax)
    with_values(inp, {ax.path: ax.values})


def _check_rescaled(inp: Inputs, ax: Axis) -> None:
    """For a yearly input (its first-year value given, the whole path rescaled): BatchInputError naming the value
    as given, the rescaling and the year where the path would leave the input's bounds, and the first-year values
    allowed, rather than a rescaled value nobody typed."""
    base = np.asarray(inp.arrays[ax.path], dtype=float).reshape(-1)
    lo, hi = inp.bounds.get(ax.path, (None, None))
    if base.size < 2 or base[0] == 0 or is_year(ax.path):
        return
    kind = input_kind(ax.path)

    def shown(x: float) -> str:
        return catalogue.format_kind(kind, x, with_unit=True)

    for v in ax.values:
        path = base * (float(v) / base[0])
        for limit, out, word in ((hi, path > (hi or 0.0), "above"), (lo, path < (lo or 0.0), "below")):
            if limit is None or not out.any():
                continue
            t = int(np.flatnonzero(out)[0])
            fy = f"FY{(inp.structure.first_fy + t) % 100:02d}"
            ok = [limit * base[0] / b for b in base if b != 0 and (b > 0) == (base[0] > 0) and limit * b > 0]
            top = min(ok) if ok else None
            allowed = f"; allowed: a first-year value up to {shown(top)}" if top is not None and word == "above" else ""
            raise BatchInputError(
                f"{float(v):g} ({shown(float(v))}) as the first-year value scales the whole path by "
                f"{float(v) / base[0]:.3g}: "
                f"in {fy} it would be {shown(float(path[t]))}, {word} {shown(limit)}{allowed}"
            )


def data_table(assumptions: Assumptions, x: Axis, y: Axis, kpi: str, gates: str = "decide") -> pd.DataFrame:
    """KPI for every (y, x) pair: rows are y values, columns x values (absolute input values; for a yearly
    input the first-year value, the path rescaled)."""
    inp = build_inputs(assumptions)
    for ax in (x, y):
        check_axis(inp, ax)
    scenarios = [
        [Setting(x.path, "value", float(xv)), Setting(y.path, "value", float(yv))] for yv in y.values for xv in x.values
    ]
    k = evaluate(inp, scenarios, gates=gates)
    if kpi not in k:
        raise BatchInputError(catalogue.unknown_kpi(kpi, k))
    grid = k[kpi].reshape(y.values.size, x.values.size)
    return pd.DataFrame(grid, index=pd.Index(y.values, name=y.path), columns=pd.Index(x.values, name=x.path))

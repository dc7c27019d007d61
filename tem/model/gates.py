"""Gates on capex phases: a go/no-go decision per scenario, inside the vectorized engine (README, "Gates").

A phase with ``gate: {decide_fy, when, combine}`` is built in a scenario only if its conditions pass there
(``combine: all`` every one, ``any`` at least one); a phase with ``require: [...]`` only if every phase it
requires is built. A phase that is not built has no capex, no capacity and no fixed opex (and so no
maintenance capex or depreciation); local cells follow the cell capacity that exists.

Order of evaluation (what a gate may know). A gate decides at the end of ``decide_fy`` on values of years up
to ``decide_fy``. Every phase a gate can remove starts spending after that year (checked on load and for
batches), and every line a condition can read (:data:`LINES`) is causal: its value in a year depends only on
inputs and on that year and earlier ones. So the values a gate reads are the same whether or not the gated
phases are built, and they are read from the committed run (every gate open). Where an earlier gate's
phases spend in or before a later gate's decision year, the later gate reads a run with the earlier decisions
applied: one more pass per such decision year over the scenarios concerned, never a loop over scenarios.
A value that does not exist (the local cell cost gap in a year without local cells) fails its condition. A gate
whose phase requires a phase an earlier gate removed is not reached: it reads nothing and does not pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tem.model.batch_inputs import select_scenarios
from tem.model.inputs import ConditionSpec, Inputs, Structure
from tem.model.kpis import replaced_cell_landed
from tem.model.operations import Operations
from tem.model.unit_costs import UnitCosts
from tem.model.volumes import Volumes

Lines = tuple[Volumes, UnitCosts, Operations]
LineFn = Callable[[Inputs, Volumes, UnitCosts, Operations], np.ndarray]

LINES: dict[str, LineFn] = {
    "imported_cell_landed_inr_per_kwh": lambda inp, v, uc, ops: uc.imported_cell,
    "imported_cell_fob_usd_per_kwh": lambda inp, v, uc, ops: uc.fob_usd_per_kwh,
    "local_cell_variable_minus_imported_inr_per_kwh": lambda inp, v, uc, ops: np.where(
        v.local_cells_gwh > 0, uc.local_cell - replaced_cell_landed(v, uc), np.nan
    ),
    "cell_yield": lambda inp, v, uc, ops: v.cell_yield,
    "dva_share": lambda inp, v, uc, ops: ops.dva_share,
    "local_cells_gwh": lambda inp, v, uc, ops: v.local_cells_gwh,
    "ebitda_inr_cr": lambda inp, v, uc, ops: ops.ebitda,
    "cell_duty_minus_pack_duty_rate": lambda inp, v, uc, ops: cell_minus_pack_duty(inp, v),
}
PHASE_FIELDS = ("capex_inr_cr", "capacity_gwh", "fixed_opex_inr_cr")  # what a phase that is not built loses


def cell_minus_pack_duty(inp: Inputs, vol: Volumes) -> np.ndarray:
    """The widest gap of basic customs duty on cells over duty on finished packs among the segments with demand
    in the year, ``(S, T)`` [fraction]: ``max_s (cell_bcd_s - pack_bcd_s)`` over segments with demand, NaN in a
    year without demand. Above 0 some segment's duty is inverted (its cells pay more than its imported packs;
    :func:`tem.model.unit_costs.inverted_duty` flags ``>= 0``)."""
    gaps = [
        np.where(vol.demand_gwh[s] > 0, inp[pr.cell_bcd] - inp[pr.pack_bcd], -np.inf)
        for s, pr in ((s, inp.structure.products[s]) for s in inp.structure.segments)
    ]
    widest = np.maximum.reduce(np.broadcast_arrays(*gaps))
    return np.where(np.isfinite(widest), widest, np.nan)


@dataclass(frozen=True)
class GateDecision:
    """Per scenario ``(S,)``: the value each condition read, whether it passed, whether each gate passed and
    whether each phase a gate can remove is built. Keys: gated phase, or (gated phase, condition index)."""

    values: dict[tuple[str, int], np.ndarray]
    condition_passed: dict[tuple[str, int], np.ndarray]
    passed: dict[str, np.ndarray]
    built: dict[str, np.ndarray]


def removable(structure: Structure) -> dict[str, tuple[str, ...]]:
    """Each phase that some gate can remove -> the gated phases whose gates can (its own, and those of the
    phases it requires, directly or not)."""
    gated = {g.phase for g in structure.gates}
    memo: dict[str, tuple[str, ...]] = {}

    def visit(name: str) -> tuple[str, ...]:
        if name not in memo:
            found = {name} if name in gated else set()
            for other in structure.requires.get(name, ()):
                found |= set(visit(other))
            memo[name] = tuple(sorted(found))
        return memo[name]

    return {ph.name: visit(ph.name) for ph in structure.phases if visit(ph.name)}


def first_spend_fy(inp: Inputs, phase: str) -> np.ndarray:
    """The first FY with spend of a phase, ``(S|1, 1)``."""
    p = f"capex.phases.{phase}."
    return inp[p + "commissioning_fy"] - inp[p + "spend_profile"].shape[1] + 1


def condition_value(inp: Inputs, cond: ConditionSpec, lines: Lines) -> np.ndarray:
    """The value a condition reads, ``(S,)``: the line (or input) in year ``cond.fy``."""
    t = cond.fy - inp.structure.first_fy
    arr = LINES[cond.name](inp, *lines) if cond.source == "line" else inp[cond.name]
    col = arr[:, t] if arr.shape[1] == inp.structure.n_years else arr[:, 0]
    return np.broadcast_to(col, (inp.n_scenarios,))


def compare(value: np.ndarray, op: str, threshold: np.ndarray) -> np.ndarray:
    """``value <op> threshold`` elementwise; NaN never passes."""
    fn = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}[op]
    return np.asarray(fn(value, threshold))


def decide(inp: Inputs, committed: Lines, lines_of: Callable[[Inputs], Lines]) -> GateDecision:
    """Every gate's decision in every scenario. ``committed``: the lines of the run with every gate open;
    ``lines_of`` evaluates the lines of other inputs, used only for the scenarios where an earlier decision
    changes what a later gate reads (module docstring).

    A gate is *reached* in a scenario when every phase its phase requires, and that an earlier gate decides, is
    built there; a gate not reached reads no value (NaN) and does not pass (its phase is not built anyway)."""
    structure = inp.structure
    n_s = inp.n_scenarios
    everywhere = np.ones(n_s, dtype=bool)
    values: dict[tuple[str, int], np.ndarray] = {}
    cond_passed: dict[tuple[str, int], np.ndarray] = {}
    passed: dict[str, np.ndarray] = {}
    removers = removable(structure)
    decide_fy = {g.phase: g.decide_fy for g in structure.gates}
    built: dict[str, np.ndarray] = {}
    for year in sorted(set(decide_fy.values())):
        now = [g for g in structure.gates if g.decide_fy == year]
        reached = {
            g.phase: np.logical_and.reduce(
                [passed[h] for h in removers.get(g.phase, ()) if h != g.phase and decide_fy[h] < year] or [everywhere],
                axis=0,
            )
            for g in now
        }
        # scenarios where an earlier decision removed a phase that has spent by now, and a gate of this year is
        # reached: what those gates read differs from the committed run
        moved = [b for ph, b in built.items() if not b.all() and np.any(first_spend_fy(inp, ph) <= year)]
        stale = ~np.logical_and.reduce(moved, axis=0) if moved else np.zeros(n_s, dtype=bool)
        rows = np.flatnonzero(stale & np.logical_or.reduce([reached[g.phase] for g in now], axis=0))
        if rows.size:
            sub = select_scenarios(apply_gates(inp, built), rows)
            sub_lines = lines_of(sub)
        for g in now:
            results = []
            for i, cond in enumerate(g.conditions):
                v = np.array(condition_value(inp, cond, committed), dtype=float)
                if rows.size:
                    v[rows] = condition_value(sub, cond, sub_lines)
                v[~reached[g.phase]] = np.nan
                ok = np.broadcast_to(compare(v, cond.op, inp[cond.threshold_path].reshape(-1)), (n_s,))
                values[(g.phase, i)], cond_passed[(g.phase, i)] = v, ok
                results.append(ok)
            combine = np.logical_and if g.combine == "all" else np.logical_or
            passed[g.phase] = combine.reduce(results, axis=0) & reached[g.phase]
            enabled = inp.arrays.get(f"capex.phases.{g.phase}.gate.enabled")
            if enabled is not None and not np.all(enabled > 0.5):  # a gate switched off (a bridge) always passes
                passed[g.phase] = passed[g.phase] | np.broadcast_to(enabled.reshape(-1) <= 0.5, (n_s,))
        built = {
            ph: np.logical_and.reduce([passed.get(gp, everywhere) for gp in gates], axis=0)
            for ph, gates in removers.items()
        }
    return GateDecision(values, cond_passed, passed, built)


def apply_gates(inp: Inputs, built: dict[str, np.ndarray]) -> Inputs:
    """The inputs with every phase that is not built (per scenario) set to no capex, capacity or fixed opex.
    Phases built everywhere keep their arrays untouched, so a gate that always passes gives the committed run
    bit for bit; one that never passes gives zeros, as if the phase were not in the plan."""
    arrays = dict(inp.arrays)
    for phase, b in built.items():
        if b.all():
            continue
        for name in PHASE_FIELDS:
            path = f"capex.phases.{phase}.{name}"
            arrays[path] = np.zeros((1, 1)) if not b.any() else arrays[path] * b.astype(float)[:, None]
    return replace(inp, arrays=arrays)

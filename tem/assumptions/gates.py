"""Checks of gates and ``require`` on capex phases (README, "Gates"), run once the rest of the set is valid.

* a gate decides at the end of ``decide_fy`` (inside the horizon); each condition reads a year at or before it;
* an ``input`` condition names a numeric scalar or yearly input (a flag such as ``cells.local.pli.enabled``
  reads 1 when true);
* ``require`` names other phases, never itself, without cycles;
* each step of ``decisions`` adds known phases, each phase in at most one step;
* you cannot un-spend: a phase that a gate can remove (its own gate, or the gate of a phase it requires,
  directly or through others) must start spending after every such gate's ``decide_fy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tem.assumptions.walk import iter_leaves
from tem.assumptions.yearly import fy_label

if TYPE_CHECKING:
    from tem.assumptions.schema import Assumptions, CapexPhase


def removing_gates(phases: dict[str, CapexPhase]) -> dict[str, dict[str, int]]:
    """For each phase, the gates that can remove it: ``{gated phase: decide_fy}`` (its own gate and those of the
    phases it requires, transitively). Assumes ``require`` names known phases without cycles."""
    out: dict[str, dict[str, int]] = {}

    def visit(name: str) -> dict[str, int]:
        if name not in out:
            ph = phases[name]
            found = {name: ph.gate.decide_fy} if ph.gate is not None else {}
            for other in ph.require:
                found |= visit(other)
            out[name] = found
        return out[name]

    for name in phases:
        visit(name)
    return out


def _cycle(phases: dict[str, CapexPhase]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for other in phases[name].require:
            if state.get(other) == 1:
                return [*stack[stack.index(other) :], other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        stack.pop()
        state[name] = 2
        return None

    for name in phases:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def gate_problems(a: Assumptions) -> list[tuple[str, str]]:
    """(dotted path, message) for every problem with gates and ``require``."""
    first, n = a.timeline.first_fy, a.timeline.horizon_years
    last = first + n - 1
    span = f"{fy_label(first)}-{fy_label(last)} ({first}-{last})"
    phases = {ph.name: ph for ph in a.capex.phases}
    numeric = {
        leaf.path
        for leaf in iter_leaves(a)
        if leaf.yearly_bound is not None or (isinstance(leaf.value, (int, float)) and ".gate." not in leaf.path)
    }
    problems: list[tuple[str, str]] = []
    for ph in a.capex.phases:
        base = f"capex.phases.{ph.name}"
        for other in ph.require:
            if other == ph.name:
                problems.append((base + ".require", f"{other!r}: a phase cannot require itself"))
            elif other not in phases:
                problems.append((base + ".require", f"{other!r} is not a phase (phases: {', '.join(phases)})"))
        if ph.gate is None:
            continue
        d = ph.gate.decide_fy
        if not first <= d <= last:
            problems.append((base + ".gate.decide_fy", f"{d} is outside the horizon {span}"))
            continue
        for i, cond in enumerate(ph.gate.when):
            at = f"{base}.gate.when.{i}"
            fy = d if cond.fy is None else cond.fy
            if not first <= fy <= d:
                problems.append(
                    (at + ".fy", f"{fy} is not known at the decision: read a year from {first} to decide_fy {d}")
                )
            if cond.input is not None and cond.input not in numeric:
                problems.append(
                    (at + ".input", f"{cond.input!r} is not a numeric scalar or yearly input of this assumption set")
                )
    seen: dict[str, str] = {}
    for step in a.decisions:
        for name in step.phases:
            if name not in phases:
                problems.append((f"decisions.{step.name}.phases", f"{name!r} is not a phase (phases: {', '.join(phases)})"))
            elif name in seen:
                problems.append((f"decisions.{step.name}.phases", f"{name!r} is already added by step {seen[name]!r}"))
            seen.setdefault(name, step.name)
    if problems:
        return problems
    cycle = _cycle(phases)
    if cycle:
        return [(f"capex.phases.{cycle[0]}.require", "require makes a cycle: " + " -> ".join(cycle))]
    for name, gates in removing_gates(phases).items():
        ph = phases[name]
        spend_first = ph.commissioning_fy - len(ph.spend_profile) + 1
        for gated, d in gates.items():
            if spend_first <= d:
                via = "its gate" if gated == name else f"the gate of {gated} (required)"
                problems.append(
                    (
                        f"capex.phases.{name}.spend_profile",
                        f"spends from {fy_label(spend_first)} to {fy_label(ph.commissioning_fy)}, but {via} decides "
                        f"at the end of {fy_label(d)}: you cannot un-spend; start spending in {fy_label(d + 1)} or "
                        "later (move commissioning later or shorten the profile) or decide earlier",
                    )
                )
    return problems

"""Consistency checks that need the timeline: list lengths, FY points, commissioning and spend years.

Each check returns ``(dotted path, message)`` pairs; the loader reports them all together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tem.assumptions.fields import bound_problem
from tem.assumptions.walk import iter_leaves
from tem.assumptions.yearly import check_yearly_horizon, fy_label, resolve_yearly

if TYPE_CHECKING:
    from tem.assumptions.schema import Assumptions


def _in_horizon(fy: int, first: int, last: int) -> bool:
    return first <= fy <= last


def horizon_problems(a: Assumptions) -> list[tuple[str, str]]:
    first = a.timeline.first_fy
    n = a.timeline.horizon_years
    last = first + n - 1
    span = f"{fy_label(first)}-{fy_label(last)} ({first}-{last})"
    problems: list[tuple[str, str]] = []

    for leaf in iter_leaves(a):
        bound = leaf.yearly_bound
        if bound is None or leaf.value is None:
            continue
        msgs = check_yearly_horizon(leaf.value, first, n)
        if msgs:
            problems += [(leaf.path, m) for m in msgs]
            continue
        path_values = resolve_yearly(leaf.value, first, n)
        for i, x in enumerate(path_values):
            p = bound_problem(float(x), bound, derived=True)
            if p:
                problems.append((leaf.path, f"in {fy_label(first + i)} the path reaches {p}"))
                break

    for seg in ("captive", "external_oem", "ess"):
        start = getattr(a.demand, seg).start_fy
        if start > last:
            problems.append((f"demand.{seg}.start_fy", f"{start} is after the horizon {span}; the segment would never sell"))

    names: set[str] = set()
    for ph in a.capex.phases:
        base = f"capex.phases.{ph.name}"
        if ph.name in names:
            problems.append((base + ".name", f"phase name {ph.name!r} is used twice; names must be unique"))
        names.add(ph.name)
        if not _in_horizon(ph.commissioning_fy, first, last):
            problems.append((base + ".commissioning_fy", f"{ph.commissioning_fy} is outside the horizon {span}"))
        spend_first = ph.commissioning_fy - len(ph.spend_profile) + 1
        if spend_first < first:
            problems.append(
                (
                    base + ".spend_profile",
                    f"{len(ph.spend_profile)} years of spend ending in {fy_label(ph.commissioning_fy)} start in "
                    f"{fy_label(spend_first)}, before the first year {fy_label(first)}; shorten the profile or "
                    "move commissioning later (spend before the valuation date is sunk and not modelled)",
                )
            )

    start = a.transition.local_cells_start_fy
    if start is not None and not _in_horizon(start, first, last):
        problems.append(("transition.local_cells_start_fy", f"{start} is outside the horizon {span}; use null for never"))
    pli = a.cells.local.pli
    if pli.enabled and not _in_horizon(pli.start_fy, first, last):
        problems.append(("cells.local.pli.start_fy", f"{pli.start_fy} is outside the horizon {span}"))
    for fy in a.reporting.dva_fys:
        if not _in_horizon(fy, first, last):
            problems.append(("reporting.dva_fys", f"{fy} is outside the horizon {span}"))
    if a.valuation.terminal_value_method == "perpetuity" and a.valuation.terminal_growth_rate >= a.timeline.discount_rate:
        problems.append(
            (
                "valuation.terminal_growth_rate",
                f"{a.valuation.terminal_growth_rate:g} must be below the discount rate {a.timeline.discount_rate:g}",
            )
        )
    return problems

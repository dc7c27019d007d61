"""Calculations rows for the state capital subsidy and tax depreciation by phase [INR crore] (see calc).

Each phase keeps its own written-down-value block as a corkscrew: opening block + put in service, less the
subsidy received when it reduces the block (never below zero), less the year's depreciation. Pooling phases
that share a rate (as the engine does where no subsidy touches them) gives the same depreciation.
"""

from __future__ import annotations

import numpy as np

from tem.catalogue import phase_label
from tem.exports.workbook.calc import CalcSheet, first
from tem.model.capex import written_down_value_reduced
from tem.model.engine import Outcome
from tem.model.inputs import Inputs

S = "incentives.state_capital_subsidy."


def _eligible(c: CalcSheet, inp: Inputs, name: str) -> str:
    """The phase's eligible share: its input (the Inputs sheet shows 1 or 0 from the eligible kinds when unset)."""
    path = f"capex.phases.{name}.subsidy_eligible_share"
    if path in c.grid.inputs:
        return f"{{in:{path}}}"
    return repr(float(first(inp[path])[0]))


def subsidy_and_tax_depreciation_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> list[str]:
    """Subsidy due and received by phase, its total (capped), the part taxed when received, and each phase's
    tax depreciation; returns the templates of the tax depreciation rows (summed by the caller)."""
    cap = o.capex
    n = inp.structure.n_years
    fy = first(inp.fiscal_years[None, :].astype(float))
    c.section("State capital subsidy and tax depreciation [INR crore]")
    due: dict[str, str] = {}
    after, count = f"{{in:{S}first_instalment_after_years}}", f"{{in:{S}instalments}}"
    for ph in inp.structure.phases:
        share = _eligible(c, inp, ph.name)
        if share == "0.0":
            continue
        k = ph.name
        c.row(
            f"sub_due_{k}",
            f"State subsidy due: {phase_label(k)}",
            "INR crore",
            f"IF(AND({{age_{k}}}-{after}>=0,{{age_{k}}}-{after}<{count}),"
            f"{{in:{S}enabled}}*{{in:{S}share_of_eligible_capex}}*{share}*SUM({{spend_{k}:all}})/{count},0)",
            None,  # checked through the subsidy received below
        )
        due[k] = f"{{sub_due_{k}}}"
    c.row("sub_due", "State subsidy due", "INR crore", "+".join(due.values()) if due else "0", None)
    if f"{S}cap_inr_cr" in c.grid.inputs:
        cap_cell = f"{{in:{S}cap_inr_cr}}"
        paid = f"MIN(SUM({{sub_due:upto}}),{cap_cell})-MIN(SUM({{sub_due:upto}})-{{sub_due}},{cap_cell})"
    else:
        paid = "{sub_due}"
    c.row("subsidy", "State capital subsidy received", "INR crore", paid, first(cap.subsidy), True)
    c.row("sub_factor", "Share of the subsidy due that is paid", "fraction", "IF({sub_due}>0,{subsidy}/{sub_due},0)", None)
    reduces = f'{{in:{S}tax_treatment}}="reduces_block"'
    reductions: list[str] = []
    taxdep: list[str] = []
    for ph in inp.structure.phases:
        k, p = ph.name, f"capex.phases.{ph.name}."
        if f"add_{k}" not in c.grid.rows:  # a phase the model does not build
            continue
        received = first(cap.subsidy_by_phase[k]) if k in cap.subsidy_by_phase else np.zeros(n)
        if k in due:
            c.row(
                f"sub_{k}",
                f"State subsidy received: {phase_label(k)}",
                "INR crore",
                f"{{sub_due_{k}}}*{{sub_factor}}",
                received,
            )
        rate = f"{{in:{p}tax_depreciation_rate}}"
        c.grid.rows[f"wdv_{k}"] = c.next_row + (3 if k in due else 2)  # the closing block, a year back
        c.row(
            f"wdv_pre_{k}",
            f"Tax block before depreciation: {phase_label(k)}",
            "INR crore",
            f"{{wdv_{k}:prev}}+{{add_{k}}}",
            None,
        )
        if k in due:
            c.row(
                f"subred_{k}",
                f"Subsidy taken off the tax block: {phase_label(k)}",
                "INR crore",
                f"IF({reduces},MIN({{sub_{k}}},MAX({{wdv_pre_{k}}},0)),0)",
                None,
            )
            reductions.append(f"{{subred_{k}}}")
            net = f"({{wdv_pre_{k}}}-{{subred_{k}}})"
        else:
            net = f"{{wdv_pre_{k}}}"
        age = fy - first(inp[p + "commissioning_fy"])
        nominal = first(cap.spend_by_phase[k]).sum()
        half = np.where(age == 0, nominal, 0.0) * first(inp[p + "tax_half_rate_first_year"])
        additions = first(np.broadcast_to(cap.additions_by_phase.get(k, np.zeros((1, n))), (1, n)))  # none: not built
        cut = received * first(inp["incentives.state_capital_subsidy.reduces_block"])
        dep, _ = written_down_value_reduced(
            additions[None, :], inp[p + "tax_depreciation_rate"], half[None, :], cut[None, :]
        )
        c.row(
            f"taxdep_{k}",
            f"Tax depreciation (WDV): {phase_label(k)}",
            "INR crore",
            f"{rate}*{net}-{{in:{p}tax_half_rate_first_year}}/2*{rate}*IF({{age_{k}}}=0,SUM({{spend_{k}:all}}),0)",
            first(dep),
        )
        c.row(f"wdv_{k}", f"Tax block at year end: {phase_label(k)}", "INR crore", f"{net}-{{taxdep_{k}}}", None)
        taxdep.append(f"{{taxdep_{k}}}")
    c.row(
        "sub_taxable",
        "State subsidy taxed when received",
        "INR crore",
        f"IF({reduces},{{subsidy}}-({'+'.join(reductions) if reductions else '0'}),{{subsidy}})",
        first(cap.subsidy_taxable),
    )
    return taxdep

"""Calculations rows by segment: own cost per kWh, the price each segment's rule sets, variable cost and
contribution margin (see calc and :mod:`tem.model.pricing`)."""

from __future__ import annotations

from tem import catalogue
from tem.catalogue import segment_label
from tem.exports.workbook.calc import CalcSheet, first
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.unit_costs import inverted_duty

K = "{c:inr_cr_per_gwh_inr_per_kwh}"


def over(segs: tuple[str, ...], volume: str, unit: str) -> str:
    """``(volume_s x unit_s + ...)`` over the segments, in the engine's order."""
    return "(" + "+".join(f"{{{volume}_{s}}}*{{{unit}_{s}}}" for s in segs) + ")"


def price_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    ops = o.operations
    segs = inp.structure.segments
    c.section("Prices by segment [INR/kWh]: each segment's rule")
    for s in segs:
        c.row(
            f"var_gi_{s}",
            f"Variable cost of what {segment_label(s)} receives",
            "GWh x INR/kWh",
            f"{{imported_{s}}}*{{imp_landed_{s}}}+{{local_{s}}}*{{local_cell}}"
            f"+{{made_{s}}}*({{non_cell_imp_{s}}}+{{non_cell_loc_{s}}}+{{assembly}})+{{bought_{s}}}*{{pack_landed_{s}}}",
            # the cost per kWh below times the demand met (nothing is received where nothing is met)
            first(o.prices.variable_cost_by_segment[s] * o.volumes.met_gwh[s]),
        )
        c.row(
            f"var_cost_{s}",
            f"Own variable cost per kWh delivered: {segment_label(s)}",
            "INR/kWh",
            f"IF({{met_{s}}}>0,{{var_gi_{s}}}/{{met_{s}}},0)",
            first(o.prices.variable_cost_by_segment[s]),
        )
        pack_share = f"IF({{pack_output}}>0,{{made_{s}}}/{{pack_output}},0)"
        cell_share = f"IF({{local_cells}}>0,{{local_{s}}}/{{local_cells}},0)"
        c.row(
            f"full_cost_{s}",
            f"Own full cost per kWh delivered: {segment_label(s)}",
            "INR/kWh",
            f"{{var_cost_{s}}}+IF({{met_{s}}}>0,(({{fixed_opex}}-{{cell_fixed}}+{{book_dep}}-{{cell_book}})*{pack_share}"
            f"+({{cell_fixed}}+{{cell_book}})*{cell_share})/{{met_{s}}}/{K},0)",
            first(o.prices.full_cost_by_segment[s]),
        )
        p = f"demand.{s}."
        rule = inp.structure.price_rules[s]
        parity = f"{{pack_landed_{s}}}*(1+{{in:{p}price_premium}})"
        if f"{p}cost_basis" in c.grid.inputs:  # the basis follows an edit of its text
            cost_plus = f'IF({{in:{p}cost_basis}}="full",{{full_cost_{s}}},{{var_cost_{s}}})*(1+{{in:{p}markup}})'
        else:
            basis = "full_cost" if inp.structure.cost_bases[s] == "full" else "var_cost"
            cost_plus = f"{{{basis}_{s}}}*(1+{{in:{p}markup}})"
        if rule == "import_parity":
            price = parity
        elif rule == "cost_plus":
            price = cost_plus
        elif inp.structure.segment_price_in_usd[s]:
            price = f"{{in:{p}price_usd_per_kwh}}*{{fx}}"
        else:
            price = f"{{in:{p}price_inr_per_kwh}}"
        if rule in SWITCHABLE and _inputs(c, p, "price_rule", "price_premium", "markup"):
            # the rule follows an edit of its cell (a list of the two rules on Inputs): import parity or cost plus
            price = f'IF({{in:{p}price_rule}}="import_parity",{parity},{cost_plus})'
        c.row(
            f"price_{s}",
            f"Selling price (its price rule): {segment_label(s)}",
            "INR/kWh",
            price,
            first(ops.price_by_segment[s]),
        )


SWITCHABLE = ("import_parity", "cost_plus")  # a path needs its own price inputs: no switch to or from it


def _inputs(c: CalcSheet, prefix: str, *names: str) -> bool:
    return all(f"{prefix}{n}" in c.grid.inputs for n in names)


def rule_choices(inp: Inputs) -> dict[str, tuple[str, ...]]:
    """Per text input of a segment's pricing, the values the workbook's formulas follow (its list on Inputs): the
    two switchable rules, or only its price path (a path has its own price inputs: no switch to or from it)."""
    out: dict[str, tuple[str, ...]] = {}
    for s in inp.structure.segments:
        rule = inp.structure.price_rules[s]
        out[f"demand.{s}.price_rule"] = SWITCHABLE if rule in SWITCHABLE else (rule,)
        out[f"demand.{s}.cost_basis"] = ("variable", "full")
    return out


def contribution_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    ops = o.operations
    segs = inp.structure.segments
    for s in segs:
        share = f"IF({{delivered}}>0,{{met_{s}}}/{{delivered}},{{w_{s}}})"
        c.row(
            f"variable_cost_{s}",
            catalogue.label(f"variable_cost_{s}"),
            "INR crore",
            f"{{var_gi_{s}}}*{K}+{{cogs_recycling_credit}}*{share}",
            first(ops.variable_cost_by_segment[s]),
        )
        c.row(
            f"contribution_{s}",
            catalogue.label(f"contribution_margin_{s}"),
            "INR crore",
            f"{{revenue_{s}}}-{{variable_cost_{s}}}",
            first(ops.contribution_by_segment[s]),
            True,
        )


def duty_check_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    """1 in a year where a segment with demand pays at least as much duty on cells as on finished packs."""
    flags = inverted_duty(inp, o.volumes)
    c.section("Duty structure: 1 = inverted (cell duty at or above pack duty)")
    for s in inp.structure.segments:
        pr = inp.structure.products[s]
        c.row(
            f"inverted_duty_{s}",
            f"Inverted duty: {segment_label(s)}",
            "flag",
            f"IF(AND({{demand_{s}}}>0,{{in:{pr.cell_bcd}}}>={{in:{pr.pack_bcd}}}),1,0)",
            first(flags[s].astype(float)),
        )

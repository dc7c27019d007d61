"""Calculations rows of the local cells by segment (``transition.local_cell_allocation``, :mod:`tem.model.allocation`).

They come after the capex rows: ``max_margin`` reads the cell plants' fixed costs per local cell."""

from __future__ import annotations

import numpy as np

from tem.catalogue import segment_label
from tem.exports.workbook.calc import CalcSheet, first, safe_ratio
from tem.model.allocation import local_cell_fixed_inr_per_kwh, margin_score, revenue_linked_cost_share
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.kpis import replaced_cell_landed
from tem.units import INR_CR_PER_GWH_X_INR_PER_KWH as K


def margin_score_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> str:
    """The rows of :func:`tem.model.allocation.margin_score` (``max_margin``); returns their key prefix. A segment's
    price rule and cost basis follow an edit of their text on Inputs when the sheet has them."""
    segs = inp.structure.segments
    rho = "{in:opex.rnd_revenue_share}+{in:opex.sga_revenue_share}+{in:opex.warranty_revenue_share}"
    c.row("rev_linked", "R&D, SG&A and warranty per INR of revenue", "fraction", rho, first(revenue_linked_cost_share(inp)))
    c.row(
        "local_fixed",
        "Cell plants and recycling: fixed opex and depreciation per good local cell",
        "INR/kWh",
        f"IF({{local_cells}}>0,({{cell_fixed}}+{{cell_book}})/{{local_cells}}/{K},0)",
        first(local_cell_fixed_inr_per_kwh(o.volumes, o.capex)),
    )
    scores = margin_score(inp, o.volumes, o.unit_costs, o.capex)
    for s in segs:
        p = f"demand.{s}."
        if f"{p}cost_basis" in c.grid.inputs:
            basis = f'IF({{in:{p}cost_basis}}="full",{{local_cell}}+{{local_fixed}},{{local_cell}})'
        else:
            basis = "{local_cell}+{local_fixed}" if inp.structure.cost_bases[s] == "full" else "{local_cell}"
        cost_plus = f"(1-{{rev_linked}})*(1+{{in:{p}markup}})*({basis}-{{imp_landed_{s}}})"
        if f"{p}price_rule" in c.grid.inputs:
            template = f'{{imp_landed_{s}}}+IF({{in:{p}price_rule}}="cost_plus",{cost_plus},0)'
        elif inp.structure.price_rules[s] == "cost_plus":
            template = f"{{imp_landed_{s}}}+{cost_plus}"
        else:
            template = f"{{imp_landed_{s}}}"
        c.row(
            f"keep_{s}",
            f"Allocation score {segment_label(s)}: EBITDA a local cell adds there, plus its variable cost",
            "INR/kWh",
            template,
            first(scores[s]),
        )
    return "keep"


def local_allocation_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    """Local cells by segment (transition.local_cell_allocation); after the segments' landed imported cells, the
    local cell's variable cost and the cell plants' fixed costs."""
    v = o.volumes
    segs = inp.structure.segments
    rule = inp.structure.local_cell_allocation
    for s in segs:
        c.row(
            f"need_{s}",
            f"Cells needed by the packs made: {segment_label(s)}",
            "GWh",
            f"{{made_{s}}}/{{in:pack.pack_yield}}",
            first(v.pack_output_by_segment[s] / inp["pack.pack_yield"]),
        )
    if rule == "pro_rata":
        c.row(
            "local_per_pack",
            "Local cells per kWh of packs made",
            "factor",
            "IF({pack_output}>0,{local_cells}/{pack_output},0)",
            safe_ratio(first(v.local_cells_gwh), first(v.pack_output_gwh)),
        )
        local = {s: f"{{made_{s}}}*{{local_per_pack}}" for s in segs}
    else:
        if rule == "order":
            ahead: dict[str, str] = {}
            terms: list[str] = []
            for s in inp.structure.local_cell_priority:
                ahead[s] = "+".join(terms) if terms else "0"
                terms.append(f"{{need_{s}}}")
        else:  # max_saving / max_margin: the highest score first, ties in listed order
            key = "imp_landed" if rule == "max_saving" else margin_score_rows(c, inp, o)
            ahead = {
                s: "+".join(
                    f"{{need_{x}}}*({{{key}_{x}}}{'>=' if j < i else '>'}{{{key}_{s}}})"
                    for j, x in enumerate(segs)
                    if j != i
                )
                for i, s in enumerate(segs)
            }
        need = {s: first(v.pack_output_by_segment[s] / inp["pack.pack_yield"]) for s in segs}
        if rule == "order":
            order = list(inp.structure.local_cell_priority)
            taken = {s: sum((need[x] for x in order[: order.index(s)]), start=np.zeros(c.n)) for s in segs}
        else:
            uc = o.unit_costs
            scores = uc.imported_cell_by_segment if rule == "max_saving" else margin_score(inp, v, uc, o.capex)
            landed = {s: first(scores[s]) for s in segs}
            taken = {
                s: sum(
                    (
                        need[x] * ((landed[x] >= landed[s]) if j < i else (landed[x] > landed[s]))
                        for j, x in enumerate(segs)
                        if j != i
                    ),
                    start=np.zeros(c.n),
                )
                for i, s in enumerate(segs)
            }
        for s in segs:
            c.row(f"local_ahead_{s}", f"Local cells taken before {segment_label(s)}", "GWh", ahead[s], taken[s])
        local = {s: f"MIN(MAX({{local_cells}}-{{local_ahead_{s}}},0),{{need_{s}}})" for s in segs}
    for s in segs:
        c.row(f"local_{s}", f"Local cells: {segment_label(s)}", "GWh", local[s], first(v.local_cells_by_segment[s]))
        c.row(
            f"imported_{s}",
            f"Cells imported: {segment_label(s)}",
            "GWh",
            (f"{{need_{s}}}-{{local_{s}}}" if rule != "pro_rata" else f"{{made_{s}}}/{{in:pack.pack_yield}}-{{local_{s}}}"),
            first(v.imported_cells_by_segment[s]),
        )
    replaced = "+".join(f"{{local_{s}}}*{{imp_landed_{s}}}" for s in segs)
    c.row(
        "replaced_landed",
        "Landed imported cell that local cells replace",
        "INR/kWh",
        f"IF({{local_cells}}>0,({replaced})/{{local_cells}},{{imp_landed}})",
        first(replaced_cell_landed(v, o.unit_costs)),
    )

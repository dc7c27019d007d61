"""Calculations rows behind the levelized costs and the crossover: pre-tax pack and cell costs, cells used, the
local cell's full cost and the first year it costs no more than the imported cell it replaces
(:mod:`tem.model.kpis`)."""

from __future__ import annotations

import numpy as np

from tem.exports.workbook.calc import CalcSheet, first
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.kpis import PER_KWH, cell_cost_parts, local_cell_full_cost, pack_cost_parts, replaced_cell_landed
from tem.units import inr_cr_to_usd_m

LOCAL_PARTS = {
    "materials_imported": "loc_mat_imp",
    "materials_local": "loc_mat_loc",
    "labour": "loc_labour",
    "energy": "loc_energy",
    "overhead": "loc_overhead",
    "royalty": "loc_royalty",
}


def levelized_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    """The section "Levelized cost inputs" (after the cash flow)."""
    v = o.volumes
    c.section("Levelized cost inputs")
    pack = pack_cost_parts(o.operations, o.capex)
    pack_costs = first(np.sum(np.broadcast_arrays(*pack.values()), axis=0))
    fx = first(o.unit_costs.inr_per_usd)
    c.row(
        "pack_costs",
        "Pre-tax costs of packs delivered",
        "INR crore",
        "{cogs}+{fixed_opex}+{rnd}+{sga}+{warranty}+{tech_fee}+{capex_spend}+{capex_maint}+{capex_repl}",
        pack_costs,
    )
    c.row(
        "pack_costs_usd",
        "Pre-tax costs of packs delivered, USD",
        "USD million",
        "{pack_costs}/{fx}*{c:usd_m_per_inr_cr_x_fx}",
        inr_cr_to_usd_m(pack_costs, fx),
    )
    cell_costs = first(np.sum(np.broadcast_arrays(*cell_cost_parts(o.operations, o.capex).values()), axis=0))
    c.row(
        "cell_costs",
        "Cell costs",
        "INR crore",
        "{cogs_imported_cells}+"
        + "+".join(f"{{cogs_{k}}}" for k in LOCAL_PARTS.values())
        + "+{cogs_recycling_credit}+{cell_capex}+{cell_fixed}+{tech_fee}",
        cell_costs,
    )
    c.row(
        "cell_costs_usd",
        "Cell costs, USD",
        "USD million",
        "{cell_costs}/{fx}*{c:usd_m_per_inr_cr_x_fx}",
        inr_cr_to_usd_m(cell_costs, fx),
    )
    c.row(
        "cells_used", "Cells used", "GWh", "{local_cells}+{imported_cells}", first(v.local_cells_gwh + v.imported_cells_gwh)
    )
    full = first(np.broadcast_to(local_cell_full_cost(v, o.unit_costs, o.capex, o.operations), (1, inp.structure.n_years)))
    c.row(
        "local_full",
        "Local cell, full cost",
        "INR/kWh",
        "IF({local_cells}>0,{local_cell}+({cell_fixed}+{cell_book}+{cogs_recycling_credit})/{local_cells}"
        '*{c:inr_per_kwh_per_inr_cr_gwh},"")',
        full,
    )
    local_cogs = "+".join(f"{{cogs_{k}}}" for k in LOCAL_PARTS.values())
    parts = o.operations.cogs_parts
    made = first(v.pack_output_gwh)
    cells_cost = first(parts["imported_cells"] + sum(parts[f"local_cell_{k}"] for k in LOCAL_PARTS))
    with np.errstate(divide="ignore", invalid="ignore"):
        pack_cells = np.where(made > 0, cells_cost / made * PER_KWH, np.nan)
    cheaper = (first(v.local_cells_gwh) > 0) & (full <= first(replaced_cell_landed(v, o.unit_costs)))
    crossover = np.where(cheaper, first(inp.fiscal_years[None, :].astype(float)), np.nan)
    c.row(
        "pack_cells",
        "Pack: cells per kWh of packs made",
        "INR/kWh",
        f'IF({{pack_output}}>0,({{cogs_imported_cells}}+{local_cogs})/{{pack_output}}*{{c:inr_per_kwh_per_inr_cr_gwh}},"")',
        pack_cells,
    )
    c.row(
        "crossover_flag",
        "FY when a local cell costs no more than an imported one",
        "FY",
        'IF({local_cells}>0,IF({local_full}<={replaced_landed},{fy},""),"")',
        crossover,
    )

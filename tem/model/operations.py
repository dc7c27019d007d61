"""Operating lines [INR crore/yr], ``(S, T)``: revenue, cost of goods by component, opex, PLI incentive,
EBITDA; and the localization view: imported content, DVA share, forex outflow [USD million].

Costs are positive numbers here; the statement shows them negative (money out).

* Revenue: GWh met x price [INR/kWh] x 0.1, by segment, the price set by the segment's rule
  (:mod:`tem.model.pricing`).
* By segment: variable cost = the segment's imported cells, local cells, non-cell parts, assembly and bought-in
  packs (:func:`tem.model.pricing.segment_variable_cost_gwh_inr` x 0.1) less its share of the recycling credit
  (by GWh delivered); contribution margin = revenue - variable cost. The segments' variable costs sum to the
  cost of goods, their contribution margins to the gross margin.
* Recycling: ``min(recycling capacity, production scrap + end-of-life returns)`` GWh, credited at
  ``credit_usd_per_kwh`` against cost of goods. End-of-life returns: ``return share x packs delivered
  battery_life_years earlier`` (packs sold before the first FY are not counted).
* ACC PLI: ``local cells GWh x rate x 0.1 x cell DVA`` in the term, only when the cell DVA reaches the
  threshold for that year, capped yearly at ``revenue_cap_share x market value of the local cells``
  (imported landed price) and cumulatively at ``total_cap_inr_cr``.
* DVA (ACC PLI basis, on sales): ``1 - imported content / revenue``; imported content = imported cells at
  landed cost + imported part of local-cell materials (landed) + royalty + imported non-cell parts (landed)
  + bought-in packs (landed) + technology fee. Cell DVA uses the local cells' own imported content over
  their market value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years
from tem.model.capex import CapexSchedule
from tem.model.inputs import Inputs
from tem.model.pricing import Prices, segment_variable_costs
from tem.model.unit_costs import UnitCosts
from tem.model.volumes import Volumes
from tem.units import INR_CR_PER_GWH_X_INR_PER_KWH as K
from tem.units import inr_cr_to_usd_m, usd_m_to_inr_cr


def lag_years(arr: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``arr`` shifted later by ``years`` ``(S|1, 1)``; zeros enter at the start."""
    n_s = max(arr.shape[0], np.shape(years)[0])
    arr = np.broadcast_to(arr, (n_s, arr.shape[1]))
    idx = np.arange(arr.shape[1])[None, :] - np.broadcast_to(np.asarray(years, dtype=np.intp), (n_s, 1))
    rows = np.arange(n_s)[:, None]
    return np.where(idx >= 0, arr[rows, np.clip(idx, 0, None)], 0.0)


@dataclass(frozen=True)
class Operations:
    revenue_by_segment: dict[str, np.ndarray]
    variable_cost_by_segment: dict[str, np.ndarray]
    contribution_by_segment: dict[str, np.ndarray]
    price_by_segment: dict[str, np.ndarray]  # INR/kWh
    revenue: np.ndarray
    cogs_parts: dict[str, np.ndarray]  # positive costs; recycling_credit is a negative cost
    cogs: np.ndarray
    purchases: np.ndarray
    gross_margin: np.ndarray
    fixed_opex: np.ndarray
    rnd: np.ndarray
    sga: np.ndarray
    warranty: np.ndarray
    technology_fee: np.ndarray
    pli_incentive: np.ndarray
    ebitda: np.ndarray
    recycled_gwh: np.ndarray
    imported_content: np.ndarray
    dva_share: np.ndarray
    cell_dva_share: np.ndarray
    forex_outflow_usd_m: np.ndarray


def pli_incentive(
    inp: Inputs, fy: np.ndarray, local_gwh: np.ndarray, cell_value: np.ndarray, cell_dva: np.ndarray
) -> np.ndarray:
    p = "cells.local.pli."
    k = fy - inp[p + "start_fy"]
    in_term = (inp[p + "enabled"] > 0.5) & (k >= 0) & (k < inp[p + "term_years"])
    threshold = np.where(
        k >= inp[p + "second_dva_threshold_after_years"],
        inp[p + "second_dva_threshold_share"],
        np.where(k >= inp[p + "first_dva_threshold_after_years"], inp[p + "first_dva_threshold_share"], 0.0),
    )
    eligible = in_term & (cell_dva >= threshold) & (local_gwh > 0)
    raw = local_gwh * inp[p + "rate_inr_per_kwh"] * K * np.clip(cell_dva, 0.0, 1.0) * eligible
    capped = np.minimum(raw, inp[p + "revenue_cap_share"] * cell_value)
    cap_total = inp.get(p + "total_cap_inr_cr", np.inf)
    cum = np.minimum(cumsum_years(capped), cap_total)
    return np.diff(cum, axis=1, prepend=0.0)


def compute_operations(
    inp: Inputs,
    vol: Volumes,
    uc: UnitCosts,
    cap: CapexSchedule,
    prices: Prices,
    variable_gwh_inr: Mapping[str, np.ndarray] | None = None,
    detail: bool = True,
) -> Operations:
    """The operating lines (module docstring); ``variable_gwh_inr``:
    :func:`~tem.model.pricing.segment_variable_costs` when already computed (the engine shares them).
    ``detail=False`` (batches): no variable cost and contribution by segment (empty), the rest the same bits."""
    fy = inp.fiscal_years[None, :].astype(float)
    fx = uc.inr_per_usd
    segs = inp.structure.segments
    revenue_by_segment = {s: vol.met_gwh[s] * prices.price_by_segment[s] * K for s in segs}
    revenue = sum(revenue_by_segment.values(), start=np.zeros(np.shape(vol.demand_total_gwh)))

    scrap = vol.local_cells_started_gwh - vol.local_cells_gwh
    returns = inp["recycling.end_of_life_return_share"] * lag_years(vol.delivered_gwh, inp["recycling.battery_life_years"])
    recycled = np.minimum(vol.recycling_capacity_gwh, scrap + returns)
    local = vol.local_cells_gwh
    no_local = not np.any(local)  # e.g. the import-only counterfactual: every local-cell line is zero
    none = np.zeros((1, local.shape[1]))

    def over_segments(volumes: dict[str, np.ndarray], unit: dict[str, np.ndarray]) -> np.ndarray:
        """Sum over segments of GWh x a per-kWh amount (INR/kWh -> x 0.1 for INR crore; USD/kWh -> USD m)."""
        return sum((volumes[s] * unit[s] for s in segs), start=np.zeros((1, 1)))

    parts = {
        "imported_cells": over_segments(vol.imported_cells_by_segment, uc.imported_cell_by_segment) * K,
        **{f"local_cell_{k}": none if no_local else local * v * K for k, v in uc.local_cell_parts.items()},
        "recycling_credit": -recycled * inp["recycling.credit_usd_per_kwh"] * fx * K,
        "non_cell_imported": over_segments(vol.pack_output_by_segment, uc.non_cell_imported_by_segment) * K,
        "non_cell_local": over_segments(vol.pack_output_by_segment, uc.non_cell_local_by_segment) * K,
        "assembly": vol.pack_output_gwh * uc.assembly * K,
        "bought_in_packs": over_segments(vol.bought_in_by_segment, uc.pack_landed_by_segment) * K,
    }
    shape = np.broadcast_shapes(*(v.shape for v in parts.values()))
    parts = {k: np.broadcast_to(v, shape) for k, v in parts.items()}
    cogs = sum(parts.values(), start=np.zeros(shape))
    purchases = (
        parts["imported_cells"]
        + parts["local_cell_materials_imported"]
        + parts["local_cell_materials_local"]
        + parts["non_cell_imported"]
        + parts["non_cell_local"]
        + parts["bought_in_packs"]
    )

    rnd = inp["opex.rnd_inr_cr"] + inp["opex.rnd_revenue_share"] * revenue
    sga = inp["opex.sga_revenue_share"] * revenue
    warranty = inp["opex.warranty_revenue_share"] * revenue
    tech_fee = usd_m_to_inr_cr(inp["cells.local.technology_fee_usd_m"], fx)

    cell_imported = parts["local_cell_materials_imported"] + parts["local_cell_royalty"]
    if no_local:
        cell_value = cell_dva = pli = none
    else:
        cell_value = over_segments(vol.local_cells_by_segment, uc.imported_cell_by_segment) * K
        with np.errstate(divide="ignore", invalid="ignore"):
            cell_dva = np.where(cell_value > 0, 1.0 - cell_imported / cell_value, 0.0)
        pli = pli_incentive(inp, fy, local, cell_value, cell_dva)

    gross = revenue - cogs
    ebitda = gross - cap.fixed_opex - rnd - sga - warranty - tech_fee + pli

    imported_content = (
        parts["imported_cells"] + cell_imported + parts["non_cell_imported"] + parts["bought_in_packs"] + tech_fee
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        dva = np.where(revenue > 0, 1.0 - imported_content / revenue, np.nan)
    freight = inp["cells.imported.freight_and_insurance_rate"]
    forex = (
        over_segments(vol.imported_cells_by_segment, uc.cell_fob_usd_by_segment) * (1.0 + freight)
        + (none if no_local else local * (uc.material_imported_cif + inp["cells.local.royalty_usd_per_kwh"]))
        + over_segments(vol.pack_output_by_segment, uc.non_cell_imported_cif_usd_by_segment)
        + over_segments(vol.bought_in_by_segment, uc.pack_fob_usd_by_segment) * (1.0 + freight)
        + inp["cells.local.technology_fee_usd_m"]
        + inr_cr_to_usd_m(cap.import_spend, fx)
    )
    variable: dict[str, np.ndarray] = {}
    if detail:
        with np.errstate(divide="ignore", invalid="ignore"):
            # the recycling credit by GWh delivered (by the mix weights in a year with nothing delivered)
            delivered_share = {
                s: np.where(vol.delivered_gwh > 0, vol.met_gwh[s] / vol.delivered_gwh, uc.segment_weight[s]) for s in segs
            }
        own = segment_variable_costs(segs, vol, uc) if variable_gwh_inr is None else variable_gwh_inr
        variable = {s: own[s] * K + parts["recycling_credit"] * delivered_share[s] for s in segs}
    full = np.broadcast_shapes(shape, np.shape(rnd), np.shape(tech_fee), cap.fixed_opex.shape, np.shape(revenue))

    def b(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, full)

    return Operations(
        revenue_by_segment={k: b(v) for k, v in revenue_by_segment.items()},
        variable_cost_by_segment={k: b(v) for k, v in variable.items()},
        contribution_by_segment={s: b(revenue_by_segment[s] - variable[s]) for s in variable},
        price_by_segment={s: b(prices.price_by_segment[s]) for s in segs},
        revenue=b(revenue),
        cogs_parts={k: b(v) for k, v in parts.items()},
        cogs=b(cogs),
        purchases=b(purchases),
        gross_margin=b(gross),
        fixed_opex=b(cap.fixed_opex),
        rnd=b(rnd),
        sga=b(sga),
        warranty=b(warranty),
        technology_fee=b(tech_fee),
        pli_incentive=b(pli),
        ebitda=b(ebitda),
        recycled_gwh=b(recycled),
        imported_content=b(imported_content),
        dva_share=b(dva),
        cell_dva_share=b(cell_dva),
        forex_outflow_usd_m=b(forex),
    )

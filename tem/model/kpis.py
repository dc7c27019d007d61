"""KPIs, each an array ``(S,)`` (README "KPIs" gives every definition).

Levelized cost per kWh = PV(costs) / PV(kWh), both discounted with the statement's factors:
``sum_t cost_t x DF_t / sum_t GWh_t x DF_t x 10`` [INR crore / GWh -> INR/kWh]. The USD figure converts each
year's cost at that year's exchange rate before discounting. The pack figure counts every pre-tax cost
(cost of goods, fixed opex, R&D, SG&A, warranty, technology fee, capex, maintenance and replacement capex) over the packs
delivered (made in India plus bought in); the cell figure counts cell costs (imported cells, local cell
materials and conversion, royalty, less the recycling credit, cell-plant and recycling capex, maintenance and
fixed opex, technology fee) over the cells used.
"""

from __future__ import annotations

import numpy as np

from tem.arrays import cumsum_years, is_exact_zero
from tem.finance import irr, mirr, payback_years, peak_funding
from tem.model.capex import CapexSchedule
from tem.model.cashflow import CashFlow
from tem.model.inputs import Inputs
from tem.model.operations import Operations
from tem.model.unit_costs import UnitCosts
from tem.model.volumes import Volumes
from tem.units import INR_CR_PER_GWH_X_INR_PER_KWH

PER_KWH = 1.0 / INR_CR_PER_GWH_X_INR_PER_KWH  # INR crore per GWh -> INR per kWh (x 10)


def pack_cost_parts(ops: Operations, cap: CapexSchedule) -> dict[str, np.ndarray]:
    """Every pre-tax cost of delivering packs, by component [INR crore/yr]; sums to the total cost."""
    return {
        **ops.cogs_parts,
        "fixed_opex": ops.fixed_opex,
        "rnd": ops.rnd,
        "sga": ops.sga,
        "warranty": ops.warranty,
        "technology_fee": ops.technology_fee,
        "capex": cap.spend_total,
        "maintenance_capex": cap.maintenance,
        "replacement_capex": cap.replacement,
    }


def cell_cost_parts(ops: Operations, cap: CapexSchedule) -> dict[str, np.ndarray]:
    parts = {k: v for k, v in ops.cogs_parts.items() if k.startswith("local_cell_") or k == "imported_cells"}
    parts["recycling_credit"] = ops.cogs_parts["recycling_credit"]
    parts["cell_capex"] = cap.cell_capex
    parts["cell_fixed_opex"] = cap.cell_fixed_opex
    parts["technology_fee"] = ops.technology_fee
    return parts


def present_value(flow: np.ndarray, df: np.ndarray) -> np.ndarray:
    """``sum_t flow_t x DF_t`` per scenario (row by row in the same order whatever the batch size, so a batch
    reproduces single runs bit for bit; a BLAS product would not)."""
    flow, df = np.broadcast_arrays(flow, df)
    return np.einsum("ij,ij->i", flow, df)


def levelize(parts: dict[str, np.ndarray], volume_gwh: np.ndarray, df: np.ndarray) -> dict[str, np.ndarray]:
    """Each component's PV over PV(volume) [INR/kWh]; NaN where no volume is ever made."""
    pv_volume = present_value(volume_gwh, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(pv_volume > 0, PER_KWH / pv_volume, np.nan)
        return {k: present_value(v, df) * scale for k, v in parts.items()}


def total_of(parts: dict[str, np.ndarray], df: np.ndarray) -> np.ndarray:
    """The parts summed year by year, ``(S, T)`` (in their order, from zero)."""
    return sum(parts.values(), start=np.zeros(np.shape(df)))


def levelized_total(total: np.ndarray, volume_gwh: np.ndarray, df: np.ndarray) -> np.ndarray:
    """PV(total cost) / PV(volume) [INR/kWh]; NaN where no volume is ever made. The KPI; :func:`levelize`
    splits it by component (the parts sum to it up to rounding)."""
    pv_volume = present_value(volume_gwh, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pv_volume > 0, present_value(total, df) * (PER_KWH / pv_volume), np.nan)


def levelized_usd(total: np.ndarray, volume_gwh: np.ndarray, df: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """As :func:`levelized_total` with each year's cost converted to USD at that year's rate [USD/kWh]."""
    pv_volume = np.sum(volume_gwh * df, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pv_volume > 0, np.sum(total / fx * df, axis=1) / pv_volume * PER_KWH, np.nan)


def npv_without_terminal_value(inp: Inputs, cash: CashFlow) -> np.ndarray:
    """NPV if the programme stopped at the horizon [INR crore]: the present value of FCF before terminal value
    with the last year's working capital released (as with ``terminal_value_method: none``, where it equals the
    NPV). ``(S,)``."""
    npv_pre = cash.present_value_before_terminal.sum(axis=1)
    has_tv = inp["valuation.terminal_value_is_perpetuity"] + inp["valuation.terminal_value_is_multiple"]
    if is_exact_zero(has_tv):
        return npv_pre  # the release is already in the flows
    return npv_pre + has_tv.reshape(-1) * cash.working_capital[:, -1] * cash.discount_factor[:, -1]


def local_cell_overheads(vol: Volumes, cap: CapexSchedule, ops: Operations) -> dict[str, np.ndarray]:
    """Per kWh of good local cells [INR/kWh], NaN in years without local cells: ``fixed_and_depreciation`` (fixed
    opex and book depreciation of the cell plants and the recycling line) and ``recycling_credit`` (the
    recycling line's credit, negative). The two with the variable cost make the full cost (README, "Model
    definitions": the recycling line counts with its costs and its credit, as in the levelized cell cost)."""
    has = vol.local_cells_gwh > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(has, PER_KWH / vol.local_cells_gwh, np.nan)
        return {
            "fixed_and_depreciation": (cap.cell_fixed_opex + cap.cell_book_depreciation) * per,
            "recycling_credit": ops.cogs_parts["recycling_credit"] * per,
        }


def replaced_cell_landed(vol: Volumes, uc: UnitCosts) -> np.ndarray:
    """Landed cost of the imported cells the local cells replace [INR/kWh]: ``sum_s local_s x landed_s / local``
    (the segments' cells differ in FOB and duty); the imported mix in years without local cells."""
    replaced = sum(
        (vol.local_cells_by_segment[s] * uc.imported_cell_by_segment[s] for s in vol.local_cells_by_segment),
        start=np.zeros((1, 1)),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(vol.local_cells_gwh > 0, replaced / vol.local_cells_gwh, uc.imported_cell)


def local_cell_full_cost(vol: Volumes, uc: UnitCosts, cap: CapexSchedule, ops: Operations) -> np.ndarray:
    """Full cost of a good local cell [INR/kWh]: variable cost + (fixed opex and book depreciation of the cell
    plants and the recycling line + the recycling credit, which is negative) / local cells; NaN in years
    without local cells. The crossover, the unit-cost view and the workbook use this one definition."""
    over = local_cell_overheads(vol, cap, ops)
    return np.where(
        vol.local_cells_gwh > 0, uc.local_cell + over["fixed_and_depreciation"] + over["recycling_credit"], np.nan
    )


def crossover_fy(inp: Inputs, vol: Volumes, uc: UnitCosts, cap: CapexSchedule, ops: Operations) -> np.ndarray:
    """First FY in which local cells are made at a full cost (:func:`local_cell_full_cost`) at or below the
    landed cost of the imported cells they replace (:func:`replaced_cell_landed`); NaN if never."""
    cheaper = (vol.local_cells_gwh > 0) & (local_cell_full_cost(vol, uc, cap, ops) <= replaced_cell_landed(vol, uc))
    fys = inp.fiscal_years.astype(float)
    return np.where(cheaper.any(axis=1), fys[np.argmax(cheaper, axis=1)], np.nan)


def compute_kpis(
    inp: Inputs,
    vol: Volumes,
    uc: UnitCosts,
    cap: CapexSchedule,
    ops: Operations,
    cash: CashFlow,
    *,
    full: bool = True,
    detail: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(kpis, levelized pack parts, levelized cell parts), each value ``(S,)``.

    With ``full=False`` (the counterfactual) only what the increments need is computed: NPV, the levelized
    pack cost and the forex outflow. With ``detail=False`` (batches) the levelized parts are not split out
    (empty dicts); the KPIs are the same either way.
    """
    n_s = cash.free_cash_flow.shape[0]
    df = cash.discount_factor

    def b(x: np.ndarray | float) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float).reshape(-1), (n_s,)).copy()

    pack_cost = pack_cost_parts(ops, cap)
    pack_total = total_of(pack_cost, df)
    pack_parts = levelize(pack_cost, vol.delivered_gwh, df) if detail else {}
    kpis = {
        "npv_inr_cr": cash.present_value.sum(axis=1),
        "levelized_pack_cost_inr_per_kwh": levelized_total(pack_total, vol.delivered_gwh, df),
        "forex_outflow_usd_m": ops.forex_outflow_usd_m.sum(axis=1),
    }
    if not full:
        return {k: b(v) for k, v in kpis.items()}, pack_parts, {}
    rate = inp["timeline.discount_rate"].reshape(-1)
    fin = inp["valuation.mirr_finance_rate"].reshape(-1) if inp.structure.mirr_finance_set else rate
    rei = inp["valuation.mirr_reinvestment_rate"].reshape(-1) if inp.structure.mirr_reinvestment_set else rate
    irr_result = irr(cash.free_cash_flow)
    cell_vol = vol.local_cells_gwh + vol.imported_cells_gwh
    cell_cost = cell_cost_parts(ops, cap)
    cell_total = total_of(cell_cost, df)
    cell_parts = levelize(cell_cost, cell_vol, df) if detail else {}
    cum = cumsum_years(cash.free_cash_flow_before_terminal)
    fys = inp.fiscal_years.astype(float)
    kpis |= {
        "npv_without_terminal_value_inr_cr": npv_without_terminal_value(inp, cash),
        "terminal_value_pv_inr_cr": present_value(cash.terminal_value, cash.terminal_value_discount_factor),
        "irr": irr_result.rate,
        "irr_status": irr_result.status.astype(float),
        "mirr": mirr(cash.free_cash_flow, fin, rei),
        "payback_years": payback_years(cash.free_cash_flow_before_terminal),
        "discounted_payback_years": payback_years(cash.present_value_before_terminal),
        "peak_funding_inr_cr": peak_funding(cash.free_cash_flow_before_terminal),
        "peak_funding_fy": np.where(cum.min(axis=1) < 0, fys[np.argmin(cum, axis=1)], np.nan),
        "total_capex_inr_cr": cap.spend_total.sum(axis=1),
        "maintenance_capex_inr_cr": cap.maintenance.sum(axis=1),
        "state_subsidy_inr_cr": cap.subsidy.sum(axis=1),
        "replacement_capex_inr_cr": cap.replacement.sum(axis=1),
        "levelized_pack_cost_usd_per_kwh": levelized_usd(pack_total, vol.delivered_gwh, df, uc.inr_per_usd),
        "levelized_cell_cost_inr_per_kwh": levelized_total(cell_total, cell_vol, df),
        "levelized_cell_cost_usd_per_kwh": levelized_usd(cell_total, cell_vol, df, uc.inr_per_usd),
        "crossover_fy": crossover_fy(inp, vol, uc, cap, ops),
        "revenue_inr_cr": ops.revenue.sum(axis=1),
        "local_cells_gwh": np.broadcast_to(vol.local_cells_gwh, (n_s, fys.size)).sum(axis=1),
    }
    for fy in inp.structure.dva_fys:
        kpis[f"dva_share_fy{fy % 100:02d}"] = ops.dva_share[:, fy - inp.structure.first_fy]
    return {k: b(v) for k, v in kpis.items()}, pack_parts, cell_parts

"""Unit costs [INR/kWh], by component, shape ``(S, T)`` (DESIGN.md sections 4.2 and 4a).

* Imported cell, landed: ``CIF = FOB_usd x (1 + freight_and_insurance) x inr_per_usd``; duty on CIF:
  ``landed = CIF x (1 + bcd x (1 + sws)) + logistics``. The duty is the mix of the EV and ESS rates in
  proportion to the segments' demand. GST is creditable and never enters cost.
* Local cell, per good kWh: materials (each group split into an imported part at landed cost and a local
  part at ``world x local_price_factor``) and conversion (labour, energy, overhead, falling with own
  cumulative output by the learning rate), both divided by the yield; plus a royalty per kWh.
* Pack, per kWh made in India: the cells it holds (local and imported mix, cells per pack kWh
  ``1 / pack_yield``), the non-cell BOM (imported part landed, local part at the local price) and assembly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years
from tem.model.inputs import Inputs
from tem.model.volumes import Volumes


def learning_curve_price(
    start: np.ndarray, learning_rate: np.ndarray, cumulative_growth: np.ndarray, floor: np.ndarray, n_years: int
) -> np.ndarray:
    """``max(floor, start x ((1 + g) ** t) ** log2(1 - learning_rate))``: price on a learning curve when
    cumulative volume grows by ``g`` a year. ``(S, T)``."""
    t = np.arange(n_years, dtype=float)[None, :]
    exponent = np.log2(1.0 - learning_rate)
    return np.maximum(floor, start * (1.0 + cumulative_growth) ** (t * exponent))


def fob_price_usd_per_kwh(inp: Inputs) -> np.ndarray:
    if inp.structure.fob_by_learning_curve:
        p = "cells.imported.fob_learning_curve."
        return learning_curve_price(
            inp[p + "start_usd_per_kwh"],
            inp[p + "learning_rate"],
            inp[p + "cumulative_growth_rate"],
            inp[p + "floor_usd_per_kwh"],
            inp.structure.n_years,
        )
    return inp["cells.imported.fob_price_usd_per_kwh"]


def conversion_learning_factor(
    local_cells_gwh: np.ndarray, learning_rate: np.ndarray, reference_gwh: np.ndarray
) -> np.ndarray:
    """``(max(cumulative output, reference) / reference) ** log2(1 - learning_rate)``; 1 until the
    cumulative own output (this year included) passes the reference."""
    cumulative = cumsum_years(local_cells_gwh)
    return (np.maximum(cumulative, reference_gwh) / reference_gwh) ** np.log2(1.0 - learning_rate)


@dataclass(frozen=True)
class UnitCosts:
    """Every array is INR per kWh, ``(S, T)``; ``*_parts`` dicts hold components that sum to the total."""

    inr_per_usd: np.ndarray
    fob_usd_per_kwh: np.ndarray
    imported_cell_parts: dict[str, np.ndarray]  # fob, freight_insurance, customs_duty, surcharge, logistics
    imported_cell: np.ndarray
    local_cell_parts: dict[str, np.ndarray]  # materials_imported, materials_local, labour, energy, overhead, royalty
    local_cell: np.ndarray
    non_cell_imported: np.ndarray
    non_cell_local: np.ndarray
    assembly: np.ndarray
    bought_in_pack: np.ndarray
    duty_rate: np.ndarray  # blended BCD on imported cells [fraction]
    material_imported_cif: np.ndarray  # USD/kWh of good local cells paid abroad (for forex)
    material_groups: dict[str, tuple[np.ndarray, np.ndarray]]  # group -> (imported landed, local) per kWh started
    learning_factor: np.ndarray  # conversion cost multiplier from own cumulative output [factor]
    non_cell_imported_cif_usd: np.ndarray  # USD/kWh of packs paid abroad


def compute_unit_costs(inp: Inputs, vol: Volumes) -> UnitCosts:
    fx = inp["timeline.inr_per_usd"]
    freight = inp["cells.imported.freight_and_insurance_rate"]
    sws = inp["cells.imported.social_welfare_surcharge_rate"]
    logistics = inp["cells.imported.logistics_inr_per_kwh"]

    fob_usd = fob_price_usd_per_kwh(inp)
    with np.errstate(divide="ignore", invalid="ignore"):
        ess_weight = np.where(vol.demand_total_gwh > 0, vol.demand_gwh["ess"] / vol.demand_total_gwh, 0.0)
    duty = (1.0 - ess_weight) * inp["cells.imported.bcd_rate_vehicle"] + ess_weight * inp["cells.imported.bcd_rate_ess"]
    fob = fob_usd * fx
    freight_part = fob * freight
    cif = fob + freight_part
    bcd = cif * duty
    surcharge = bcd * sws
    imported_parts = {
        "fob": fob,
        "freight_insurance": freight_part,
        "customs_duty": bcd,
        "social_welfare_surcharge": surcharge,
        "logistics": np.broadcast_to(logistics, fob.shape) if logistics.shape != fob.shape else logistics,
    }
    imported_cell = fob + freight_part + bcd + surcharge + logistics

    y = vol.cell_yield
    mat_imp = np.zeros((1, 1))
    mat_loc = np.zeros((1, 1))
    mat_imp_cif_usd = np.zeros((1, 1))
    material_groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for g in inp.structure.materials:
        p = f"cells.local.materials.{g}."
        world_usd = inp[p + "world_price_usd_per_kwh"]
        share_local = inp[p + "local_share"]
        world_inr = world_usd * fx
        landed = world_inr * (1.0 + freight) * (1.0 + inp[p + "bcd_rate"] * (1.0 + sws))
        group_imported = (1.0 - share_local) * landed
        group_local = share_local * world_inr * inp[p + "local_price_factor"]
        material_groups[g] = (group_imported, group_local)
        mat_imp = mat_imp + group_imported
        mat_loc = mat_loc + group_local
        mat_imp_cif_usd = mat_imp_cif_usd + (1.0 - share_local) * world_usd * (1.0 + freight)
    learn = conversion_learning_factor(
        vol.local_cells_gwh, inp["cells.local.conversion_learning_rate"], inp["cells.local.conversion_reference_gwh"]
    )
    local_parts = {
        "materials_imported": mat_imp / y,
        "materials_local": mat_loc / y,
        "labour": inp["cells.local.labour_inr_per_kwh"] * learn / y,
        "energy": inp["cells.local.energy_inr_per_kwh"] * learn / y,
        "overhead": inp["cells.local.overhead_inr_per_kwh"] * learn / y,
        "royalty": inp["cells.local.royalty_usd_per_kwh"] * fx,
    }
    shape = np.broadcast_shapes(*(v.shape for v in local_parts.values()), fob.shape)
    local_parts = {k: np.broadcast_to(v, shape) for k, v in local_parts.items()}
    local_cell = sum(local_parts.values(), start=np.zeros(shape))

    bom_usd = inp["pack.non_cell_bom_usd_per_kwh"]
    bom_local_share = inp["pack.non_cell_local_share"]
    bom_inr = bom_usd * fx
    non_cell_imp = (1.0 - bom_local_share) * bom_inr * (1.0 + freight) * (1.0 + inp["pack.non_cell_bcd_rate"] * (1.0 + sws))
    non_cell_loc = bom_local_share * bom_inr * inp["pack.non_cell_local_price_factor"]
    bought_in = (
        inp["transition.bought_in_pack_fob_usd_per_kwh"]
        * fx
        * (1.0 + freight)
        * (1.0 + inp["transition.bought_in_pack_bcd_rate"] * (1.0 + sws))
        + logistics
    )
    return UnitCosts(
        inr_per_usd=fx,
        fob_usd_per_kwh=fob_usd,
        imported_cell_parts=imported_parts,
        imported_cell=imported_cell,
        local_cell_parts=local_parts,
        local_cell=local_cell,
        non_cell_imported=non_cell_imp,
        non_cell_local=non_cell_loc,
        assembly=inp["pack.assembly_inr_per_kwh"],
        bought_in_pack=bought_in,
        duty_rate=duty,
        material_imported_cif=mat_imp_cif_usd / y,
        non_cell_imported_cif_usd=(1.0 - bom_local_share) * bom_usd * (1.0 + freight),
        material_groups=material_groups,
        learning_factor=learn,
    )

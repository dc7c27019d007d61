"""Unit costs [INR/kWh], by component, shape ``(S, T)`` (DESIGN.md sections 4.2 and 4a).

* Imported cell, landed, by segment (each segment names its product, ``demand.<s>.product``):
  ``CIF = FOB_usd x (1 + freight_and_insurance) x inr_per_usd``; duty on CIF:
  ``landed = CIF x (1 + bcd x (1 + sws)) + logistics``, with the segment's cell FOB (its own path, or a factor
  on the reference FOB) and its cell duty. GST is creditable and never enters cost. The unsegmented
  ``imported_cell`` lines are the mix of the segments weighted by the cells their packs need (by demand when no
  packs are made; equal weights when there is no demand): a reporting reference, never a cost.
* Imported finished pack, landed, by segment: ``pack FOB x inr_per_usd x (1 + freight) x (1 + pack bcd x
  (1 + sws)) + logistics``, the pack FOB explicit or linked (``cell FOB + pack premium``). It is both the cost
  of a bought-in pack and the import-parity price reference.
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


NOT_COMPUTED = np.full((1, 1), np.nan)  # a reporting line left out by ``compute_unit_costs(detail=False)``
NOT_COMPUTED.flags.writeable = False


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
    bought_in_pack: np.ndarray  # mix of the segments (reporting)
    segment_weight: dict[str, np.ndarray]  # weights of the mix [fraction], sum 1
    cell_fob_usd_by_segment: dict[str, np.ndarray]  # USD/kWh
    imported_cell_by_segment: dict[str, np.ndarray]  # landed INR/kWh
    imported_cell_parts_by_segment: dict[str, dict[str, np.ndarray]]
    non_cell_imported_by_segment: dict[str, np.ndarray]
    non_cell_local_by_segment: dict[str, np.ndarray]
    non_cell_imported_cif_usd_by_segment: dict[str, np.ndarray]  # USD/kWh
    pack_fob_usd_by_segment: dict[str, np.ndarray]  # USD/kWh
    pack_landed_by_segment: dict[str, np.ndarray]  # landed imported finished pack, INR/kWh
    material_imported_cif: np.ndarray  # USD/kWh of good local cells paid abroad (for forex)
    material_groups: dict[str, tuple[np.ndarray, np.ndarray]]  # group -> (imported landed, local) per kWh started
    learning_factor: np.ndarray  # conversion cost multiplier from own cumulative output [factor]


def segment_weights(inp: Inputs, vol: Volumes) -> dict[str, np.ndarray]:
    """Weights of the reporting mix: cells required by segment, else demand, else equal; ``(S, T)``, sum 1."""
    segs = inp.structure.segments
    need = {s: vol.pack_output_by_segment[s] for s in segs}
    need_total = sum(need.values(), start=np.zeros((1, 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            s: np.where(
                need_total > 0,
                need[s] / need_total,
                np.where(vol.demand_total_gwh > 0, vol.demand_gwh[s] / vol.demand_total_gwh, 1.0 / len(segs)),
            )
            for s in segs
        }


def segment_cell_fob_usd(inp: Inputs, segment: str, reference_usd: np.ndarray) -> np.ndarray:
    """The FOB of the cell a segment's packs hold [USD/kWh]: its own path, or a factor on the reference."""
    pr = inp.structure.products[segment]
    if pr.cell_fob is not None:
        return inp[pr.cell_fob]
    return reference_usd * inp[pr.cell_fob_factor] if pr.cell_fob_factor is not None else reference_usd


def compute_unit_costs(inp: Inputs, vol: Volumes, detail: bool = True) -> UnitCosts:
    """Every unit cost (module docstring). ``detail=False`` (batches) leaves out the reporting mixes nothing in
    the model reads: ``imported_cell_parts`` is empty and ``non_cell_imported``, ``non_cell_local`` and
    ``bought_in_pack`` are NOT_COMPUTED; every other line is the same bits."""
    fx = inp["timeline.inr_per_usd"]
    freight = inp["cells.imported.freight_and_insurance_rate"]
    sws = inp["cells.imported.social_welfare_surcharge_rate"]
    logistics = inp["cells.imported.logistics_inr_per_kwh"]
    segs = inp.structure.segments

    fob_usd = fob_price_usd_per_kwh(inp)
    cell_fob_usd: dict[str, np.ndarray] = {}
    parts_by: dict[str, dict[str, np.ndarray]] = {}
    landed_by: dict[str, np.ndarray] = {}
    for s in segs:
        pr = inp.structure.products[s]
        seg_fob_usd = segment_cell_fob_usd(inp, s, fob_usd)
        fob = seg_fob_usd * fx
        freight_part = fob * freight
        bcd = (fob + freight_part) * inp[pr.cell_bcd]
        surcharge = bcd * sws
        shape = np.broadcast_shapes(fob.shape, surcharge.shape, logistics.shape)
        parts = {
            "fob": fob,
            "freight_insurance": freight_part,
            "customs_duty": bcd,
            "social_welfare_surcharge": surcharge,
            "logistics": logistics,
        }
        cell_fob_usd[s] = seg_fob_usd
        parts_by[s] = {k: np.broadcast_to(v, shape) for k, v in parts.items()}
        landed_by[s] = fob + freight_part + bcd + surcharge + logistics
    weight = segment_weights(inp, vol)

    def mix(by: dict[str, np.ndarray]) -> np.ndarray:
        return sum((weight[s] * by[s] for s in segs), start=np.zeros((1, 1)))

    imported_parts = {k: mix({s: parts_by[s][k] for s in segs}) for k in parts_by[segs[0]]} if detail else {}
    imported_cell = mix(landed_by)

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
    shape = np.broadcast_shapes(*(v.shape for v in local_parts.values()), fob_usd.shape, fx.shape)
    local_parts = {k: np.broadcast_to(v, shape) for k, v in local_parts.items()}
    local_cell = sum(local_parts.values(), start=np.zeros(shape))

    bom_local_share = inp["pack.non_cell_local_share"]
    nc_imp: dict[str, np.ndarray] = {}
    nc_loc: dict[str, np.ndarray] = {}
    nc_cif: dict[str, np.ndarray] = {}
    pack_fob_usd: dict[str, np.ndarray] = {}
    pack_landed: dict[str, np.ndarray] = {}
    for s in segs:
        pr = inp.structure.products[s]
        bom_usd = inp[pr.bom]
        bom_inr = bom_usd * fx
        nc_imp[s] = (1.0 - bom_local_share) * bom_inr * (1.0 + freight) * (1.0 + inp["pack.non_cell_bcd_rate"] * (1.0 + sws))
        nc_loc[s] = bom_local_share * bom_inr * inp["pack.non_cell_local_price_factor"]
        nc_cif[s] = (1.0 - bom_local_share) * bom_usd * (1.0 + freight)
        if pr.pack_premium is not None:  # linked: a cell price war moves the imported pack too
            pack_fob_usd[s] = cell_fob_usd[s] + inp[pr.pack_premium]
        else:
            pack_fob_usd[s] = inp[str(pr.pack_fob)]
        pack_landed[s] = pack_fob_usd[s] * fx * (1.0 + freight) * (1.0 + inp[pr.pack_bcd] * (1.0 + sws)) + logistics
    return UnitCosts(
        inr_per_usd=fx,
        fob_usd_per_kwh=fob_usd,
        imported_cell_parts=imported_parts,
        imported_cell=imported_cell,
        local_cell_parts=local_parts,
        local_cell=local_cell,
        non_cell_imported=mix(nc_imp) if detail else NOT_COMPUTED,
        non_cell_local=mix(nc_loc) if detail else NOT_COMPUTED,
        assembly=inp["pack.assembly_inr_per_kwh"],
        bought_in_pack=mix(pack_landed) if detail else NOT_COMPUTED,
        segment_weight=weight,
        cell_fob_usd_by_segment=cell_fob_usd,
        imported_cell_by_segment=landed_by,
        imported_cell_parts_by_segment=parts_by,
        non_cell_imported_by_segment=nc_imp,
        non_cell_local_by_segment=nc_loc,
        non_cell_imported_cif_usd_by_segment=nc_cif,
        pack_fob_usd_by_segment=pack_fob_usd,
        pack_landed_by_segment=pack_landed,
        material_imported_cif=mat_imp_cif_usd / y,
        material_groups=material_groups,
        learning_factor=learn,
    )


def inverted_duty(inp: Inputs, vol: Volumes) -> dict[str, np.ndarray]:
    """By segment, ``(S, T)`` booleans: the segment has demand and its cells pay a basic customs duty at or above
    the duty on its finished packs (``cell bcd >= pack bcd``; the surcharge multiplies both alike). Local
    assembly then has no duty protection against an imported pack for that end use."""
    out = {}
    for s in inp.structure.segments:
        pr = inp.structure.products[s]
        out[s] = (vol.demand_gwh[s] > 0) & (inp[pr.cell_bcd] >= inp[pr.pack_bcd])
    return out

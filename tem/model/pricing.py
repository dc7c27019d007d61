"""Selling prices [INR/kWh] by segment, set inside every run by each segment's price rule; ``(S, T)``.

* ``path``: the explicit price path (``price_usd_per_kwh x inr_per_usd``, or ``price_inr_per_kwh``).
* ``import_parity``: the landed cost of the finished pack the buyer would otherwise import (see
  :mod:`tem.model.unit_costs`) ``x (1 + price_premium)``, the premium a yearly path that may be negative.
* ``cost_plus``: own cost per kWh delivered to the segment ``x (1 + markup)``, with
  ``variable`` cost = (imported cells x their landed cost + local cells x local variable cost + packs made x
  (non-cell parts + assembly) + bought-in packs x landed pack) / GWh delivered to the segment; and ``full`` cost
  = variable + (fixed opex + book depreciation of the pack-side phases) x the segment's share of packs made +
  (fixed opex + book depreciation of cell plants and recycling) x its share of local cells, per kWh delivered.
  No input of the cost depends on a price (R&D, SG&A and warranty, which follow revenue, are not in the
  basis), so there is no circularity. A segment with nothing delivered in a year has a price of 0 there.

Transfer pricing: cost plus is the transactional net margin method (TNMM) form of an arm's-length price for
captive supply (OECD Transfer Pricing Guidelines, ch. II); import parity is the price a buyer pays for the
alternative it would import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tem.model.capex import CapexSchedule
from tem.model.inputs import Inputs
from tem.model.unit_costs import UnitCosts
from tem.model.volumes import Volumes
from tem.units import INR_CR_PER_GWH_X_INR_PER_KWH as K


@dataclass(frozen=True)
class Prices:
    price_by_segment: dict[str, np.ndarray]  # INR/kWh
    variable_cost_by_segment: dict[str, np.ndarray]  # own variable cost per kWh delivered, INR/kWh (0 if none)
    full_cost_by_segment: dict[str, np.ndarray]  # own full cost per kWh delivered, INR/kWh (0 if none)


def segment_variable_cost_gwh_inr(vol: Volumes, uc: UnitCosts, s: str) -> np.ndarray:
    """Variable cost of what segment ``s`` receives, in GWh x INR/kWh (x 0.1 = INR crore)."""
    return (
        vol.imported_cells_by_segment[s] * uc.imported_cell_by_segment[s]
        + vol.local_cells_by_segment[s] * uc.local_cell
        + vol.pack_output_by_segment[s]
        * (uc.non_cell_imported_by_segment[s] + uc.non_cell_local_by_segment[s] + uc.assembly)
        + vol.bought_in_by_segment[s] * uc.pack_landed_by_segment[s]
    )


def segment_variable_costs(segments: Sequence[str], vol: Volumes, uc: UnitCosts) -> dict[str, np.ndarray]:
    """:func:`segment_variable_cost_gwh_inr` of every segment (computed once for the prices and the operations)."""
    return {s: segment_variable_cost_gwh_inr(vol, uc, s) for s in segments}


def fixed_cost_sides(cap: CapexSchedule) -> tuple[np.ndarray, np.ndarray]:
    """(pack side, cell side) [INR crore]: fixed opex and book depreciation of the pack-side phases, and of the
    cell plants and recycling (what :func:`segment_fixed_cost_inr_cr` shares out)."""
    pack_side = cap.fixed_opex - cap.cell_fixed_opex + cap.book_depreciation - cap.cell_book_depreciation
    cell_side = cap.cell_fixed_opex + cap.cell_book_depreciation
    return pack_side, cell_side


def segment_fixed_cost_inr_cr(
    vol: Volumes, cap: CapexSchedule, s: str, sides: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Fixed opex and book depreciation of the phases serving segment ``s`` [INR crore]: the pack side by its share
    of packs made, cell plants and recycling by its share of local cells. ``sides``: :func:`fixed_cost_sides` of
    ``cap`` when already computed."""
    pack_side, cell_side = fixed_cost_sides(cap) if sides is None else sides
    with np.errstate(divide="ignore", invalid="ignore"):
        pack_share = np.where(vol.pack_output_gwh > 0, vol.pack_output_by_segment[s] / vol.pack_output_gwh, 0.0)
        cell_share = np.where(vol.local_cells_gwh > 0, vol.local_cells_by_segment[s] / vol.local_cells_gwh, 0.0)
    return pack_side * pack_share + cell_side * cell_share


def compute_prices(
    inp: Inputs,
    vol: Volumes,
    uc: UnitCosts,
    cap: CapexSchedule,
    variable_gwh_inr: Mapping[str, np.ndarray] | None = None,
    detail: bool = True,
) -> Prices:
    """Each segment's price and own costs per kWh; ``variable_gwh_inr``: :func:`segment_variable_costs` when
    already computed (the engine shares them with the operations). ``detail=False`` (batches): the own costs
    per kWh only of the segments whose price is set on them (``cost_plus``; the full cost where that is the
    basis), the prices the same bits."""
    prices: dict[str, np.ndarray] = {}
    variable: dict[str, np.ndarray] = {}
    full: dict[str, np.ndarray] = {}
    sides = fixed_cost_sides(cap) if detail or "full" in inp.structure.cost_bases.values() else None
    for s in inp.structure.segments:
        p = f"demand.{s}."
        met = vol.met_gwh[s]
        rule = inp.structure.price_rules[s]
        if detail or rule == "cost_plus":
            given = None if variable_gwh_inr is None else variable_gwh_inr.get(s)
            cost_gwh_inr = segment_variable_cost_gwh_inr(vol, uc, s) if given is None else given
            with np.errstate(divide="ignore", invalid="ignore"):
                variable[s] = np.where(met > 0, cost_gwh_inr / met, 0.0)
        if detail or (rule == "cost_plus" and inp.structure.cost_bases[s] == "full"):
            with np.errstate(divide="ignore", invalid="ignore"):
                fixed = np.where(met > 0, segment_fixed_cost_inr_cr(vol, cap, s, sides) / met / K, 0.0)
            full[s] = variable[s] + fixed
        if rule == "import_parity":
            prices[s] = uc.pack_landed_by_segment[s] * (1.0 + inp[p + "price_premium"])
        elif rule == "cost_plus":
            basis = full[s] if inp.structure.cost_bases[s] == "full" else variable[s]
            prices[s] = basis * (1.0 + inp[p + "markup"])
        elif inp.structure.segment_price_in_usd[s]:
            prices[s] = inp[p + "price_usd_per_kwh"] * uc.inr_per_usd
        else:
            prices[s] = inp[p + "price_inr_per_kwh"]
    return Prices(prices, variable, full)

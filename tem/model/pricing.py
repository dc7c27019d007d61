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


def segment_fixed_cost_inr_cr(vol: Volumes, cap: CapexSchedule, s: str) -> np.ndarray:
    """Fixed opex and book depreciation of the phases serving segment ``s`` [INR crore]: the pack side by its share
    of packs made, cell plants and recycling by its share of local cells."""
    pack_side = cap.fixed_opex - cap.cell_fixed_opex + cap.book_depreciation - cap.cell_book_depreciation
    cell_side = cap.cell_fixed_opex + cap.cell_book_depreciation
    with np.errstate(divide="ignore", invalid="ignore"):
        pack_share = np.where(vol.pack_output_gwh > 0, vol.pack_output_by_segment[s] / vol.pack_output_gwh, 0.0)
        cell_share = np.where(vol.local_cells_gwh > 0, vol.local_cells_by_segment[s] / vol.local_cells_gwh, 0.0)
    return pack_side * pack_share + cell_side * cell_share


def compute_prices(inp: Inputs, vol: Volumes, uc: UnitCosts, cap: CapexSchedule) -> Prices:
    prices: dict[str, np.ndarray] = {}
    variable: dict[str, np.ndarray] = {}
    full: dict[str, np.ndarray] = {}
    for s in inp.structure.segments:
        p = f"demand.{s}."
        met = vol.met_gwh[s]
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.where(met > 0, segment_variable_cost_gwh_inr(vol, uc, s) / met, 0.0)
            fixed = np.where(met > 0, segment_fixed_cost_inr_cr(vol, cap, s) / met / K, 0.0)
        variable[s] = var
        full[s] = var + fixed
        rule = inp.structure.price_rules[s]
        if rule == "import_parity":
            prices[s] = uc.pack_landed_by_segment[s] * (1.0 + inp[p + "price_premium"])
        elif rule == "cost_plus":
            basis = full[s] if inp.structure.cost_bases[s] == "full" else var
            prices[s] = basis * (1.0 + inp[p + "markup"])
        elif inp.structure.segment_price_in_usd[s]:
            prices[s] = inp[p + "price_usd_per_kwh"] * uc.inr_per_usd
        else:
            prices[s] = inp[p + "price_inr_per_kwh"]
    return Prices(prices, variable, full)

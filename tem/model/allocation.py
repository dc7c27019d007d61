"""Which segments' packs get the local cells (``transition.local_cell_allocation``); ``(S, T)`` arrays [GWh/yr].

Each segment takes at most the cells its packs need, ``need_s = made_s / pack_yield``; the rest of its cells are
imported. The rules:

* ``pro_rata``: ``local_s = made_s x local cells / packs made`` (what :func:`tem.model.volumes.compute_volumes`
  already did).
* ``order``: filled in ``local_cell_priority`` order, ``local_s = min(max(local - need of the segments before s, 0),
  need_s)``.
* ``max_saving``: filled in order of the segment's landed imported cell, dearest first (ties in listed order): where
  a local cell avoids the most landed cost. The saving in a cost-plus segment passes to its buyer.
* ``max_margin``: filled in order of what a local cell there adds to the company's EBITDA (ties in listed order),
  :func:`margin_score`. Where the price does not follow own cost (``import_parity``, ``path``) the company keeps the
  landed imported cell it avoids; in a ``cost_plus`` segment the price moves with the cost it is based on, so the
  company keeps ``landed_s - (1 - rho) x (1 + markup_s) x (landed_s - basis_s)``.

The allocation comes before the prices, and no input of the scores depends on the allocation of a year, so there
is no circularity (the fixed cost per local cell uses the total of local cells, which the rules only share out).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tem.model.capex import CapexSchedule
from tem.model.inputs import Inputs
from tem.model.unit_costs import UnitCosts
from tem.model.volumes import Volumes, ahead_in_order, fill_in_order
from tem.units import INR_CR_PER_GWH_X_INR_PER_KWH as K


def revenue_linked_cost_share(inp: Inputs) -> np.ndarray:
    """``rho``: the share of revenue spent on R&D, SG&A and warranty (``opex.*_revenue_share``); ``(S|1, T|1)``."""
    return inp["opex.rnd_revenue_share"] + inp["opex.sga_revenue_share"] + inp["opex.warranty_revenue_share"]


def local_cell_fixed_inr_per_kwh(vol: Volumes, cap: CapexSchedule) -> np.ndarray:
    """Fixed opex and book depreciation of the cell plants and recycling per good local cell [INR/kWh] (0 in a year
    without local cells): what a ``full`` cost-plus basis adds per local cell a segment takes."""
    cell_side = cap.cell_fixed_opex + cap.cell_book_depreciation
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(vol.local_cells_gwh > 0, cell_side / vol.local_cells_gwh / K, 0.0)


def margin_score(inp: Inputs, vol: Volumes, uc: UnitCosts, cap: CapexSchedule) -> dict[str, np.ndarray]:
    """What one kWh of local cell adds to EBITDA in segment s instead of an imported cell, plus the local cell's
    variable cost (common to every segment, so left out) [INR/kWh], ``(S, T)``:

    ``score_s = landed_s`` where the price does not follow own cost, and for ``cost_plus``
    ``score_s = landed_s + (1 - rho) x (1 + markup_s) x (basis_s - landed_s)`` with ``basis_s`` the local cell's
    variable cost (``variable`` basis) or that plus :func:`local_cell_fixed_inr_per_kwh` (``full``), ``rho`` from
    :func:`revenue_linked_cost_share`. Derivation: moving a kWh of local cell into s lowers its cost by
    ``landed_s - local`` and, under cost plus, its revenue by ``(1 + markup) x (landed_s - basis_s)``, of which
    ``rho`` would have gone to revenue-linked opex. The PLI incentive (which values local cells at the landed
    imported cell of their segment) is not in the score."""
    rho = revenue_linked_cost_share(inp)
    fixed = local_cell_fixed_inr_per_kwh(vol, cap)
    out: dict[str, np.ndarray] = {}
    for s in inp.structure.segments:
        landed = uc.imported_cell_by_segment[s]
        if inp.structure.price_rules[s] != "cost_plus":
            out[s] = landed
            continue
        basis = uc.local_cell + fixed if inp.structure.cost_bases[s] == "full" else uc.local_cell
        out[s] = landed + (1.0 - rho) * (1.0 + inp[f"demand.{s}.markup"]) * (basis - landed)
    return out


def allocate_local_cells(inp: Inputs, vol: Volumes, uc: UnitCosts, cap: CapexSchedule) -> Volumes:
    """``vol`` with the local and imported cells by segment under ``transition.local_cell_allocation`` (module
    docstring); the totals are unchanged."""
    rule = inp.structure.local_cell_allocation
    if rule == "pro_rata":
        return vol
    segs = inp.structure.segments
    need = {s: vol.pack_output_by_segment[s] / inp["pack.pack_yield"] for s in segs}
    if rule == "order":
        ahead = ahead_in_order(need, inp.structure.local_cell_priority)
    else:
        score = uc.imported_cell_by_segment if rule == "max_saving" else margin_score(inp, vol, uc, cap)
        ahead = {}
        for i, s in enumerate(segs):
            before = np.zeros((1, 1))
            for j, other in enumerate(segs):
                if j != i:
                    first = score[other] >= score[s] if j < i else score[other] > score[s]
                    before = before + need[other] * first
            ahead[s] = before
    local = fill_in_order(vol.local_cells_gwh, need, ahead)
    return replace(vol, local_cells_by_segment=local, imported_cells_by_segment={s: need[s] - local[s] for s in segs})

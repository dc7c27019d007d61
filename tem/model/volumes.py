"""Volumes [GWh/yr]: demand by segment, capacities, pack output, the local/imported cell split.

All arrays are ``(S, T)``; capacities come from the capex phases (by kind), ramped by each phase's
utilization ramp from its commissioning year. Demand above pack capacity is bought in as finished packs or
left unmet (``transition.overflow_policy``); segments are served pro rata to their demand, and the local cells
are shared pro rata to the packs made for each segment. Local cells: ``min(target share x cells required, good
capacity)``, good capacity summed over the cell plants, each with its own utilization and yield ramp; the
average yield is good / usable capacity (:func:`cell_plant_capacity`). By segment: ``made_s = demand_s x packs
made / demand``, ``local_s = made_s x local cells / packs made``, ``imported_s = made_s / pack yield - local_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import is_exact_zero
from tem.model.inputs import Inputs
from tem.units import units_kwh_to_gwh


def ramp_by_age(ramp: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Value of a ramp ``(S|1, L)`` at integer ``age`` ``(S, T)`` (years since start; the last value holds);
    0 where ``age < 0``."""
    n_l = ramp.shape[1]
    n_s = max(ramp.shape[0], age.shape[0])
    age = np.broadcast_to(age, (n_s, age.shape[1]))
    idx = np.clip(age, 0, n_l - 1).astype(np.intp)
    rows = np.arange(n_s)[:, None] if ramp.shape[0] > 1 else np.zeros((1, 1), dtype=np.intp)
    vals = ramp[rows, idx]
    return np.where(age >= 0, vals, 0.0)


def active_years(fy: np.ndarray, start_fy: np.ndarray) -> np.ndarray:
    """1.0 from ``start_fy`` on, else 0.0; shape broadcast of ``(1, T)`` and ``(S, 1)``."""
    return (fy >= start_fy).astype(float)


def phase_capacity(inp: Inputs, kind: str, fy: np.ndarray, ramped: bool = True) -> np.ndarray:
    """Sum over phases of ``kind`` of capacity_gwh x utilization ramp (or nameplate); ``(S, T)``."""
    total = np.zeros((1, fy.shape[1]))
    for ph in inp.structure.phases:
        if ph.kind != kind:
            continue
        p = f"capex.phases.{ph.name}."
        capacity = inp[p + "capacity_gwh"]
        if is_exact_zero(capacity):  # e.g. a plant the counterfactual drops
            continue
        age = fy - inp[p + "commissioning_fy"]
        factor = ramp_by_age(inp[p + "utilization_ramp"], age) if ramped else (age >= 0).astype(float)
        total = total + capacity * factor
    return total


def cell_plant_capacity(inp: Inputs, fy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(usable, good) cell capacity ``(S, T)`` [GWh/yr]: sums over cell plants of capacity x utilization ramp (cells
    started), and of that x the plant's own yield ramp (good cells). Each plant's yield ramp counts from its own
    commissioning, or, with ``yield_learning: continue``, from the first commissioning among it and the cell
    plants listed before it."""
    usable = good = np.zeros((1, fy.shape[1]))
    for ph in inp.structure.phases:
        if ph.kind != "cell_plant":
            continue
        p = f"capex.phases.{ph.name}."
        capacity = inp[p + "capacity_gwh"]
        if is_exact_zero(capacity):  # e.g. a plant the counterfactual drops
            continue
        comm = inp[p + "commissioning_fy"]
        started = capacity * ramp_by_age(inp[p + "utilization_ramp"], fy - comm)
        learn_start = comm
        for other in ph.yield_from:
            learn_start = np.minimum(learn_start, inp[f"capex.phases.{other}.commissioning_fy"])
        usable = usable + started
        good = good + started * ramp_by_age(inp[ph.yield_ramp], fy - learn_start)
    return usable, good


def ahead_in_order(amounts: dict[str, np.ndarray], order: tuple[str, ...]) -> dict[str, np.ndarray]:
    """For each segment, the sum of the amounts of the segments before it in ``order``."""
    out: dict[str, np.ndarray] = {}
    running = np.zeros((1, 1))
    for s in order:
        out[s] = running
        running = running + amounts[s]
    return out


def fill_in_order(total: np.ndarray, amounts: dict[str, np.ndarray], ahead: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``total`` shared out in order: each segment gets ``min(max(total - ahead_s, 0), amount_s)``."""
    return {s: np.minimum(np.maximum(total - ahead[s], 0.0), a) for s, a in amounts.items()}


@dataclass(frozen=True)
class Volumes:
    demand_gwh: dict[str, np.ndarray]
    demand_total_gwh: np.ndarray
    pack_capacity_gwh: np.ndarray
    pack_output_gwh: np.ndarray
    bought_in_packs_gwh: np.ndarray
    unmet_gwh: np.ndarray
    delivered_gwh: np.ndarray
    met_gwh: dict[str, np.ndarray]
    cells_required_gwh: np.ndarray
    cell_nameplate_gwh: np.ndarray
    cell_usable_started_gwh: np.ndarray
    local_target_share: np.ndarray
    cell_yield: np.ndarray
    local_cells_gwh: np.ndarray
    local_cells_started_gwh: np.ndarray
    imported_cells_gwh: np.ndarray
    cell_utilization: np.ndarray
    recycling_capacity_gwh: np.ndarray
    # by segment: packs made in India, bought in, and the good local and imported cells in the packs made
    pack_output_by_segment: dict[str, np.ndarray]
    bought_in_by_segment: dict[str, np.ndarray]
    local_cells_by_segment: dict[str, np.ndarray]
    imported_cells_by_segment: dict[str, np.ndarray]


def segment_demand(inp: Inputs, segment: str, fy: np.ndarray) -> np.ndarray:
    p = f"demand.{segment}."
    if inp.structure.segment_by_units[segment]:
        gwh = units_kwh_to_gwh(inp[p + "units"], inp[p + "kwh_per_unit"])
    else:
        gwh = inp[p + "volume_gwh"]
    return gwh * active_years(fy, inp[p + "start_fy"])


def compute_volumes(inp: Inputs) -> Volumes:
    fy = inp.fiscal_years[None, :].astype(float)
    demand = {s: segment_demand(inp, s, fy) for s in inp.structure.segments}
    total = sum(demand.values(), start=np.zeros((1, fy.shape[1])))
    pack_cap = phase_capacity(inp, "pack_line", fy)
    pack_out = np.minimum(total, pack_cap)
    excess = total - pack_out
    if inp.structure.overflow_policy == "import_packs":
        bought, unmet = excess, np.zeros(np.shape(excess))
    else:
        bought, unmet = np.zeros(np.shape(excess)), excess
    delivered = pack_out + bought
    if inp.structure.pack_allocation == "priority":  # served in the stated order when capacity binds
        made_by = fill_in_order(pack_out, demand, ahead_in_order(demand, inp.structure.pack_priority))
        keep = inp.structure.overflow_policy == "import_packs"
        bought_by = {s: (demand[s] - made_by[s]) if keep else np.zeros(np.shape(made_by[s])) for s in demand}
        met = {s: made_by[s] + bought_by[s] for s in demand}
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            served = np.where(total > 0, delivered / total, 0.0)
            made_share = np.where(total > 0, pack_out / total, 0.0)
            bought_share = np.where(total > 0, bought / total, 0.0)
        met = {s: d * served for s, d in demand.items()}
        made_by = {s: d * made_share for s, d in demand.items()}
        bought_by = {s: d * bought_share for s, d in demand.items()}

    cells_required = pack_out / inp["pack.pack_yield"]
    start = inp["transition.local_cells_start_fy"]
    age = fy - start
    ramp_years = inp["transition.ramp_years"]
    progress = np.clip((age + 1.0) / ramp_years, 0.0, 1.0)
    target = inp["transition.target_local_share"] * progress
    nameplate = phase_capacity(inp, "cell_plant", fy, ramped=False)
    usable, good = cell_plant_capacity(inp, fy)
    with np.errstate(divide="ignore", invalid="ignore"):  # no plant running: the first value of the default ramp
        cell_yield = np.where(usable > 0, good / usable, inp["cells.local.yield_ramp"][:, :1])
    local = np.minimum(target * cells_required, good)
    local = np.where(age >= 0, local, 0.0)
    started = local / cell_yield
    with np.errstate(divide="ignore", invalid="ignore"):
        utilization = np.where(nameplate > 0, started / nameplate, 0.0)
        local_share = np.where(pack_out > 0, local / pack_out, 0.0)
    local_by = {s: m * local_share for s, m in made_by.items()}
    imported_by = {s: made_by[s] / inp["pack.pack_yield"] - local_by[s] for s in made_by}
    return Volumes(
        demand_gwh=demand,
        demand_total_gwh=total,
        pack_capacity_gwh=np.broadcast_to(pack_cap, pack_out.shape),
        pack_output_gwh=pack_out,
        bought_in_packs_gwh=bought,
        unmet_gwh=unmet,
        delivered_gwh=delivered,
        met_gwh=met,
        cells_required_gwh=cells_required,
        cell_nameplate_gwh=nameplate,
        cell_usable_started_gwh=usable,
        local_target_share=target,
        cell_yield=cell_yield,
        local_cells_gwh=local,
        local_cells_started_gwh=started,
        imported_cells_gwh=cells_required - local,
        cell_utilization=utilization,
        recycling_capacity_gwh=phase_capacity(inp, "recycling", fy),
        pack_output_by_segment=made_by,
        bought_in_by_segment=bought_by,
        local_cells_by_segment=local_by,
        imported_cells_by_segment=imported_by,
    )

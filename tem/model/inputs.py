"""Assumptions -> arrays with a scenario axis first: the only input the engine reads.

Every numeric leaf of the assumption set becomes an array named by its dotted path:

* a scalar (rate, amount, fiscal year, flag) -> shape ``(S, 1)``, so it broadcasts over years;
* a yearly input -> ``(S, T)``, resolved on the horizon;
* a list (spend profile, ramps) -> ``(S, L)``.

A single assumption set has ``S = 1``. :func:`tem.model.batch_inputs.with_values` builds a batch: per-scenario
values for any paths; arrays not overridden stay at ``S = 1`` and broadcast, so a batch costs memory only for what varies.
Structure (segment forms, phase names and kinds, material groups, policies) is fixed for a batch.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tem.assumptions.schema import Assumptions
from tem.assumptions.walk import iter_leaves
from tem.assumptions.yearly import resolve_yearly

NEVER_FY = 1.0e6  # a fiscal year that never comes (local cells never start)
FIXED_IN_A_BATCH = {
    "timeline.first_fy": "the first fiscal year is fixed for a batch",
    "timeline.horizon_years": "the horizon is fixed for a batch",
}


@dataclass(frozen=True)
class Phase:
    name: str
    kind: str
    yield_ramp: str = "cells.local.yield_ramp"  # cell plants: path of the yield ramp
    yield_from: tuple[str, ...] = ()  # cell plants: learning counts from the first commissioning of these (own if empty)


@dataclass(frozen=True)
class Product:
    """Input paths of a segment's product (each the segment's own input or the reference it defaults to)."""

    cell_fob: str | None  # the segment's own cell FOB path; None: the reference FOB x cell_fob_factor
    cell_fob_factor: str | None  # path of the factor on the reference FOB; None: 1
    cell_bcd: str
    pack_bcd: str
    bom: str
    pack_fob: str | None  # explicit imported-pack FOB path; None when linked
    pack_premium: str | None  # linked: imported-pack FOB = cell FOB + this premium


@dataclass(frozen=True)
class ConditionSpec:
    """One condition of a gate: ``source`` "line" (a yearly line of the run) or "input" (a dotted path), read
    in ``fy``, compared by ``op`` with the threshold input at ``threshold_path`` (batches may vary it)."""

    source: str
    name: str
    fy: int
    op: str
    threshold_path: str


@dataclass(frozen=True)
class GateSpec:
    phase: str
    decide_fy: int
    combine: str  # "all" | "any"
    conditions: tuple[ConditionSpec, ...]


@dataclass(frozen=True)
class Structure:
    """What a batch cannot vary: forms, names and policies."""

    first_fy: int
    n_years: int
    segments: tuple[str, ...]
    segment_by_units: Mapping[str, bool]
    segment_price_in_usd: Mapping[str, bool]
    products: Mapping[str, Product]
    price_rules: Mapping[str, str]  # segment -> path | import_parity | cost_plus
    cost_bases: Mapping[str, str]  # segment -> variable | full (cost_plus)
    fob_by_learning_curve: bool
    materials: tuple[str, ...]
    phases: tuple[Phase, ...]
    overflow_policy: str
    mirr_finance_set: bool
    mirr_reinvestment_set: bool
    counterfactual_drop_kinds: tuple[str, ...]
    dva_fys: tuple[int, ...]
    pack_allocation: str = "pro_rata"  # priority | pro_rata
    pack_priority: tuple[str, ...] = ()
    local_cell_allocation: str = "pro_rata"  # max_margin | max_saving | order | pro_rata
    local_cell_priority: tuple[str, ...] = ()
    debt_structure: str = "by_phase"  # funding.term_debt.structure
    repayment: str = "equal_principal"  # funding.term_debt.repayment
    gates: tuple[GateSpec, ...] = ()  # in phase order
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # phase -> phases it needs


@dataclass(frozen=True)
class Inputs:
    """Arrays by dotted path, plus the fixed structure and the bounds used to check batch values."""

    structure: Structure
    arrays: Mapping[str, np.ndarray]
    kinds: Mapping[str, str]  # path -> "scalar" | "yearly" | "list"
    bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    n_scenarios: int = 1

    def __getitem__(self, path: str) -> np.ndarray:
        try:
            return self.arrays[path]
        except KeyError:
            raise KeyError(unknown_path(path, self.arrays)) from None

    def get(self, path: str, default: float) -> np.ndarray:
        arr = self.arrays.get(path)
        return np.array([[default]]) if arr is None else arr

    @property
    def fiscal_years(self) -> np.ndarray:
        return self.structure.first_fy + np.arange(self.structure.n_years)


def unknown_path(path: str, known: Mapping[str, Any]) -> str:
    hint = difflib.get_close_matches(path, list(known), n=1, cutoff=0.6)
    return f"unknown input path {path!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")


def _bounds(leaf_field: Any, yearly_bound: str | None) -> tuple[float | None, float | None]:
    if yearly_bound == "share":
        return (0.0, 1.0)
    if yearly_bound == "rate":
        return (-1.0, 1.0)
    if yearly_bound in ("nonneg", "positive"):
        return (0.0, None)
    lo = hi = None
    for meta in getattr(leaf_field, "metadata", []):
        lo = getattr(meta, "ge", lo) if getattr(meta, "ge", None) is not None else lo
        lo = getattr(meta, "gt", lo) if getattr(meta, "gt", None) is not None else lo
        hi = getattr(meta, "le", hi) if getattr(meta, "le", None) is not None else hi
        hi = getattr(meta, "lt", hi) if getattr(meta, "lt", None) is not None else hi
    return (lo, hi)


def build_inputs(a: Assumptions) -> Inputs:
    """Flatten a validated assumption set into ``(1, ...)`` arrays (no copy of the model is kept)."""
    first, n = a.timeline.first_fy, a.timeline.horizon_years
    arrays: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for leaf in iter_leaves(a):
        if leaf.path == "counterfactual.import_only":  # applied below to the whole set, not an array of its own
            continue
        v = leaf.value
        if ".gate." in leaf.path and not leaf.path.endswith(".threshold"):
            continue  # a gate's years and operators are structure; only its thresholds may vary in a batch
        if leaf.yearly_bound is not None:
            if v is None:
                continue
            arrays[leaf.path] = resolve_yearly(v, first, n)[None, :]
            kinds[leaf.path] = "yearly"
        elif isinstance(v, bool):
            arrays[leaf.path] = np.array([[1.0 if v else 0.0]])
            kinds[leaf.path] = "scalar"
        elif isinstance(v, (int, float)):
            arrays[leaf.path] = np.array([[float(v)]])
            kinds[leaf.path] = "scalar"
        elif isinstance(v, list) and v and all(isinstance(x, (int, float)) for x in v) and leaf.path != "reporting.dva_fys":
            arrays[leaf.path] = np.asarray(v, dtype=float)[None, :]
            kinds[leaf.path] = "list"
        else:
            continue
        # every numeric list of the schema (ramps, spend profiles) holds shares: each element in [0, 1]
        bounds[leaf.path] = (0.0, 1.0) if kinds[leaf.path] == "list" else _bounds(leaf.field, leaf.yearly_bound)
    if a.transition.local_cells_start_fy is None:
        arrays["transition.local_cells_start_fy"] = np.array([[NEVER_FY]])
        kinds["transition.local_cells_start_fy"] = "scalar"
        bounds["transition.local_cells_start_fy"] = (2000.0, None)
    # policies the engine reads as numbers, so that a batch or a bridge can switch them (not assumption paths)
    sub = a.incentives.state_capital_subsidy
    derived = {
        "tax.within_parent": a.tax.structure == "within_parent",
        "incentives.state_capital_subsidy.reduces_block": sub.tax_treatment == "reduces_block",
    }
    for ph in a.capex.phases:  # unset eligibility: 1 for the eligible kinds, 0 for the others
        if ph.subsidy_eligible_share is None:
            derived[f"capex.phases.{ph.name}.subsidy_eligible_share"] = ph.kind in sub.eligible_phase_kinds
    derived["capex.replace_at_end_of_life"] = a.capex.replacement == "replace_at_end_of_life"
    v = a.valuation
    derived["valuation.terminal_value_is_perpetuity"] = v.terminal_value_method == "perpetuity"
    derived["valuation.terminal_value_is_multiple"] = v.terminal_value_method == "ebitda_multiple"
    derived["valuation.terminal_value_floor_zero"] = v.terminal_value_floor == "zero"
    derived["valuation.terminal_value_floor_salvage"] = v.terminal_value_floor == "salvage"
    for path, flag in derived.items():
        arrays[path] = np.array([[1.0 if flag else 0.0]])
        kinds[path] = "scalar"
        bounds[path] = (0.0, 1.0)
    if a.capex.price_base_fy is None:  # capex in prices of the first FY
        arrays["capex.price_base_fy"] = np.array([[float(first)]])
        kinds["capex.price_base_fy"] = "scalar"
        bounds["capex.price_base_fy"] = (float(first), float(first + n - 1))
    for ph in a.capex.phases:  # a gate is on (1) in every scenario of a set; a bridge switches it off (0)
        if ph.gate is not None:
            path = f"capex.phases.{ph.name}.gate.enabled"
            arrays[path], kinds[path], bounds[path] = np.array([[1.0]]), "scalar", (0.0, 1.0)
    seg_names = ("captive", "external_oem", "ess")
    structure = Structure(
        first_fy=first,
        n_years=n,
        segments=seg_names,
        segment_by_units={s: getattr(a.demand, s).volume_gwh is None for s in seg_names},
        segment_price_in_usd={s: getattr(a.demand, s).price_usd_per_kwh is not None for s in seg_names},
        products={s: _product(a, s) for s in seg_names},
        price_rules={s: getattr(a.demand, s).price_rule for s in seg_names},
        cost_bases={s: getattr(a.demand, s).cost_basis for s in seg_names},
        pack_allocation=a.transition.pack_allocation,
        pack_priority=tuple(a.transition.pack_priority),
        local_cell_allocation=a.transition.local_cell_allocation,
        local_cell_priority=tuple(a.transition.local_cell_priority),
        fob_by_learning_curve=a.cells.imported.fob_learning_curve is not None,
        materials=tuple(a.cells.local.materials),
        phases=_phases(a),
        overflow_policy=a.transition.overflow_policy,
        mirr_finance_set=a.valuation.mirr_finance_rate is not None,
        mirr_reinvestment_set=a.valuation.mirr_reinvestment_rate is not None,
        counterfactual_drop_kinds=tuple(a.counterfactual.drop_phase_kinds),
        dva_fys=tuple(a.reporting.dva_fys),
        debt_structure=a.funding.term_debt.structure,
        repayment=a.funding.term_debt.repayment,
        gates=tuple(_gate_spec(p.name, p.gate) for p in a.capex.phases if p.gate is not None),
        requires={p.name: tuple(p.require) for p in a.capex.phases if p.require},
    )
    inputs = Inputs(structure, arrays, kinds, bounds, 1)
    return import_only_inputs(inputs) if a.counterfactual.import_only else inputs


def import_only_inputs(inp: Inputs) -> Inputs:
    """The import-only counterfactual, the one definition used by the KPIs and by an assumption set with
    ``counterfactual.import_only: true``: the same demand, prices and pack lines; local cells never start; the
    phases of ``counterfactual.drop_phase_kinds`` (cell plants, recycling, the module line) are not built (zero
    capex, capacity, fixed opex and maintenance); no technology fee."""
    arrays = dict(inp.arrays)
    arrays["transition.local_cells_start_fy"] = np.array([[NEVER_FY]])
    arrays["cells.local.technology_fee_usd_m"] = np.zeros((1, inp.structure.n_years))
    for ph in inp.structure.phases:
        if ph.kind in inp.structure.counterfactual_drop_kinds:
            for name in ("capex_inr_cr", "capacity_gwh", "fixed_opex_inr_cr", "maintenance_capex_rate"):
                arrays[f"capex.phases.{ph.name}.{name}"] = np.zeros((1, 1))
    return replace(inp, arrays=arrays)


def _phases(a: Assumptions) -> tuple[Phase, ...]:
    out: list[Phase] = []
    cell_plants: list[str] = []
    for p in a.capex.phases:
        if p.kind != "cell_plant":
            out.append(Phase(p.name, p.kind))
            continue
        cell_plants.append(p.name)
        ramp = f"capex.phases.{p.name}.yield_ramp" if p.yield_ramp is not None else "cells.local.yield_ramp"
        learn_from = tuple(cell_plants) if p.yield_learning == "continue" else ()
        out.append(Phase(p.name, p.kind, ramp, learn_from))
    return tuple(out)


def _product(a: Assumptions, segment: str) -> Product:
    pr = getattr(a.demand, segment).product
    own = f"demand.{segment}.product."

    def pick(name: str, reference: str) -> str:
        return own + name if getattr(pr, name) is not None else reference

    cell_duty = "cells.imported.bcd_rate_ess" if segment == "ess" else "cells.imported.bcd_rate_vehicle"
    linked = pr.pack_premium_usd_per_kwh is not None
    return Product(
        cell_fob=own + "cell_fob_usd_per_kwh" if pr.cell_fob_usd_per_kwh is not None else None,
        cell_fob_factor=own + "cell_fob_factor" if pr.cell_fob_factor is not None else None,
        cell_bcd=pick("cell_bcd_rate", cell_duty),
        pack_bcd=pick("pack_bcd_rate", "transition.bought_in_pack_bcd_rate"),
        bom=pick("non_cell_bom_usd_per_kwh", "pack.non_cell_bom_usd_per_kwh"),
        pack_fob=None if linked else pick("pack_fob_usd_per_kwh", "transition.bought_in_pack_fob_usd_per_kwh"),
        pack_premium=own + "pack_premium_usd_per_kwh" if linked else None,
    )


def _gate_spec(phase: str, gate: Any) -> GateSpec:
    conditions = tuple(
        ConditionSpec(
            "line" if c.line is not None else "input",
            c.line if c.line is not None else c.input,
            gate.decide_fy if c.fy is None else c.fy,
            c.op,
            f"capex.phases.{phase}.gate.when.{i}.threshold",
        )
        for i, c in enumerate(gate.when)
    )
    return GateSpec(phase, gate.decide_fy, gate.combine, conditions)

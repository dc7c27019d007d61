"""Inputs for a bridge: two assumption sets aligned to one structure, and batches built from per-scenario arrays.

:func:`align_inputs` puts scenario A's and B's input arrays on one structure and one set of paths, each path of
the same shape in both, so that any mix of the two (A's arrays for some paths, B's for the others) is a valid
scenario. The structure (horizon, segment forms, imported-price form, material groups, policies) must match;
otherwise :class:`StructureMismatchError` names each difference. Three differences are bridged by an exact
equivalence instead (each is tested to give the same KPIs as the file itself):

* a capex phase present in one scenario only is represented in the other as that phase with zero capex,
  capacity, fixed opex and maintenance (its other fields copied), which adds nothing to any line: the same
  representation the engine uses for the import-only counterfactual;
* a spend profile of a different length is padded at the front with zero shares (the last share stays in the
  commissioning year), a utilization or yield ramp at the end with its last value (which holds anyway);
* an absent optional input takes its neutral value (no PLI cap = an infinite cap); ``reporting.dva_fys`` is
  the union of both lists.

The allocation policies (``transition.pack_allocation``, ``pack_priority``, ``local_cell_allocation``,
``local_cell_priority``) are structure, but a bridge can switch them like inputs: a policy that differs is listed
in :attr:`AlignedInputs.policies` and changed paths under its own path, and each combination is run on a
structure with A's or B's policy (:func:`with_policies`).

:func:`stack_inputs` builds a batch of S scenarios from per-scenario dicts of path -> array, and
:func:`evaluate_kpis` runs it through the engine in chunks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tem.assumptions.schema import Assumptions
from tem.errors import TemError
from tem.model.batch_inputs import take_scenarios
from tem.model.engine import run_inputs
from tem.model.inputs import Inputs, build_inputs

POLICY_FIELDS = ("pack_allocation", "pack_priority", "local_cell_allocation", "local_cell_priority")  # in transition
PHASE_SIZE_FIELDS = ("capex_inr_cr", "capacity_gwh", "fixed_opex_inr_cr", "maintenance_capex_rate")
NEUTRAL_VALUES = {"cells.local.pli.total_cap_inr_cr": math.inf}  # absent = no cap
CHUNK_SIZE = 5_000


class StructureMismatchError(TemError):
    """Two assumption sets differ in structure (horizon, forms, policies) that no group switch can bridge."""

    def __init__(self, a_name: str, b_name: str, problems: list[str]):
        self.problems = list(problems)
        lines = [f"cannot bridge {a_name!r} and {b_name!r}: their structure differs", *(f"  - {p}" for p in problems)]
        lines.append("  (a bridge switches input values; make these the same in both files, or compare without a bridge)")
        super().__init__("\n".join(lines))


class MixError(TemError):
    """A mix of two scenarios' inputs is not a valid scenario (e.g. capex spent before the first FY)."""


# --- batches from per-scenario arrays ---------------------------------------------------------------------------


def stack_inputs(template: Inputs, scenarios: Sequence[Mapping[str, np.ndarray]], full_rows: Sequence[str] = ()) -> Inputs:
    """A batch of ``len(scenarios)`` scenarios: scenario ``s`` uses ``scenarios[s][path]`` where given, else
    the template's array.

    Each array is one scenario's (leading axis 1; a scalar ``(1, 1)``, a yearly input ``(1, T)``, a list
    ``(1, L)``). A path whose arrays are the same objects in every scenario keeps its one-row array (it
    broadcasts); any other path becomes ``(S, width)``, each array broadcast to the widest one (a list must
    have one length in every scenario: see :func:`align_inputs`). The structure is the template's. Paths in
    ``full_rows`` get one row per scenario even when common to all.
    """
    n_s = len(scenarios)
    if n_s == 0:
        raise ValueError("stack_inputs needs at least one scenario")
    arrays = dict(template.arrays)
    given: list[str] = []
    for d in scenarios:
        for path in d:
            if path not in arrays:
                raise KeyError(f"unknown input path {path!r}")
            given.append(path)
    for path in dict.fromkeys([*given, *full_rows]):
        base = template.arrays[path]
        index = np.empty(n_s, dtype=np.intp)
        unique: list[np.ndarray] = []
        position: dict[int, int] = {}
        for s, d in enumerate(scenarios):
            arr = d.get(path, base)
            j = position.get(id(arr))
            if j is None:
                if arr.ndim != 2 or arr.shape[0] != 1:
                    raise ValueError(f"{path}: scenario {s} gives shape {arr.shape}; one scenario's array is (1, n)")
                j = position[id(arr)] = len(unique)
                unique.append(arr)
            index[s] = j
        if len(unique) == 1 and path not in full_rows:
            arrays[path] = unique[0]
            continue
        width = max(u.shape[1] for u in unique)
        try:
            rows = np.concatenate([np.broadcast_to(u, (1, width)) for u in unique], axis=0)
        except ValueError:
            shapes = sorted({u.shape for u in unique})
            raise ValueError(f"{path}: arrays of shapes {shapes} cannot be stacked; align list lengths first") from None
        arrays[path] = rows[index]
    return replace(template, arrays=arrays, n_scenarios=n_s)


def evaluate_kpis(batch: Inputs, chunk_size: int = CHUNK_SIZE) -> dict[str, np.ndarray]:
    """KPIs ``(S,)`` of every scenario of a batch (with the import-only increments), in chunks."""
    n_s = batch.n_scenarios
    parts = []
    for start in range(0, n_s, chunk_size):
        main, _ = run_inputs(take_scenarios(batch, start, min(n_s, start + chunk_size)), full_counterfactual=False)
        parts.append(
            {k: np.broadcast_to(np.asarray(v, dtype=float), (main.inputs.n_scenarios,)) for k, v in main.kpis.items()}
        )
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# --- alignment --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlignedInputs:
    """A's and B's inputs on one structure and one set of paths (each path the same shape in both)."""

    a: Inputs
    b: Inputs
    notes: tuple[str, ...]  # the equivalences used (phases represented at zero size, padded lists)
    policies: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # path -> (A's, B's) where they differ

    def changed_paths(self) -> list[str]:
        arrays = [p for p in self.a.arrays if not np.array_equal(self.a.arrays[p], self.b.arrays[p])]
        return arrays + list(self.policies)


def with_policies(inputs: Inputs, policies: Mapping[str, Any]) -> Inputs:
    """``inputs`` on a structure with the given allocation policies (path ``transition.<field>`` -> value)."""
    if not policies:
        return inputs
    changes = {path.rpartition(".")[2]: value for path, value in policies.items()}
    return replace(inputs, structure=replace(inputs.structure, **changes))


def _structure_problems(a: Inputs, b: Inputs) -> list[str]:
    sa, sb = a.structure, b.structure
    out = []
    if (sa.first_fy, sa.n_years) != (sb.first_fy, sb.n_years):
        out.append(
            f"timeline: FY{sa.first_fy % 100:02d} + {sa.n_years} years vs FY{sb.first_fy % 100:02d} + {sb.n_years} years"
        )
    for s in sa.segments:
        if sa.segment_by_units[s] != sb.segment_by_units[s]:
            forms = ["units x kwh_per_unit" if x else "volume_gwh" for x in (sa.segment_by_units[s], sb.segment_by_units[s])]
            out.append(f"demand.{s}: demand given as {forms[0]} vs {forms[1]}")
        if sa.segment_price_in_usd[s] != sb.segment_price_in_usd[s]:
            forms = [
                "price_usd_per_kwh" if x else "price_inr_per_kwh"
                for x in (sa.segment_price_in_usd[s], sb.segment_price_in_usd[s])
            ]
            out.append(f"demand.{s}: price given as {forms[0]} vs {forms[1]}")
        if sa.price_rules[s] != sb.price_rules[s]:
            out.append(f"demand.{s}.price_rule: {sa.price_rules[s]!r} vs {sb.price_rules[s]!r}")
        if sa.cost_bases[s] != sb.cost_bases[s]:
            out.append(f"demand.{s}.cost_basis: {sa.cost_bases[s]!r} vs {sb.cost_bases[s]!r}")
        if sa.products[s] != sb.products[s]:
            out.append(f"demand.{s}.product: inputs given in different forms ({sa.products[s]} vs {sb.products[s]})")
    if sa.fob_by_learning_curve != sb.fob_by_learning_curve:
        forms = [
            "fob_learning_curve" if x else "fob_price_usd_per_kwh"
            for x in (sa.fob_by_learning_curve, sb.fob_by_learning_curve)
        ]
        out.append(f"cells.imported: imported cell price given as {forms[0]} vs {forms[1]}")
    if set(sa.materials) != set(sb.materials):
        out.append(f"cells.local.materials: material groups {sorted(sa.materials)} vs {sorted(sb.materials)}")
    for label, x, y in (
        ("transition.overflow_policy", sa.overflow_policy, sb.overflow_policy),
        ("funding.term_debt.structure", sa.debt_structure, sb.debt_structure),
        ("funding.term_debt.repayment", sa.repayment, sb.repayment),
    ):
        if x != y:
            out.append(f"{label}: {x!r} vs {y!r}")
    for label, set_a, set_b in (
        ("valuation.mirr_finance_rate", sa.mirr_finance_set, sb.mirr_finance_set),
        ("valuation.mirr_reinvestment_rate", sa.mirr_reinvestment_set, sb.mirr_reinvestment_set),
    ):
        if set_a != set_b:
            out.append(
                f"{label}: {'set' if set_a else 'null (the discount rate)'} vs "
                f"{'set' if set_b else 'null (the discount rate)'}"
            )
    if set(sa.counterfactual_drop_kinds) != set(sb.counterfactual_drop_kinds):
        out.append(
            f"counterfactual.drop_phase_kinds: {list(sa.counterfactual_drop_kinds)} vs {list(sb.counterfactual_drop_kinds)}"
        )
    phases_b = {ph.name: ph for ph in sb.phases}
    for ph in sa.phases:
        other = phases_b.get(ph.name)
        if other is not None and other.kind != ph.kind:
            out.append(f"capex.phases.{ph.name}.kind: {ph.kind!r} vs {other.kind!r}")
        elif other is not None and other != ph:
            out.append(f"capex.phases.{ph.name}: yield ramp given in different forms ({ph} vs {other})")
    # gates are structure (decision years, what they read, how they combine; thresholds are inputs) on the phases
    # both have; a phase absent on one side is bridged at zero size, whatever its gate says
    # (a gate on one side only is bridged as a gate switched off on the other: see align_inputs)
    gates_a, gates_b = {g.phase: g for g in sa.gates}, {g.phase: g for g in sb.gates}
    for name in phases_b.keys() & {ph.name for ph in sa.phases}:
        both = name in gates_a and name in gates_b
        req_a, req_b = set(sa.requires.get(name, ())), set(sb.requires.get(name, ()))
        # a require on one side only is harmless where the other side has no gate that could remove what it needs
        # (the union of requires is used)
        needs_gate = any(r in gates_b for r in req_a - req_b) or any(r in gates_a for r in req_b - req_a)
        if (both and gates_a[name] != gates_b[name]) or needs_gate:
            out.append(f"capex.phases.{name}: its gate (decision year, conditions) or require differs")
    return out


def _gate_on_one_side(src: Inputs, other: dict[str, np.ndarray], phase: str) -> None:
    """Give ``other`` the gate arrays of ``src``'s gate on ``phase``, switched off (it always passes there)."""
    prefix = f"capex.phases.{phase}.gate."
    for path, arr in src.arrays.items():
        if path.startswith(prefix):
            other[path] = arr
    other[prefix + "enabled"] = np.zeros((1, 1))


def _zero_size_phase(src: Inputs, name: str) -> dict[str, np.ndarray]:
    """The arrays of phase ``name`` of ``src``, with zero capex, capacity, fixed opex and maintenance."""
    prefix = f"capex.phases.{name}."
    out = {p: arr for p, arr in src.arrays.items() if p.startswith(prefix)}
    for f in PHASE_SIZE_FIELDS:
        out[prefix + f] = np.zeros((1, 1))
    return out


def _pad(path: str, arr: np.ndarray, width: int) -> np.ndarray:
    extra = width - arr.shape[1]
    if extra <= 0:
        return arr
    if path.endswith(".spend_profile"):  # zero shares before the first: the last share stays at commissioning
        return np.concatenate([np.zeros((1, extra)), arr], axis=1)
    return np.concatenate([arr, np.repeat(arr[:, -1:], extra, axis=1)], axis=1)  # a ramp's last value holds


def align_inputs(a: Assumptions, b: Assumptions) -> AlignedInputs:
    """A's and B's inputs on one structure (see the module docstring for the equivalences used).

    Raises :class:`StructureMismatchError` listing every structural difference that cannot be bridged.
    """
    ia, ib = build_inputs(a), build_inputs(b)
    problems = _structure_problems(ia, ib)
    if problems:
        raise StructureMismatchError(a.name, b.name, problems)
    arrays_a, arrays_b = dict(ia.arrays), dict(ib.arrays)
    kinds, bounds = {**ib.kinds, **ia.kinds}, {**ib.bounds, **ia.bounds}
    notes: list[str] = []
    names_a = [ph.name for ph in ia.structure.phases]
    names_b = [ph.name for ph in ib.structure.phases]
    phases = list(ia.structure.phases) + [ph for ph in ib.structure.phases if ph.name not in names_a]
    for ph in phases:
        if ph.name not in names_b:
            arrays_b.update(_zero_size_phase(ia, ph.name))
            notes.append(f"phase {ph.name} is absent in {b.name!r}: represented there with zero capex, capacity and opex")
        elif ph.name not in names_a:
            arrays_a.update(_zero_size_phase(ib, ph.name))
            notes.append(f"phase {ph.name} is absent in {a.name!r}: represented there with zero capex, capacity and opex")
    gated_a, gated_b = {g.phase for g in ia.structure.gates}, {g.phase for g in ib.structure.gates}
    for name in set(names_a) & set(names_b):
        if name in gated_a and name not in gated_b:
            _gate_on_one_side(ia, arrays_b, name)
            notes.append(f"phase {name} has a gate in {a.name!r} only: in {b.name!r} it is switched off (always passes)")
        elif name in gated_b and name not in gated_a:
            _gate_on_one_side(ib, arrays_a, name)
            notes.append(f"phase {name} has a gate in {b.name!r} only: in {a.name!r} it is switched off (always passes)")
    missing = []
    for path in sorted(set(arrays_a) ^ set(arrays_b)):
        side, other = (arrays_b, arrays_a) if path in arrays_a else (arrays_a, arrays_b)
        if path in NEUTRAL_VALUES:
            side[path] = np.full(np.shape(other[path]), NEUTRAL_VALUES[path], dtype=float)
            notes.append(f"{path} is absent in one scenario: its neutral value {NEUTRAL_VALUES[path]} used")
        else:
            missing.append(f"{path}: set in {(a if path in arrays_a else b).name!r} only")
    if missing:
        raise StructureMismatchError(a.name, b.name, missing)
    for path, kind in kinds.items():
        if kind == "list" and arrays_a[path].shape != arrays_b[path].shape:
            width = max(arrays_a[path].shape[1], arrays_b[path].shape[1])
            arrays_a[path], arrays_b[path] = _pad(path, arrays_a[path], width), _pad(path, arrays_b[path], width)
            notes.append(f"{path}: lists of different lengths, padded to {width} (same numbers)")
    structure = replace(
        ia.structure,
        phases=tuple(phases),
        gates=ia.structure.gates + tuple(g for g in ib.structure.gates if g.phase not in gated_a),
        requires={
            name: tuple(dict.fromkeys([*ia.structure.requires.get(name, ()), *ib.structure.requires.get(name, ())]))
            for name in {*ia.structure.requires, *ib.structure.requires}
        },
        dva_fys=tuple(sorted(set(ia.structure.dva_fys) | set(ib.structure.dva_fys))),
    )
    policies = {
        f"transition.{name}": (getattr(ia.structure, name), getattr(ib.structure, name))
        for name in POLICY_FIELDS
        if getattr(ia.structure, name) != getattr(ib.structure, name)
    }
    make = lambda arrays: Inputs(structure, arrays, kinds, bounds, 1)  # noqa: E731
    b_inputs = with_policies(make(arrays_b), {p: v[1] for p, v in policies.items()})
    return AlignedInputs(make(arrays_a), b_inputs, tuple(notes), policies)


def check_spend_timing(batch: Inputs, a_name: str, b_name: str) -> None:
    """Refuse a mix that lays a positive spend share before the first FY (which the engine would drop): A's
    commissioning year with B's longer spend profile, when custom groups separate the two."""
    first = batch.structure.first_fy
    for ph in batch.structure.phases:
        p = f"capex.phases.{ph.name}."
        profile, comm = batch[p + "spend_profile"], batch[p + "commissioning_fy"]
        n_l = profile.shape[1]
        years = comm - n_l + 1 + np.arange(n_l)[None, :]
        if np.any((profile > 0) & (years < first)):
            raise MixError(
                f"combining {a_name!r} and {b_name!r} by group spends capex of phase {ph.name} before "
                f"FY{first % 100:02d}: put its commissioning_fy and spend_profile in the same group"
            )

"""Bridge: attribute the change of a KPI between two assumption sets to each changed group of assumptions.

The work happens on the flat input arrays (``tem.model.inputs``): scenario A's and B's inputs are first *aligned*
to one structure (:func:`align_inputs`), every changed input path is put in a group (by default the top-level
block of the path, :data:`DEFAULT_GROUPS`), and for a subset of groups the model runs on A's arrays with B's
arrays substituted for the paths of those groups. Every subset a method needs is evaluated in one vectorized
batch (:func:`stack_inputs`, then the engine).

Methods (both sum to ``KPI(B) - KPI(A)`` up to floating rounding, by construction):

* ``sequential``: switch the groups from A to B one after the other in a stated order (default: the order of
  :data:`DEFAULT_GROUPS`); each group's contribution is the KPI after switching it minus the KPI before. The
  result depends on the order whenever groups interact: a group switched first is valued at A's other inputs,
  a group switched last at B's.
* ``shapley``: each group's average marginal contribution over all orders (the Shapley value), so no order is
  favoured: ``phi_i = sum over subsets S without i of |S|! (k - |S| - 1)! / k! x (v(S + i) - v(S))``. Exact
  over all ``2**k`` subsets for ``k <= exact_max_groups`` (10); above that, the average over ``n_permutations``
  random orders (seeded), each of which telescopes to ``KPI(B) - KPI(A)``, with a standard error per group
  (standard deviation of its marginal contributions / sqrt(number of orders)).

The structures of A and B must match, up to phases present in one only and lists of different lengths, which
are bridged by exact equivalences (:mod:`tem.analysis.scenarios.bridge_inputs`); otherwise
:class:`~tem.analysis.scenarios.bridge_inputs.StructureMismatchError` names each difference.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tem.analysis.scenarios.bridge_inputs import (
    AlignedInputs,
    MixError,
    StructureMismatchError,
    align_inputs,
    check_spend_timing,
    evaluate_kpis,
    stack_inputs,
    with_policies,
)
from tem.analysis.scenarios.shapley import permutation_masks, shapley_exact, shapley_from_orders
from tem.assumptions.loader import load as load_file
from tem.assumptions.schema import Assumptions
from tem.errors import TemError
from tem.model.inputs import Inputs

DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "timeline": ("timeline",),
    "demand": ("demand",),
    "cells.imported": ("cells.imported",),
    "cells.local": ("cells.local",),
    "pack": ("pack",),
    "transition": ("transition",),
    "capex": ("capex",),
    "opex": ("opex",),
    "working_capital": ("working_capital",),
    "tax": ("tax",),
    "valuation": ("valuation",),
    "recycling": ("recycling",),
    "incentives": ("incentives",),
    "funding": ("funding",),
}
OTHER_GROUP = "other"
DEMAND_ROWS = ("demand.captive.start_fy",)
EXACT_MAX_GROUPS = 10
Method = Literal["sequential", "shapley"]


class BridgeError(TemError):
    """A bridge cannot be computed as asked (unknown KPI or group, KPI undefined for some combination...)."""


# --- groups -----------------------------------------------------------------------------------------------------


def _matches(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def group_of(path: str, groups: Mapping[str, Sequence[str]] = DEFAULT_GROUPS) -> str | None:
    """The group whose longest prefix matches ``path`` (None when none does)."""
    best, best_len = None, -1
    for name, prefixes in groups.items():
        for prefix in prefixes:
            if _matches(path, prefix) and len(prefix) > best_len:
                best, best_len = name, len(prefix)
    return best


def default_group(path: str) -> str:
    """The default bridge group of an assumption path (its top-level block; ``cells.imported``/``cells.local``)."""
    return group_of(path) or path.split(".", 1)[0]


def _check_groups(groups: Mapping[str, Sequence[str]], known_paths: Sequence[str]) -> None:
    problems = []
    owner: dict[str, str] = {}
    for name, prefixes in groups.items():
        if name == OTHER_GROUP:
            problems.append(f"group name {OTHER_GROUP!r} is reserved for changed paths no group names")
        if isinstance(prefixes, str) or not prefixes:
            problems.append(f"group {name!r}: give a non-empty list of path prefixes")
            continue
        for prefix in prefixes:
            if prefix in owner:
                problems.append(f"prefix {prefix!r} is in groups {owner[prefix]!r} and {name!r}")
            owner[prefix] = name
            if not any(_matches(p, prefix) for p in known_paths):
                roots = sorted({".".join(p.split(".")[:k]) for p in known_paths for k in (1, 2, 3)} | set(known_paths))
                hint = difflib.get_close_matches(prefix, roots, n=1, cutoff=0.6)
                problems.append(
                    f"group {name!r}: prefix {prefix!r} matches no input path"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                )
    if problems:
        raise BridgeError("bad bridge groups:\n" + "\n".join(f"  - {p}" for p in problems))


def assign_groups(paths: Sequence[str], groups: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Changed paths by group (longest prefix wins), in the groups' order; unmatched paths go to ``other``.
    Groups without a changed path are left out."""
    by_group: dict[str, list[str]] = {name: [] for name in [*groups, OTHER_GROUP]}
    for p in paths:
        by_group[group_of(p, groups) or OTHER_GROUP].append(p)
    return {name: tuple(ps) for name, ps in by_group.items() if ps}


# --- the bridge -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bridge:
    """KPI(A) -> KPI(B) in steps, one per changed group of assumptions; ``contributions`` sum to the difference."""

    a_name: str
    b_name: str
    kpi: str
    method: str
    kpi_a: float
    kpi_b: float
    groups: tuple[str, ...]  # changed groups, in the order shown (sequential: the order they were switched)
    contributions: tuple[float, ...]
    paths: Mapping[str, tuple[str, ...]]  # changed input paths by group
    exact: bool = True
    standard_errors: tuple[float, ...] | None = None  # sampled Shapley only
    n_permutations: int | None = None
    seed: int | None = None
    n_evaluations: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def difference(self) -> float:
        return self.kpi_b - self.kpi_a

    def to_frame(self) -> pd.DataFrame:
        """One row per group: contribution, share of the difference, running KPI, (standard error), paths."""
        contrib = np.array(self.contributions, dtype=float)
        diff = self.difference
        frame = pd.DataFrame(
            {
                "contribution": contrib,
                "share_of_difference": contrib / diff if diff != 0 else np.full(len(contrib), np.nan),
                "kpi_after": self.kpi_a + np.cumsum(contrib),
                "n_paths": [len(self.paths[g]) for g in self.groups],
                "paths": [", ".join(self.paths[g]) for g in self.groups],
            },
            index=pd.Index(self.groups, name="group"),
        )
        if self.standard_errors is not None:
            frame.insert(1, "standard_error", np.array(self.standard_errors, dtype=float))
        return frame

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "a": self.a_name,
            "b": self.b_name,
            "kpi": self.kpi,
            "method": self.method,
            "exact": self.exact,
            "kpi_a": self.kpi_a,
            "kpi_b": self.kpi_b,
            "difference": self.difference,
            "steps": [
                {"group": g, "contribution": c, "paths": list(self.paths[g])}
                | ({"standard_error": self.standard_errors[i]} if self.standard_errors is not None else {})
                for i, (g, c) in enumerate(zip(self.groups, self.contributions, strict=True))
            ],
            "n_evaluations": self.n_evaluations,
            "notes": list(self.notes),
        }
        if self.n_permutations is not None:
            out |= {"n_permutations": self.n_permutations, "seed": self.seed}
        return out


def _as_assumptions(x: Assumptions | str | Path) -> Assumptions:
    return x if isinstance(x, Assumptions) else load_file(Path(x))


def _subset_values(
    pair: AlignedInputs, group_paths: Sequence[tuple[str, ...]], masks: np.ndarray, kpi: str, names: tuple[str, str]
) -> np.ndarray:
    """KPI for each subset mask (bit j: group j takes B's arrays and allocation policies), in one batch per
    combination of policies."""
    scenarios, policy_keys = [], []
    for m in masks.tolist():
        d: dict[str, np.ndarray] = {}
        chosen: dict[str, Any] = {}
        for j, paths in enumerate(group_paths):
            side = (m >> j) & 1
            src = pair.b.arrays if side else pair.a.arrays
            for p in paths:
                if p in pair.policies:
                    chosen[p] = pair.policies[p][side]
                else:
                    d[p] = src[p]
        scenarios.append(d)
        policy_keys.append(tuple(sorted(chosen.items())))
    values = np.empty(len(scenarios))
    for key in dict.fromkeys(policy_keys):
        rows = [i for i, k in enumerate(policy_keys) if k == key]
        template = with_policies(pair.a, dict(key))
        values[rows] = _batch_values(template, [scenarios[i] for i in rows], kpi, names)
    return values


def _batch_values(template: Inputs, scenarios: list[dict[str, np.ndarray]], kpi: str, names: tuple[str, str]) -> np.ndarray:
    """KPI of each scenario (path -> array over ``template``), in one batch."""
    # One row per scenario for the demand: works around tem.model.volumes broadcasting the pack capacity to the shape
    # of the demand, which fails when only capacities vary across a batch (e.g. a capex-only bridge).
    batch = stack_inputs(template, scenarios, full_rows=DEMAND_ROWS if len(scenarios) > 1 else ())
    try:
        check_spend_timing(batch, *names)
    except MixError as exc:
        raise BridgeError(str(exc)) from None
    kpis = evaluate_kpis(batch)
    if kpi not in kpis:
        hint = [k for k in kpis if k.startswith(kpi)][:1] or difflib.get_close_matches(kpi, list(kpis), n=1, cutoff=0.5)
        raise BridgeError(
            f"unknown KPI {kpi!r}" + (f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(kpis)}")
        )
    values = kpis[kpi]
    bad = ~np.isfinite(values)
    if np.any(bad):
        raise BridgeError(
            f"{kpi} is undefined (NaN) for {int(bad.sum())} of the {len(values)} combinations of groups between "
            f"{names[0]!r} and {names[1]!r}; a bridge needs a KPI defined everywhere (NPV always is)"
        )
    return values


def _resolve_order(changed: list[str], order: Sequence[str] | None, known: Sequence[str]) -> list[str]:
    if order is None:
        return changed
    if isinstance(order, str):
        order = [order]
    unknown = [g for g in order if g not in known]
    dupes = sorted({g for g in order if list(order).count(g) > 1})
    if unknown or dupes:
        raise BridgeError(
            "bad bridge order: "
            + "; ".join(
                ([f"unknown groups {unknown} (groups: {', '.join(known)})"] if unknown else [])
                + ([f"named twice: {dupes}"] if dupes else [])
            )
        )
    first = [g for g in order if g in changed]
    return first + [g for g in changed if g not in first]


def bridge(
    a: Assumptions | str | Path,
    b: Assumptions | str | Path,
    groups: Mapping[str, Sequence[str]] | None = None,
    method: Method = "sequential",
    kpi: str = "npv_inr_cr",
    order: Sequence[str] | None = None,
    *,
    n_permutations: int = 1_000,
    seed: int = 0,
    exact_max_groups: int = EXACT_MAX_GROUPS,
) -> Bridge:
    """Attribute ``KPI(b) - KPI(a)`` to each changed group of assumptions (see the module docstring).

    ``groups``: group name -> list of dotted-path prefixes (default :data:`DEFAULT_GROUPS`; a path belongs to
    the group of its longest matching prefix; changed paths no group names form the group ``other``).
    ``order`` (sequential): group names in the order they are switched; changed groups it leaves out follow in
    the groups' own order, unchanged ones it names are skipped. ``kpi``: any engine KPI key (``npv_inr_cr``,
    ``incremental_npv_vs_import_inr_cr``, ``levelized_pack_cost_inr_per_kwh``, ``dva_share_fy30``...).
    Shapley is exact for up to ``exact_max_groups`` changed groups, else sampled over ``n_permutations``
    random orders drawn with ``seed``.
    """
    if method not in ("sequential", "shapley"):
        raise BridgeError(f"unknown bridge method {method!r}: use 'sequential' or 'shapley'")
    started = time.perf_counter()
    a_set, b_set = _as_assumptions(a), _as_assumptions(b)
    pair = align_inputs(a_set, b_set)
    group_map = dict(DEFAULT_GROUPS if groups is None else groups)
    if groups is not None:
        _check_groups(group_map, list(pair.a.arrays))
    by_group = assign_groups(pair.changed_paths(), group_map)
    names = _resolve_order(list(by_group), order, [*group_map, OTHER_GROUP])  # Shapley: presentation order only
    k = len(names)
    labels = (a_set.name, b_set.name)
    group_paths = [by_group[g] for g in names]
    standard_errors: np.ndarray | None = None
    if method == "sequential" or k == 0:
        masks = np.cumsum(np.concatenate([[0], 1 << np.arange(k)])).astype(np.int64)
        v = _subset_values(pair, group_paths, masks, kpi, labels)
        kpi_a, kpi_b, contributions, n_eval = v[0], v[-1], np.diff(v), len(masks)
    elif k <= exact_max_groups:
        masks = np.arange(2**k, dtype=np.int64)
        v = _subset_values(pair, group_paths, masks, kpi, labels)
        kpi_a, kpi_b, contributions, n_eval = v[0], v[-1], shapley_exact(v, k), len(masks)
    else:
        if k > 62:
            raise BridgeError(f"{k} groups are too many for a Shapley bridge (at most 62); group the paths more coarsely")
        if n_permutations < 2:
            raise BridgeError("a sampled Shapley bridge needs n_permutations >= 2 (for its standard errors)")
        rng = np.random.default_rng(seed)
        orders = rng.permuted(np.tile(np.arange(k), (n_permutations, 1)), axis=1)
        along = permutation_masks(orders)
        unique, inverse = np.unique(along, return_inverse=True)
        v = _subset_values(pair, group_paths, unique, kpi, labels)
        values_along = v[inverse.reshape(along.shape)]
        contributions, standard_errors = shapley_from_orders(orders, values_along, k)
        kpi_a, kpi_b, n_eval = values_along[0, 0], values_along[0, -1], len(unique)
    sampled = standard_errors is not None
    return Bridge(
        a_name=a_set.name,
        b_name=b_set.name,
        kpi=kpi,
        method=method,
        kpi_a=float(kpi_a),
        kpi_b=float(kpi_b),
        groups=tuple(names),
        contributions=tuple(float(x) for x in contributions),
        paths=by_group,
        exact=not sampled,
        standard_errors=None if standard_errors is None else tuple(float(x) for x in standard_errors),
        n_permutations=n_permutations if sampled else None,
        seed=seed if sampled else None,
        n_evaluations=n_eval,
        seconds=time.perf_counter() - started,
        notes=pair.notes,
    )


__all__ = [
    "DEFAULT_GROUPS",
    "AlignedInputs",
    "Bridge",
    "BridgeError",
    "StructureMismatchError",
    "align_inputs",
    "bridge",
    "stack_inputs",
]

"""A Monte Carlo spec checked against an assumption set: every distribution made absolute in the units of the
number drawn, every problem reported with file, line and path; and the batch values a set of draws gives the
engine. The rules are those of :mod:`tem.analysis.montecarlo.spec`."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from typing import Any

import numpy as np

from tem.analysis.montecarlo.distributions import U_EPS, Distribution, make_distribution
from tem.analysis.montecarlo.spec import STRUCTURAL, MonteCarloSpec, UncertainInput
from tem.analysis.specio import SpecProblems, parse_relative
from tem.assumptions.schema import Assumptions
from tem.assumptions.walk import iter_leaves
from tem.assumptions.yearly import MAX_GROWTH, check_yearly_horizon, resolve_yearly
from tem.errors import AssumptionError
from tem.model.batch_inputs import is_fiscal_year, year_value_problem
from tem.model.inputs import Inputs, build_inputs


@dataclass(frozen=True)
class ResolvedInput:
    """An uncertain input made concrete: its distribution in the units of the number drawn."""

    path: str
    label: str
    mode: str  # value | scale | drift
    kind: str  # scalar | yearly | list
    distribution: Distribution
    base: float  # base value (scalar, or first-year value of a path); 1 for scale, 0 for drift
    options: np.ndarray | None  # (k, T) yearly paths of a discrete choice, ordered by their horizon average
    option_means: np.ndarray | None
    source: str | None
    meaning: str  # what the sample column holds

    def display(self, draws: np.ndarray) -> np.ndarray:
        """Sample column values from draws (for path options: the chosen path's average)."""
        if self.options is not None and self.option_means is not None:
            return self.option_means[draws.astype(np.intp)]
        return draws


@dataclass(frozen=True)
class ResolvedSpec:
    spec: MonteCarloSpec
    inputs: tuple[ResolvedInput, ...]
    rank_target: np.ndarray  # (K, K) Spearman targets as given (identity where none)
    kpi_names: tuple[str, ...]  # every KPI the engine returns

    @property
    def paths(self) -> list[str]:
        return [r.path for r in self.inputs]


def _leaf_types(a: Assumptions) -> dict[str, tuple[str, tuple[float | None, float | None]]]:
    """Per path: 'int' | 'bool' | 'float' | 'list' and, for lists, the element bounds."""
    out: dict[str, tuple[str, tuple[float | None, float | None]]] = {}
    for leaf in iter_leaves(a):
        ann = leaf.field.annotation
        args = set(typing.get_args(ann)) | {ann}
        if bool in args:
            out[leaf.path] = ("bool", (0.0, 1.0))
        elif int in args and float not in args:
            out[leaf.path] = ("int", (None, None))
        elif typing.get_origin(ann) is list:
            lo = hi = None
            for inner in typing.get_args(ann):
                for meta in typing.get_args(inner)[1:]:
                    for m in getattr(meta, "metadata", []):
                        lo = getattr(m, "ge", lo)
                        hi = getattr(m, "le", hi)
            out[leaf.path] = ("list", (lo, hi))
        else:
            out[leaf.path] = ("float", (None, None))
    out.setdefault("transition.local_cells_start_fy", ("int", (None, None)))
    return out


def _absolute(v: Any, mode: str, base: float, is_sd: bool) -> float:
    if not isinstance(v, str):
        return float(v)
    rel = parse_relative(v)
    assert rel is not None  # checked when the spec was loaded
    if mode == "drift":
        return rel
    ref = 1.0 if mode == "scale" else base
    return abs(ref) * rel if is_sd else ref * (1.0 + rel)


class _Problems(SpecProblems):
    def __init__(self, spec: MonteCarloSpec):
        super().__init__(spec.source, "<montecarlo spec>")


def _resolve_input(
    i: int, u: UncertainInput, inp: Inputs, types: dict[str, Any], a: Assumptions, out: _Problems
) -> ResolvedInput | None:
    """``u`` made absolute, or None after adding its problems to ``out``."""
    where = f"inputs.{i}"
    if u.path not in inp.arrays:
        hint = difflib.get_close_matches(u.path, list(inp.arrays), n=1, cutoff=0.6)
        out.add(
            f"{where}.path",
            f"unknown input path {u.path!r}" + (f"; did you mean {hint[0]!r}?" if hint else " (see `tem schema`)"),
        )
        return None
    if u.path in STRUCTURAL:
        out.add(f"{where}.path", f"{u.path} cannot vary in a Monte Carlo run: {STRUCTURAL[u.path]}")
        return None
    kind = inp.kinds[u.path]
    leaf_type, list_bounds = types.get(u.path, ("float", (None, None)))
    arr = inp.arrays[u.path]
    base = float(arr.reshape(-1)[0])
    whole = leaf_type in ("int", "bool")
    if u.path.endswith("spend_profile"):
        out.add(f"{where}.path", "a spend profile must sum to 1; vary the phase's capex_inr_cr or commissioning_fy instead")
        return None
    if whole and (u.mode != "value" or u.distribution != "discrete"):
        what = (
            "a true/false input takes a discrete distribution over 0 and 1"
            if leaf_type == "bool"
            else ("a fiscal year or other whole number takes a discrete distribution of whole numbers")
        )
        out.add(f"{where}.distribution", f"{u.path}: {what} in mode: value")
        return None
    if u.mode == "drift" and kind != "yearly":
        out.add(f"{where}.mode", f"{u.path} is not a yearly input: drift applies to yearly paths only")
        return None
    if u.mode == "value" and kind == "yearly" and base == 0.0 and not _all_paths(u):
        out.add(
            f"{where}.mode",
            f"{u.path} starts at 0 in the first year, so it cannot be rescaled to a first-year value; use mode: scale"
            " or list whole yearly paths as discrete values",
        )
        return None
    rel_base = {"value": base, "scale": 1.0, "drift": 0.0}[u.mode]
    if u.mode == "value" and base == 0.0 and _has_relative(u):
        out.add(f"{where}", f"{u.path} is 0 in the base case, so relative values like '-20%' mean nothing; give numbers")
        return None
    if whole and any(isinstance(v, str) for v in u.values or []):
        out.add(f"{where}.values", f"{u.path}: give absolute whole numbers (e.g. 2030), not relative changes")
        return None
    options = option_means = None
    try:
        if u.distribution == "discrete":
            assert u.values is not None
            assert u.probabilities is not None
            if any(isinstance(v, (list, dict)) for v in u.values):
                options, option_means, probs = _path_options(u, inp, a, out, where)
                if options is None or probs is None:
                    return None
                dist = make_distribution("discrete", {"values": np.arange(len(probs)), "probabilities": probs})
            else:
                nums = [_absolute(v, u.mode, base, False) for v in u.values]
                if whole and any(x != round(x) for x in nums):
                    out.add(f"{where}.values", f"{u.path} takes whole numbers, got {nums}")
                    return None
                years = [year_value_problem(inp, u.path, x) for x in nums] if is_fiscal_year(u.path) else []
                years = [p for p in years if p]
                if years:
                    out.add(f"{where}.values", f"{u.path}: {years[0]}")
                    return None
                if leaf_type == "bool" and any(x not in (0.0, 1.0) for x in nums):
                    out.add(f"{where}.values", f"{u.path} is true/false: values must be 0 and 1, got {nums}")
                    return None
                dist = make_distribution("discrete", {"values": nums, "probabilities": u.probabilities})
        else:
            params = {
                k: _absolute(getattr(u, k), u.mode, base, k == "sd")
                for k in ("low", "likely", "high", "mean", "sd")
                if getattr(u, k) is not None
            }
            dist = make_distribution(u.distribution, params)
    except ValueError as exc:
        out.add(where, f"{u.path}: {u.distribution}: {exc}")
        return None
    if options is None and not _support_ok(
        u, dist, kind, arr, inp.bounds.get(u.path, (None, None)), list_bounds, where, out
    ):
        return None
    meaning = {
        "value": {"yearly": "first-year value (the path rescaled)", "list": "every year's value (the list made flat)"}.get(
            kind, "value"
        ),
        "scale": "multiplier of the base (1 = base)",
        "drift": "extra growth per year on the base path",
    }[u.mode]
    if options is not None:
        meaning = "average over the horizon of the yearly path drawn"
        rel_base = float(np.mean(inp.arrays[u.path][0]))  # the base path's, as the number drawn
    return ResolvedInput(u.path, u.name, u.mode, kind, dist, rel_base, options, option_means, u.source, meaning)


def _all_paths(u: UncertainInput) -> bool:
    return u.distribution == "discrete" and all(isinstance(v, (list, dict)) for v in u.values or [])


def _has_relative(u: UncertainInput) -> bool:
    vals = [getattr(u, k) for k in ("low", "likely", "high", "mean", "sd")] + list(u.values or [])
    return any(isinstance(v, str) for v in vals)


Options = tuple[np.ndarray, np.ndarray, np.ndarray] | tuple[None, None, None]


def _path_options(u: UncertainInput, inp: Inputs, a: Assumptions, out: _Problems, where: str) -> Options:
    """A discrete choice of whole yearly paths: (paths (k, T), their horizon averages, probabilities), ordered
    by average; (None, None, None) after adding problems to ``out``."""
    first, n_years = a.timeline.first_fy, a.timeline.horizon_years
    kind = inp.kinds[u.path]
    if kind != "yearly":
        out.add(f"{where}.values", f"{u.path} is not a yearly input: its discrete values must be numbers")
        return None, None, None
    lo, hi = inp.bounds.get(u.path, (None, None))
    base = inp.arrays[u.path][0]
    paths = []
    for j, v in enumerate(u.values or []):
        if isinstance(v, str):
            rel = parse_relative(v)
            path = base * (1.0 + (rel or 0.0))
        elif isinstance(v, (int, float)):
            if base[0] == 0.0:
                out.add(f"{where}.values.{j}", f"{u.path} starts at 0: give a whole yearly path, not a number")
                return None, None, None
            path = base * (float(v) / base[0])
        else:
            problems = check_yearly_horizon(v, first, n_years)
            if problems:
                out.add(f"{where}.values.{j}", "; ".join(problems))
                return None, None, None
            path = resolve_yearly(v, first, n_years)
        if (lo is not None and np.any(path < lo)) or (hi is not None and np.any(path > hi)):
            out.add(f"{where}.values.{j}", f"{u.path}: the path leaves the allowed range [{lo}, {hi}]")
            return None, None, None
        paths.append(np.asarray(path, dtype=float))
    options = np.vstack(paths)
    means = options.mean(axis=1)
    order = np.argsort(means, kind="stable")
    probs = np.asarray(u.probabilities, dtype=float)[order]
    return options[order], means[order], probs


def _support_ok(
    u: UncertainInput,
    dist: Distribution,
    kind: str,
    arr: np.ndarray,
    bounds: tuple[float | None, float | None],
    list_bounds: tuple[float | None, float | None],
    where: str,
    out: _Problems,
) -> bool:
    """Whether every number this distribution can draw keeps the input within its allowed range."""
    lo_b, hi_b = list_bounds if kind == "list" else bounds
    s_lo, s_hi = dist.support()
    far_lo, far_hi = (float(x) for x in dist.ppf(np.array([U_EPS, 1.0 - U_EPS])))  # the most extreme draws
    s_lo, s_hi = (s_lo if np.isfinite(s_lo) else far_lo), (s_hi if np.isfinite(s_hi) else far_hi)
    base_row = arr[0]
    if u.mode == "drift":
        if s_lo <= -1.0:
            out.add(where, f"{u.path}: a drift of {s_lo:g} a year or less would make the path zero or negative")
            return False
        if s_hi > MAX_GROWTH:  # the rule of a growth path in an assumption file
            hint = f"; use {s_hi / 100:g} for {s_hi:g}%" if 2.0 <= s_hi <= 100.0 else ""
            out.add(
                where,
                f"{u.path}: drifts up to {s_hi:g} a year can be drawn; a drift is a growth rate, a fraction a year "
                f"of at most {MAX_GROWTH:g} ({MAX_GROWTH:.0%}){hint}",
            )
            return False
        t = np.arange(base_row.size)
        paths = [base_row * (1.0 + g) ** t for g in (s_lo, s_hi)]
        v_lo, v_hi = min(float(p.min()) for p in paths), max(float(p.max()) for p in paths)
    else:
        ratio = (
            base_row / base_row[0]
            if (u.mode == "value" and kind == "yearly")
            else (base_row if u.mode == "scale" else np.ones(1))
        )
        cands = [s * r for s in (s_lo, s_hi) for r in (float(ratio.min()), float(ratio.max()))]
        v_lo, v_hi = min(cands), max(cands)
    fix = " (use truncated_normal to bound it)" if u.distribution in ("normal", "lognormal") else ""
    if lo_b is not None and v_lo < lo_b - 1e-12:
        out.add(where, f"{u.path}: this distribution can give {v_lo:.6g}, below the allowed minimum {lo_b:g}{fix}")
        return False
    if hi_b is not None and v_hi > hi_b + 1e-12:
        out.add(where, f"{u.path}: this distribution can give {v_hi:.6g}, above the allowed maximum {hi_b:g}{fix}")
        return False
    return True


def resolve_spec(spec: MonteCarloSpec, assumptions: Assumptions, inp: Inputs | None = None) -> ResolvedSpec:
    """Check ``spec`` against ``assumptions`` and make every distribution absolute (AssumptionError listing
    every problem with file, line and path)."""
    from tem.model.engine import run_inputs

    inp = inp or build_inputs(assumptions)
    out = _Problems(spec)
    types = _leaf_types(assumptions)
    resolved = [_resolve_input(i, u, inp, types, assumptions, out) for i, u in enumerate(spec.inputs)]
    main, _ = run_inputs(inp, full_counterfactual=False)
    names = tuple(main.kpis)
    for j, k in enumerate(spec.kpis):
        if k not in names:
            hint = difflib.get_close_matches(k, names, n=1, cutoff=0.6)
            out.add(
                f"kpis.{j}",
                f"unknown KPI {k!r}" + (f"; did you mean {hint[0]!r}?" if hint else f" (KPIs: {', '.join(names)})"),
            )
    k_inputs = len(spec.inputs)  # enough scenarios for the correlations: checked with the spec (min_scenarios)
    if out.items:
        raise AssumptionError(out.items)
    index = {u.path: i for i, u in enumerate(spec.inputs)}
    target = np.eye(k_inputs)
    for c in spec.correlations:
        a_i, b_i = index[c.between[0]], index[c.between[1]]
        target[a_i, b_i] = target[b_i, a_i] = c.rank
    return ResolvedSpec(spec, tuple(r for r in resolved if r is not None), target, names)


def batch_arrays(
    inp: Inputs, resolved: ResolvedSpec, draws: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``values`` and ``scales`` for :func:`tem.model.engine.run_batch_inputs` from draws ``(S, K)``."""
    values: dict[str, np.ndarray] = {}
    scales: dict[str, np.ndarray] = {}
    for j, r in enumerate(resolved.inputs):
        d = draws[:, j]
        if r.options is not None:
            values[r.path] = r.options[d.astype(np.intp)]
        elif r.mode == "value":
            values[r.path] = d
        elif r.mode == "scale":
            scales[r.path] = d
        else:
            base = inp.arrays[r.path][0]
            t = np.arange(base.size)
            values[r.path] = base[None, :] * (1.0 + d[:, None]) ** t[None, :]
    return values, scales

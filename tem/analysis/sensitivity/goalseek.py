"""Goal seek / breakeven: the value of one input at which a KPI reaches a target.

Continuous inputs: the KPI is evaluated on a grid of the search range in one batch, the first sign change of
``KPI - target`` brackets the root, and Brent's method (scipy.optimize.brentq) refines it to ``xtol``. Fiscal-year
inputs (``..._fy``): every year in the range is evaluated in one batch and the year whose KPI is closest to the
target is returned (ties: the earliest). When no root lies in the range, the error names the KPI range found.
For a yearly input the value sought is its first-year value (the whole path rescaled); for a list input (a ramp)
a flat value. The KPI may be one year of a line, ``"<line>@FY30"`` (see :data:`tem.model.year_lines.YEAR_LINES`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from tem import catalogue
from tem.analysis.breakevens import _as_run, _bracket, gate_flips
from tem.analysis.sensitivity.spec import Setting, base_value, is_year, unknown_path
from tem.analysis.sensitivity.sweeps import evaluate
from tem.assumptions.input_kinds import input_kind
from tem.assumptions.schema import Assumptions
from tem.errors import BatchInputError, OptionError, TemError
from tem.model.inputs import Inputs, build_inputs

GRID_POINTS = 41


class NoSolutionError(TemError):
    """The KPI does not reach the target anywhere in the search range."""


@dataclass(frozen=True)
class GoalSeekResult:
    path: str
    kpi: str
    target: float
    value: float  # the input value found
    kpi_at_value: float
    base_value: float
    base_kpi: float
    evaluations: int
    grid: tuple[tuple[float, float], ...]  # (input, KPI) on the search grid


def _check_in_bounds(
    path: str, ends: Mapping[str, float], bounds: tuple[float | None, float | None], src: Mapping[str, str], name: str
) -> None:
    """OptionError (one line) for an end of the search range outside what ``path`` allows, naming the option
    that gave it (``src["low"]``, e.g. ``--low``; else the argument's name) and the input's allowed range."""
    lo, hi = bounds
    kind = input_kind(path)
    unit = "" if kind is None else catalogue.KINDS[kind].suffix
    for end, x in ends.items():
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            if lo is not None and hi is not None:
                span = f"from {lo:g} to {hi:g}"
            else:
                span = f"at least {lo:g}" if lo is not None else f"at most {hi:g}"
            what = " (a rate: 0.05 is 5%)" if kind == "rate" else f" {unit}" if unit else ""
            raise OptionError(src.get(end) or end, x, f"a value of {name} {span}{what}")


def _check_year_kpi(inp: Inputs, kpi: str, option: str) -> None:
    """OptionError (one line) for a ``<line>@FY30`` KPI that names no such line or a year outside the horizon,
    naming the option, the value as typed and the lines and years allowed."""
    from tem.assumptions.yearly import fy_label
    from tem.model.year_lines import YEAR_LINES, parse_year_line

    try:
        parse_year_line(inp, kpi)
    except BatchInputError:
        first = inp.structure.first_fy
        years = f"{fy_label(first)} to {fy_label(first + inp.structure.n_years - 1)}"
        allowed = f"<line>@<year> with a year from {years} and a line from {', '.join(sorted(YEAR_LINES))}"
        raise OptionError(option, kpi, allowed) from None


def goal_seek(
    assumptions: Assumptions,
    path: str,
    kpi: str,
    target: float,
    low: float,
    high: float,
    xtol: float = 1e-6,
    *,
    sources: Mapping[str, str] | None = None,
    label: str | None = None,
) -> GoalSeekResult:
    """The value of ``path`` in ``[low, high]`` at which ``kpi`` equals ``target``.

    ``sources`` names where ``path``, ``kpi``, ``target`` and ``low``/``high`` came from (e.g. the command line's
    ``--kpi``); each BatchInputError about one of them starts with it. ``label``: the input's name in messages
    (e.g. "Imported cell price (FOB)"; default: ``path``).

    With gates in the assumptions, a root counts only where every gate decides as in the run (the breakevens'
    rule, :func:`tem.analysis.breakevens.seek_searches`): a value where a gate closes (or opens) belongs to another
    program, and the error then says which gate flips and where."""
    name = label or path
    src = {"path": "", "kpi": "", "target": "", "range": "", **(sources or {})}

    def said(key: str, message: str) -> str:
        return f"{src[key]}: {message}" if src[key] else message

    if not np.isfinite(target):
        raise OptionError(src.get("target") or "target", target, f"a finite value of {catalogue.label(kpi)}")
    for end, x in (("low", low), ("high", high)):
        if not np.isfinite(x):
            raise OptionError(src.get(end) or end, x, f"a finite number (an end of the search range for {name})")
    if not low < high:
        low_name = src.get("low") or "low"
        raise OptionError(src.get("high") or "high", high, f"a number above {low_name} ({low:g}): the search range")
    inp = build_inputs(assumptions)
    why = unknown_path(inp, path)
    if why:
        raise BatchInputError(said("path", why))
    if not is_year(path):  # a year range is cut to the horizon below; any other must keep to the input's bounds
        _check_in_bounds(path, {"low": low, "high": high}, inp.bounds.get(path, (None, None)), src, name)
    base_x = base_value(inp, path)

    year_lines = [kpi] if "@" in kpi else []
    if year_lines:
        _check_year_kpi(inp, kpi, src.get("kpi") or "kpi")

    def all_at(xs: np.ndarray) -> dict[str, np.ndarray]:
        k = evaluate(inp, [[Setting(path, "value", float(x))] for x in xs], year_lines)
        if kpi not in k:
            raise BatchInputError(said("kpi", catalogue.unknown_kpi(kpi, k)))
        return k

    def kpis_at(xs: np.ndarray) -> np.ndarray:
        return all_at(xs)[kpi]

    base_all = all_at(np.array([base_x]))
    base_k = float(base_all[kpi][0])
    # the gate decisions as run (1 or 0): a root counts only where every gate decides so (as the breakevens)
    as_run = {g: float(v[0]) for g, v in base_all.items() if g.startswith("gate_passed_")}
    if is_year(path):
        first = inp.structure.first_fy  # only the horizon's years can be tried (the batch refuses the others)
        lo_year, hi_year = max(math.ceil(low), first), min(math.floor(high), first + inp.structure.n_years - 1)
        if lo_year > hi_year:
            raise BatchInputError(
                f"{name}: no whole year between {low:g} and {high:g} lies in the horizon "
                f"{first}-{first + inp.structure.n_years - 1}"
            )
        years = np.arange(lo_year, hi_year + 1, dtype=float)
        vals = kpis_at(years)
        gaps = np.abs(vals - target)
        if not np.isfinite(gaps).any():
            span = f"{int(years[0])}-{int(years[-1])}"
            raise NoSolutionError(f"{catalogue.label(kpi)} is undefined for every year {span} of {name}")
        i = int(np.nanargmin(gaps))
        return GoalSeekResult(
            path,
            kpi,
            target,
            float(years[i]),
            float(vals[i]),
            base_x,
            base_k,
            years.size + 1,
            tuple(zip(years.tolist(), vals.tolist(), strict=True)),
        )
    xs = np.linspace(low, high, GRID_POINTS)
    grid_all = all_at(xs)
    vals = grid_all[kpi]
    diff = vals - target
    finite = np.isfinite(diff)
    grid = tuple(zip(xs.tolist(), vals.tolist(), strict=True))
    kind = input_kind(path)
    found = _bracket(xs, diff, _as_run(grid_all, as_run))
    if found is None:
        flips = gate_flips(xs, grid_all, as_run, kind) if as_run and _bracket(xs, diff) is not None else []
        between = (
            f"{name} between {catalogue.format_kind(kind, low)} and {catalogue.format_kind(kind, high, with_unit=True)}"
        )
        if flips:
            raise NoSolutionError(
                f"{catalogue.label(kpi)} reaches {catalogue.format_value(kpi, target, with_unit=True)} for {between} "
                f"only where a gate decides otherwise than in the run (none with the gates as run): " + "; ".join(flips)
            )
        seen = vals[finite]
        shown = catalogue.format_value
        span = f"from {shown(kpi, seen.min())} to {shown(kpi, seen.max())}" if seen.size else "undefined throughout"
        raise NoSolutionError(
            f"{catalogue.label(kpi)} does not reach {shown(kpi, target, with_unit=True)} for {between}: it ranges "
            f"{span} there; widen the range or check the target"
        )
    a, b = found
    if a == b:
        i = int(np.flatnonzero(xs == a)[0])
        return GoalSeekResult(path, kpi, target, float(xs[i]), float(vals[i]), base_x, base_k, GRID_POINTS + 1, grid)
    count = [GRID_POINTS + 1]

    def f(x: float) -> float:
        count[0] += 1
        return float(kpis_at(np.array([x]))[0]) - target

    root = brentq(f, a, b, xtol=xtol, rtol=4 * np.finfo(float).eps, maxiter=200)
    return GoalSeekResult(path, kpi, target, float(root), f(root) + target, base_x, base_k, count[0], grid)

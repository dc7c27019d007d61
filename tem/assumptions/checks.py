"""Consistency checks that need the timeline: list lengths, FY points, commissioning and spend years.

The checks read the plain merged data (after ``extends`` and overrides), guided by the schema classes: which
fields are yearly (``json_schema_extra={"yearly": bound}``), which are blocks, dicts of blocks (material
groups) or lists of named blocks (capex phases, addressed by ``name``). So they run whether or not the rest
of the file is valid, and the loader reports field problems and timeline problems together.

There is one implementation, used twice:

* ``Assumptions``' model validator runs it on ``model_dump()`` of a fully valid set (nothing rejected);
* when pydantic rejects the file, the loader runs it on the raw data, passing the locations pydantic
  rejected. A check whose inputs were rejected (or are missing, or of the wrong type) is skipped: pydantic
  already reports them, and the same problem is never reported twice.

Each check returns ``(dotted path, message)`` pairs; the loader reports them all together.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from tem.assumptions.fields import bound_problem
from tem.assumptions.schema import (
    Assumptions,
    Capex,
    CapexPhase,
    Cells,
    Demand,
    LocalCells,
    Pli,
    Reporting,
    Segment,
    Timeline,
    Transition,
    Valuation,
)
from tem.assumptions.walk import Leaf
from tem.assumptions.yearly import check_yearly_form, check_yearly_horizon, fy_label, path_floats, resolve_yearly

Loc = tuple[str | int, ...]  # a location in the data, as pydantic gives it: keys, and list indices
_MISSING: Any = object()


def _in_horizon(fy: int, first: int, last: int) -> bool:
    return first <= fy <= last


def year_problem(path: str, fy: float, first: int, n: int, *, spend_years: int = 1, pli_enabled: bool = True) -> str | None:
    """The one horizon rule for a fiscal-year input, whichever way the year enters (a file, ``--set``, a sweep
    bound or axis, a Monte Carlo value); None when ``fy`` is allowed at ``path``.

    * ``demand.<segment>.start_fy``: not after the last year (an earlier year means: selling from the start);
    * ``capex.phases.<name>.commissioning_fy``: within the horizon, with the ``spend_years`` of its spend profile
      (ending in the commissioning year) not starting before the first year;
    * ``cells.local.pli.start_fy``: within the horizon when the PLI is enabled;
    * every other fiscal year (``transition.local_cells_start_fy``, ``reporting.dva_fys``, ...): within the
      horizon.

    A fiscal year is a whole number in any case.
    """
    last = first + n - 1
    span = f"{fy_label(first)}-{fy_label(last)} ({first}-{last})"
    if not math.isfinite(fy) or fy != round(fy):
        return f"{fy:g} is not a whole year; a fiscal year is a whole number such as {first + 2}"
    year = int(fy)
    parts = path.split(".")
    if parts[0] == "demand" and parts[-1] == "start_fy":
        return f"{year} is after the horizon {span}; the segment would never sell" if year > last else None
    if path == "cells.local.pli.start_fy" and not pli_enabled:
        return None
    if not _in_horizon(year, first, last):
        never = "; use null for never" if path == "transition.local_cells_start_fy" else ""
        return f"{year} is outside the horizon {span}{never}"
    if parts[:2] == ["capex", "phases"] and parts[-1] == "commissioning_fy" and year - spend_years + 1 < first:
        return (
            f"{spend_years} years of spend ending in {fy_label(year)} start in {fy_label(year - spend_years + 1)}, "
            f"before the first year {fy_label(first)}; shorten the profile or move commissioning later (spend before "
            "the valuation date is sunk and not modelled)"
        )
    return None


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _value(node: Any, cls: type[BaseModel], name: str) -> Any:
    """The value of field ``name`` of block ``cls`` in the raw ``node``; the schema default when it is not
    given; ``_MISSING`` when it is required and not given, or ``node`` is not a mapping."""
    if not isinstance(node, Mapping):
        return _MISSING
    if name in node:
        return node[name]
    field = cls.model_fields.get(name)
    if field is None or field.is_required():
        return _MISSING
    default = field.get_default(call_default_factory=True)
    return default.model_dump() if isinstance(default, BaseModel) else default


def _block(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The block class a field holds and how: ('model' | 'dict' | 'list'); (None, '') for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "model"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):  # Optional[Block]
        for arg in args:
            cls, shape = _block(arg)
            if cls is not None:
                return cls, shape
    if origin is dict and len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return args[1], "dict"
    if origin is list and len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], "list"
    return None, ""


def _yearly_leaves(cls: type[BaseModel], node: Any, loc: Loc, prefix: str) -> Iterator[tuple[Loc, Leaf]]:
    """Every yearly field given (or defaulted) in the raw ``node`` of block ``cls``, in schema order.

    Paths name capex phases by ``name`` and material groups by key, as ``walk.iter_leaves`` does."""
    for name, field in cls.model_fields.items():
        value = _value(node, cls, name)
        if value is _MISSING:
            continue
        here, path = (*loc, name), f"{prefix}{name}"
        leaf = Leaf(path, value, field)
        if leaf.yearly_bound is not None:
            yield here, leaf
            continue
        sub, shape = _block(field.annotation)
        if sub is None:
            continue
        if shape == "model" and isinstance(value, Mapping):
            yield from _yearly_leaves(sub, value, here, path + ".")
        elif shape == "dict" and isinstance(value, Mapping):
            for key, item in value.items():
                yield from _yearly_leaves(sub, item, (*here, key), f"{path}.{key}.")
        elif shape == "list" and isinstance(value, list):
            for i, item in enumerate(value):
                label = item.get("name", i) if isinstance(item, Mapping) else i
                yield from _yearly_leaves(sub, item, (*here, i), f"{path}.{label}.")


def _path_problem(value: Any, bound: Any, first: int, n: int) -> str | None:
    """The first year where the path of a yearly input breaks its bound, as the message; None when none does.

    Decided on :func:`path_floats` where every value is either exact or clearly inside the bound (a relative
    margin of 1e-9, far above the last-place differences of Python's and numpy's arithmetic); otherwise on
    :func:`resolve_yearly`'s array itself, so the verdict and the value shown are numpy's in every case.
    """
    approx = path_floats(value, first, n)
    for i, (x, exact) in enumerate(approx or ()):
        if exact:
            p = bound_problem(x, bound, derived=True)
            if p:
                return f"in {fy_label(first + i)} the path reaches {p}"
        elif not _clearly_within(x, bound):
            break
    else:
        if approx is not None:
            return None
    for i, x in enumerate(resolve_yearly(value, first, n)):
        p = bound_problem(float(x), bound, derived=True)
        if p:
            return f"in {fy_label(first + i)} the path reaches {p}"
    return None


def _clearly_within(x: float, bound: Any) -> bool:
    """``x`` and every value within a relative 1e-9 of it meet ``bound`` (zero is never clearly inside)."""
    if not math.isfinite(x) or x == 0:
        return False
    return all(bound_problem(x * (1 + d), bound, derived=True) is None for d in (-1e-9, 1e-9))


class _Inputs:
    """Which inputs a check may use: not rejected by pydantic (at that location or below it)."""

    def __init__(self, rejected: Collection[Loc]):
        self._rejected = [tuple(r) for r in rejected]

    def ok(self, *locs: Loc) -> bool:
        return not any(r[: len(loc)] == loc for loc in locs for r in self._rejected)


def horizon_problems(a: Assumptions) -> list[tuple[str, str]]:
    """The timeline-dependent problems of a validated assumption set (the model validator's entry point)."""
    return data_problems(a.model_dump(), rejected=())


def data_problems(data: Mapping[str, Any], *, rejected: Collection[Loc]) -> list[tuple[str, str]]:
    """The timeline-dependent problems of merged assumption data, validated or not.

    ``rejected``: the locations pydantic reported (``err["loc"]`` of each error); a check is skipped when one
    of its inputs was rejected, or something inside it was (a list item, a union branch). The horizon
    checks run only when the timeline's first_fy and horizon_years are usable integers; the other
    cross-field checks run regardless.
    """
    inputs = _Inputs(rejected)
    problems: list[tuple[str, str]] = []
    timeline = _value(data, Assumptions, "timeline")
    first = _value(timeline, Timeline, "first_fy")
    n = _value(timeline, Timeline, "horizon_years")
    if _is_int(first) and _is_int(n) and n >= 1 and inputs.ok(("timeline", "first_fy"), ("timeline", "horizon_years")):
        problems += _timeline_problems(data, first, n, inputs)
    problems += _terminal_growth_problems(data, inputs)
    return problems


def _timeline_problems(data: Mapping[str, Any], first: int, n: int, inputs: _Inputs) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []

    for loc, leaf in _yearly_leaves(Assumptions, data, (), ""):
        bound = leaf.yearly_bound
        if bound is None or leaf.value is None or not inputs.ok(loc) or check_yearly_form(leaf.value):
            continue
        msgs = check_yearly_horizon(leaf.value, first, n)
        if msgs:
            problems += [(leaf.path, m) for m in msgs]
            continue
        p = _path_problem(leaf.value, bound, first, n)
        if p:
            problems.append((leaf.path, p))

    demand = _value(data, Assumptions, "demand")
    for seg in ("captive", "external_oem", "ess"):
        start = _value(_value(demand, Demand, seg), Segment, "start_fy")
        if _is_int(start) and inputs.ok(("demand", seg, "start_fy")):
            problems += _year(f"demand.{seg}.start_fy", start, first, n)

    phases = _value(_value(data, Assumptions, "capex"), Capex, "phases")
    names: set[str] = set()
    for i, ph in enumerate(phases if isinstance(phases, list) else []):
        if not isinstance(ph, Mapping):
            continue
        at: Loc = ("capex", "phases", i)
        name = _value(ph, CapexPhase, "name")
        base = f"capex.phases.{ph.get('name', i)}"
        if isinstance(name, str) and inputs.ok((*at, "name")):
            if name in names:
                problems.append((base + ".name", f"phase name {name!r} is used twice; names must be unique"))
            names.add(name)
        commissioning = _value(ph, CapexPhase, "commissioning_fy")
        if not _is_int(commissioning) or not inputs.ok((*at, "commissioning_fy")):
            continue
        outside = year_problem(base + ".commissioning_fy", commissioning, first, n)
        if outside:
            problems.append((base + ".commissioning_fy", outside))
            continue
        profile = _value(ph, CapexPhase, "spend_profile")
        if not isinstance(profile, list) or not profile or not inputs.ok((*at, "spend_profile")):
            continue
        early = year_problem(base + ".commissioning_fy", commissioning, first, n, spend_years=len(profile))
        if early:
            problems.append((base + ".spend_profile", early))

    price_base = _value(_value(data, Assumptions, "capex"), Capex, "price_base_fy")
    if _is_int(price_base) and inputs.ok(("capex", "price_base_fy")):
        problems += _year("capex.price_base_fy", price_base, first, n)

    start = _value(_value(data, Assumptions, "transition"), Transition, "local_cells_start_fy")
    if _is_int(start) and inputs.ok(("transition", "local_cells_start_fy")):
        problems += _year("transition.local_cells_start_fy", start, first, n)

    pli = _value(_value(_value(data, Assumptions, "cells"), Cells, "local"), LocalCells, "pli")
    enabled, pli_start = _value(pli, Pli, "enabled"), _value(pli, Pli, "start_fy")
    pli_at: Loc = ("cells", "local", "pli")
    if enabled is True and _is_int(pli_start) and inputs.ok((*pli_at, "enabled"), (*pli_at, "start_fy")):
        problems += _year("cells.local.pli.start_fy", pli_start, first, n)

    dva_fys = _value(_value(data, Assumptions, "reporting"), Reporting, "dva_fys")
    for i, fy in enumerate(dva_fys if isinstance(dva_fys, list) else []):
        if _is_int(fy) and inputs.ok(("reporting", "dva_fys", i)):
            problems += _year("reporting.dva_fys", fy, first, n)
    return problems


def _year(path: str, fy: int, first: int, n: int) -> list[tuple[str, str]]:
    problem = year_problem(path, fy, first, n)
    return [(path, problem)] if problem else []


def _terminal_growth_problems(data: Mapping[str, Any], inputs: _Inputs) -> list[tuple[str, str]]:
    valuation = _value(data, Assumptions, "valuation")
    method = _value(valuation, Valuation, "terminal_value_method")
    growth = _value(valuation, Valuation, "terminal_growth_rate")
    discount = _value(_value(data, Assumptions, "timeline"), Timeline, "discount_rate")
    usable = inputs.ok(
        ("valuation", "terminal_value_method"), ("valuation", "terminal_growth_rate"), ("timeline", "discount_rate")
    )
    if usable and method == "perpetuity" and _is_number(growth) and _is_number(discount) and growth >= discount:
        return [("valuation.terminal_growth_rate", f"{growth:g} must be below the discount rate {discount:g}")]
    return []

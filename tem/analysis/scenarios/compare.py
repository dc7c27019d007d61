"""Scenario comparison: any number of assumption sets side by side (DESIGN.md section 5, "Scenarios").

:func:`compare` runs each scenario and gives

* ``kpis``: one row per KPI (``dva_share_by_fy`` flattened to ``dva_share_fy30``...), a ``unit`` column, one
  column per scenario, then one column per later scenario with its difference from the first
  (``"<name> - <first>"``);
* ``statement_deltas``: the main statement lines (:data:`MAIN_LINES`) x FY, each later scenario minus the
  first (``main_lines`` holds the values themselves);
* ``assumption_diff``: every dotted path whose value differs between any two scenarios, each scenario's
  value in its raw form as written (a yearly input as its number, growth path, FY points or list; phases by
  name; ``absent`` where a scenario does not have the path, e.g. a removed phase). A yearly input counts as
  changed when its resolved path over the horizon changes, so ``52`` and ``[52, 52, ...]`` are the same.
  ``name`` and ``description`` are the scenarios' labels, not inputs, and are left out.

The bridge of a KPI between two scenarios is :func:`tem.analysis.scenarios.bridge.bridge`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import yaml

from tem.analysis.scenarios.bridge import default_group
from tem.api import run as run_model
from tem.assumptions.loader import load as load_file
from tem.assumptions.schema import Assumptions
from tem.assumptions.walk import iter_leaves
from tem.assumptions.yearly import resolve_yearly
from tem.errors import TemError
from tem.exports.manifest import jsonable
from tem.model.results import Result

MAIN_LINES = ("revenue_total", "ebitda", "capex_total", "free_cash_flow", "cumulative_free_cash_flow", "dva_share")
ABSENT = "absent"
_MISSING = object()  # a path a scenario does not have (shown as ABSENT)
LABEL_PATHS = ("name", "description")


class ComparisonError(TemError):
    """A comparison cannot be made as asked (fewer than two scenarios)."""


@dataclass(frozen=True)
class Comparison:
    """Scenarios side by side; ``names`` are unique column labels (a repeated scenario name gets " (2)")."""

    names: tuple[str, ...]
    assumptions: tuple[Assumptions, ...]
    results: tuple[Result, ...]
    kpis: pd.DataFrame
    main_lines: pd.DataFrame  # (scenario, line_item) x [label, unit, FY26, ...]
    statement_deltas: pd.DataFrame  # the same for each later scenario minus the first
    assumption_diff: pd.DataFrame  # path x [group, one column per scenario]: compact text
    assumption_values: Mapping[str, Mapping[str, Any]]  # path -> scenario -> raw value (or "absent")

    @property
    def first(self) -> str:
        return self.names[0]

    def kpi_values(self, kpi: str) -> pd.Series:
        """One KPI across the scenarios."""
        if kpi not in self.kpis.index:
            raise ComparisonError(f"unknown KPI {kpi!r}; known: {', '.join(self.kpis.index)}")
        row = self.kpis.loc[kpi, list(self.names)].to_numpy(dtype=float)
        return pd.Series(row, index=list(self.names), name=kpi, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: scenarios (name, description, files, overrides), KPIs and deltas, statement deltas by
        scenario and line, and the assumption diff with raw values."""
        fys = [c for c in self.statement_deltas.columns if c not in ("label", "unit")]
        deltas: dict[str, dict[str, dict[str, float]]] = {}
        for key, row in self.statement_deltas.iterrows():
            scenario, line = cast(tuple[str, str], key)
            deltas.setdefault(scenario, {})[line] = {str(fy): float(row[fy]) for fy in fys}
        return jsonable(
            {
                "scenarios": [
                    {
                        "name": n,
                        "scenario": a.name,
                        "description": a.description,
                        "assumption_files": [{"path": p, "sha256": h} for p, h in a.sources],
                        "overrides": a.overrides,
                    }
                    for n, a in zip(self.names, self.assumptions, strict=True)
                ],
                "kpis": {
                    k: {"unit": row["unit"], **{c: _num(row[c]) for c in self.kpis.columns if c != "unit"}}
                    for k, row in self.kpis.iterrows()
                },
                "statement_deltas": deltas,
                "assumption_diff": [
                    {"path": p, "group": self.assumption_diff.loc[p, "group"], "values": dict(v)}
                    for p, v in self.assumption_values.items()
                ],
            }
        )


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def unique_names(names: Sequence[str]) -> tuple[str, ...]:
    """Scenario names made unique for column labels: the second 'base' becomes 'base (2)'."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return tuple(out)


def kpi_unit(key: str) -> str:
    """Unit of a KPI from its stable key."""
    if key in ("irr", "mirr", "equity_irr") or key.startswith("dva_share"):
        return "fraction"
    if key.endswith("_fy"):
        return "FY"
    if key.endswith("_years"):
        return "years"
    for suffix, unit in (
        ("_inr_cr", "INR crore"),
        ("_inr_per_kwh", "INR/kWh"),
        ("_usd_per_kwh", "USD/kWh"),
        ("_usd_m", "USD million"),
        ("_gwh", "GWh"),
    ):
        if key.endswith(suffix):
            return unit
    return ""


def flat_kpis(result: Result) -> dict[str, float]:
    """A result's KPIs as floats (None -> NaN), ``dva_share_by_fy`` flattened to ``dva_share_fy30``..."""
    out: dict[str, float] = {}
    for key, value in result.kpis.items():
        if key == "dva_share_by_fy":
            for fy, share in value.items():
                out[f"dva_share_{fy.lower()}"] = math.nan if share is None else float(share)
        else:
            out[key] = math.nan if value is None else float(value)
    return out


def kpi_table(results: Sequence[Result], names: Sequence[str]) -> pd.DataFrame:
    """KPIs (rows) x [unit, each scenario, each later scenario minus the first]."""
    flat = [flat_kpis(r) for r in results]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    frame = pd.DataFrame({n: [f.get(k, math.nan) for k in keys] for n, f in zip(names, flat, strict=True)}, index=keys)
    for n in names[1:]:
        frame[f"{n} - {names[0]}"] = frame[n] - frame[names[0]]
    frame.insert(0, "unit", [kpi_unit(k) for k in keys])
    frame.index.name = "kpi"
    return frame


def main_lines(results: Sequence[Result], names: Sequence[str], lines: Sequence[str] = MAIN_LINES) -> pd.DataFrame:
    """The given statement lines of every scenario: (scenario, line_item) x [label, unit, FY...]."""
    frames = [r.statement.loc[list(lines)] for r in results]
    return pd.concat(frames, keys=list(names), names=["scenario", "line_item"])


def statement_deltas(results: Sequence[Result], names: Sequence[str], lines: Sequence[str] = MAIN_LINES) -> pd.DataFrame:
    """Each later scenario's statement lines minus the first's: (scenario, line_item) x [label, unit, FY...].
    FYs that only one of the two scenarios has are NaN."""
    first = results[0].statement.loc[list(lines)]
    frames = []
    for r in results[1:]:
        own = r.statement.loc[list(lines)]
        fys = list(dict.fromkeys([c for c in first.columns if c not in ("label", "unit")] + list(own.columns[2:])))
        delta = own.reindex(columns=fys).astype(float) - first.reindex(columns=fys).astype(float)
        frames.append(pd.concat([own[["label", "unit"]], delta], axis=1))
    if not frames:
        return pd.DataFrame(columns=["label", "unit"], index=pd.MultiIndex.from_tuples([], names=["scenario", "line_item"]))
    return pd.concat(frames, keys=list(names[1:]), names=["scenario", "line_item"])


def _leaves(a: Assumptions) -> dict[str, tuple[Any, bool]]:
    """Path -> (raw value as written, is a yearly input), every leaf but the labels. A phase's gate is one leaf,
    ``capex.phases.<phase>.gate`` (the whole gate, or null without one): a bridge switches a gate on or off as a
    whole (``gate.enabled``), and gates that differ otherwise cannot be bridged."""
    out = {
        leaf.path: (jsonable(leaf.value), leaf.yearly_bound is not None)
        for leaf in iter_leaves(a)
        if leaf.path not in LABEL_PATHS and ".gate." not in leaf.path
    }
    for ph in a.capex.phases:
        gate = None if ph.gate is None else ph.gate.model_dump(exclude_none=True)
        out[f"capex.phases.{ph.name}.gate"] = (jsonable(gate), False)
    return out


def _same(values: Sequence[Any], yearly: bool, timelines: Sequence[tuple[int, int]]) -> bool:
    if any(v is _MISSING for v in values):
        return all(v is _MISSING for v in values)
    if yearly and len(set(timelines)) == 1 and all(v is not None for v in values):
        first_fy, n = timelines[0]
        paths = [resolve_yearly(v, first_fy, n) for v in values]
        return all(np.array_equal(paths[0], p) for p in paths[1:])
    return all(v == values[0] for v in values[1:])


def compact(value: Any) -> str:
    """A value in one line of YAML flow style: ``{FY26: 52.0, FY30: 46.0, interpolation: linear}``, ``0.125``,
    ``null``."""
    if isinstance(value, float):
        return f"{value:.10g}"
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=True).strip()
    return text.removesuffix("...").strip()


def assumption_diff(
    assumptions: Sequence[Assumptions], names: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Paths whose value differs between any two scenarios: (path x [group, value text per scenario],
    path -> scenario -> raw value or ``"absent"``)."""
    leaves = [_leaves(a) for a in assumptions]
    timelines = [(a.timeline.first_fy, a.timeline.horizon_years) for a in assumptions]
    paths = list(dict.fromkeys(p for lv in leaves for p in lv))
    raw: dict[str, dict[str, Any]] = {}
    text: dict[str, list[str]] = {}
    for path in paths:
        values = [lv[path][0] if path in lv else _MISSING for lv in leaves]
        yearly = any(lv[path][1] for lv in leaves if path in lv)
        if not _same(values, yearly, timelines):
            raw[path] = {n: ABSENT if v is _MISSING else v for n, v in zip(names, values, strict=True)}
            text[path] = [ABSENT if v is _MISSING else compact(v) for v in values]
    frame = pd.DataFrame(
        {
            "group": [default_group(p) for p in raw],
            **{n: [text[p][i] for p in raw] for i, n in enumerate(names)},
        },
        index=pd.Index(list(raw), name="path"),
        dtype=object,
    )
    return frame, raw


def _load_all(items: Sequence[Assumptions | str | Path], overrides: Mapping[str, Any] | None) -> list[Assumptions]:
    return [x if isinstance(x, Assumptions) else load_file(Path(x), overrides) for x in items]


def compare(
    paths_or_assumptions: Sequence[Assumptions | str | Path], overrides: Mapping[str, Any] | None = None
) -> Comparison:
    """Run two or more scenarios and put them side by side, each against the first.

    Items are assumption sets or files (``overrides`` apply to the files; a loaded set is used as it is).
    Raises :class:`tem.AssumptionError` for a bad file and :class:`ComparisonError` for fewer than two items.
    """
    items = list(paths_or_assumptions)
    if len(items) < 2:
        raise ComparisonError(f"compare needs at least two scenarios, got {len(items)}")
    loaded = _load_all(items, overrides)
    results = [run_model(a) for a in loaded]
    names = unique_names([a.name for a in loaded])
    diff, raw = assumption_diff(loaded, names)
    return Comparison(
        names=names,
        assumptions=tuple(loaded),
        results=tuple(results),
        kpis=kpi_table(results, names),
        main_lines=main_lines(results, names),
        statement_deltas=statement_deltas(results, names),
        assumption_diff=diff,
        assumption_values=raw,
    )

"""Sweep specifications (assumptions/sweeps/*.yaml) and how a parameter setting becomes batch values.

A parameter names an input by dotted path and gives ``low`` and ``high``: absolute numbers (for a yearly input,
the first-year value, the whole path rescaled with it), or relative strings such as ``"-20%"`` (the whole value
or path multiplied by 0.8). Fiscal-year inputs (``..._fy``) take absolute years only.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from tem import catalogue
from tem.analysis.specio import RuleProblems, SpecProblems, parse_relative
from tem.assumptions.fields import Label, StrictModel
from tem.errors import BatchInputError
from tem.model.batch_inputs import with_values
from tem.model.inputs import FIXED_IN_A_BATCH, Inputs

KPI_DEFAULT = ["npv_inr_cr", "levelized_pack_cost_inr_per_kwh", "incremental_npv_vs_import_inr_cr"]


def _check_level(value: float | str) -> float | str:
    if isinstance(value, str) and parse_relative(value) is None:
        raise ValueError(f"{value!r} is neither a number nor a relative change like '-20%' or '+15%'")
    return value


class SweepParameter(StrictModel):
    path: str = Field(..., min_length=1, description="Dotted path of an input.")
    label: Label | None = Field(None, description="Name shown in tables and charts.")
    low: float | str = Field(..., description="Absolute value, or a relative change like '-20%'.")
    high: float | str = Field(..., description="Absolute value, or a relative change like '+20%'.")

    _low = field_validator("low")(classmethod(lambda cls, v: _check_level(v)))
    _high = field_validator("high")(classmethod(lambda cls, v: _check_level(v)))

    @property
    def name(self) -> str:
        return self.label or self.path


class SweepSpec(StrictModel):
    kpis: list[str] = Field(default_factory=lambda: list(KPI_DEFAULT), min_length=1, description="KPIs to report.")
    parameters: list[SweepParameter] = Field(..., min_length=1, max_length=60)
    multipliers: list[str] = Field(
        default_factory=lambda: ["-30%", "-20%", "-10%", "0%", "+10%", "+20%", "+30%"],
        min_length=2,
        description="Spider: relative changes applied to every non-FY parameter.",
    )

    @field_validator("multipliers")
    @classmethod
    def _relative(cls, values: list[str]) -> list[str]:
        for v in values:
            if parse_relative(v) is None:
                raise ValueError(f"{v!r} is not a relative change like '-30%'")
        return values

    _source: str | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _unique(self, info: ValidationInfo) -> SweepSpec:
        self._source = (info.context or {}).get("file") if info is not None else None
        paths = [p.path for p in self.parameters]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        if dupes:
            raise RuleProblems([("parameters", f"parameters listed twice: {dupes}")])
        return self

    @property
    def source(self) -> str | None:
        """The file this spec was read from (None when built in Python)."""
        return self._source


@dataclass(frozen=True)
class Setting:
    """One input at one level: batch ``values`` or ``scales`` for :func:`tem.model.engine.run_batch_inputs`."""

    path: str
    mode: str  # "value" | "scale"
    number: float


def is_year(path: str) -> bool:
    return path.endswith("_fy")


def unknown_path(inp: Inputs, path: str) -> str | None:
    """Why ``path`` cannot be varied (not an input, with a suggestion; or fixed for a batch); None if it can."""
    if path in FIXED_IN_A_BATCH:
        return f"{path} cannot vary: {FIXED_IN_A_BATCH[path]}"
    if path in inp.arrays:
        return None
    hint = difflib.get_close_matches(path, list(inp.arrays), n=1, cutoff=0.6)
    return f"unknown input path {path!r}" + (
        f"; did you mean {hint[0]!r}?" if hint else " (paths of optional inputs exist only when set; see `tem schema`)"
    )


def _level_text(level: float | str) -> str:
    return f"{level:g}" if isinstance(level, float) else repr(level)


def check_sweep(spec: SweepSpec, inp: Inputs) -> None:
    """``spec`` checked against an assumption set before anything runs: every path exists and may vary, and
    every low and high is allowed there (the batch's own rules: bounds, whole years within the horizon).
    AssumptionError names the spec file, line and dotted path of each problem."""
    from tem.model.engine import check_batch_timing

    out = SpecProblems(spec.source, "<sweep spec>")
    for i, p in enumerate(spec.parameters):
        where = f"parameters.{i}"
        why = unknown_path(inp, p.path)
        if why:
            out.add(f"{where}.path", why)
            continue
        shown: dict[str, float] = {}
        for key in ("low", "high"):
            level = getattr(p, key)
            try:
                s = setting(inp, p.path, level)
                values, scales = ({p.path: [s.number]}, {}) if s.mode == "value" else ({}, {p.path: [s.number]})
                check_batch_timing(with_values(inp, values, scales))  # e.g. a year when a gate can un-spend
                shown[key] = describe(inp, s)
            except BatchInputError as exc:
                entry = "" if p.path in str(exc) else f" (the entry for {p.path})"
                out.add(f"{where}.{key}", f"{_level_text(level)}: {exc}{entry}")
        if len(shown) == 2 and shown["low"] > shown["high"]:
            relative = isinstance(p.low, str) or isinstance(p.high, str)
            amounts = f" (values {shown['low']:g} and {shown['high']:g})" if relative else ""
            out.add(
                f"{where}.high",
                f"high {_level_text(p.high)} is below low {_level_text(p.low)}{amounts}; write the lower value as "
                f"low (the entry for {p.path})",
            )
    out.raise_if_any()


def check_kpis(spec: SweepSpec, requested: Sequence[str] | None, names: Sequence[str], source: str = "kpis") -> None:
    """Every KPI asked for exists: those of the spec (``requested`` None) are reported at their line of the spec
    file (AssumptionError), those asked for by the caller as BatchInputError naming ``source`` (e.g. '--kpi')."""
    known = list(names)
    if requested is not None:
        bad = [k for k in requested if k not in known]
        if bad:
            raise BatchInputError(f"{source}: {catalogue.unknown_kpi(bad[0], known)}")
        return
    out = SpecProblems(spec.source, "<sweep spec>")
    for j, k in enumerate(spec.kpis):
        if k not in known:
            hint = difflib.get_close_matches(k, known, n=1, cutoff=0.6)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; KPIs are {sorted(known)}"
            out.add(f"kpis.{j}", f"unknown KPI {k!r}{suggestion}")
    out.raise_if_any()


def setting(inp: Inputs, path: str, level: float | str) -> Setting:
    """How ``level`` (absolute or relative) applies to the input at ``path``."""
    why = unknown_path(inp, path)
    if why:
        raise BatchInputError(why)
    if isinstance(level, str):
        rel = parse_relative(level)
        assert rel is not None
        if is_year(path):
            raise BatchInputError(f"{path}: a fiscal year takes an absolute year (e.g. 2031), not {level!r}")
        return Setting(path, "scale", 1.0 + rel)
    return Setting(path, "value", float(level))


def base_value(inp: Inputs, path: str) -> float:
    """The base case's value of a scalar input, or the first-year value of a yearly path."""
    return float(inp.arrays[path].reshape(-1)[0])


def describe(inp: Inputs, s: Setting) -> float:
    """The input value a setting gives (first-year value for yearly paths)."""
    return base_value(inp, s.path) * s.number if s.mode == "scale" else s.number


def batch_arrays(inp: Inputs, settings: list[list[Setting]]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-scenario settings (one list per scenario) -> ``values`` and ``scales`` arrays of length S.

    Paths not set in a scenario keep their base value (value = base, scale = 1).
    """
    n = len(settings)
    values: dict[str, np.ndarray] = {}
    scales: dict[str, np.ndarray] = {}
    for i, scenario in enumerate(settings):
        for s in scenario:
            if s.mode == "scale":
                scales.setdefault(s.path, np.ones(n))[i] = s.number
            else:
                values.setdefault(s.path, np.full(n, base_value(inp, s.path)))[i] = s.number
    return values, scales

"""Monte Carlo specification (``assumptions/montecarlo.yaml``): which inputs are uncertain, how, and how they
move together.

Each uncertain input names an input by dotted path, a ``distribution`` with its parameters and a ``mode``:

* ``value`` (default): the number drawn is the input's value: a scalar input, or the first-year value of a
  yearly path (the whole path is rescaled with it, keeping its shape), or every year's value of a list such as
  a ramp (the list made flat; relative values are relative to its first value). For a yearly input, a ``discrete``
  distribution may also list whole yearly paths (``{FY26: 0.05, FY29: 0.10}``) as its values; the path drawn
  replaces the input (its sample column then holds the path's average over the horizon);
* ``scale``: the number drawn multiplies the input (a whole yearly path or list at once); 1 = base case;
* ``drift``: for a yearly input, the number drawn is an extra growth rate per year applied on top of the base
  path: ``path_t x (1 + g)^t`` with t = 0 in the first year (so the first year is unchanged); 0 = base case.

Parameters are absolute numbers in those units, or strings relative to the base case:

* ``low``, ``likely``, ``high``, ``mean`` and discrete ``values``: ``"-20%"`` means the base value x 0.8 in
  ``value`` mode and a multiplier of 0.8 in ``scale`` mode;
* ``sd``: ``"10%"`` means 10% of the base value (``value`` mode) or 0.1 (``scale`` mode);
* in ``drift`` mode a percent string is a growth rate: ``"+1.5%"`` = 0.015 a year.

Fiscal-year inputs (``..._fy``) and other whole-number inputs take a ``discrete`` distribution of absolute whole
numbers; true/false inputs a ``discrete`` over 0 and 1.

Loading is in two steps: :func:`tem.analysis.specio.load_spec` checks the file's form (types, unknown keys,
parameters that a distribution needs or does not take, probabilities), then
:func:`tem.analysis.montecarlo.resolve.resolve_spec` checks it
against an assumption set (paths exist, parameters consistent once made absolute, values within the input's
allowed range, KPIs exist) and reports every problem with file, line and path.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from tem.analysis.montecarlo.distributions import PARAMETERS, discrete_problems
from tem.analysis.specio import RuleProblems, load_spec, parse_relative
from tem.assumptions.fields import Label, Note, StrictModel
from tem.assumptions.yearly import check_yearly_form

KPI_DEFAULT = [
    "npv_inr_cr",
    "incremental_npv_vs_import_inr_cr",
    "irr",
    "levelized_pack_cost_usd_per_kwh",
    "levelized_cell_cost_usd_per_kwh",
    "peak_funding_inr_cr",
    "cumulative_forex_saved_usd_m",
]
STRUCTURAL = {
    "timeline.first_fy": "the first fiscal year is fixed for a batch",
    "timeline.horizon_years": "the horizon is fixed for a batch",
}
MIN_SCENARIOS = 10  # the fewest scenarios of any run (more with correlations: min_scenarios)
Number = float | str
PathOption = list[float] | dict[str, float | str]


def _relative_ok(v: Any) -> bool:
    return not isinstance(v, str) or parse_relative(v) is not None


class UncertainInput(StrictModel):
    """One uncertain input and its distribution."""

    path: str = Field(..., min_length=1, description="Dotted path of an input, as in --set.")
    label: Label | None = Field(None, description="Name shown in tables and charts (default: the path).")
    mode: Literal["value", "scale", "drift"] = Field("value", description="What the number drawn means (see above).")
    distribution: Literal["uniform", "triangular", "pert", "normal", "truncated_normal", "lognormal", "discrete"]
    low: Number | None = None
    likely: Number | None = Field(None, description="Most likely value (triangular, PERT).")
    high: Number | None = None
    mean: Number | None = None
    sd: Number | None = Field(None, description="Standard deviation.")
    values: list[Number | PathOption] | None = Field(None, description="Discrete: the possible values.")
    probabilities: list[float] | None = Field(None, description="Discrete: one probability per value; sum 1.")
    source: Note | None = Field(None, description="Where the range comes from (shown in the Inputs sheet).")

    @property
    def name(self) -> str:
        return self.label or self.path

    @model_validator(mode="after")
    def _parameters(self) -> UncertainInput:
        kind = self.distribution
        needed = PARAMETERS[kind]
        given = {
            k for k in ("low", "likely", "high", "mean", "sd", "values", "probabilities") if getattr(self, k) is not None
        }
        problems: list[tuple[str, str]] = []  # all at the entry: its path is named with each
        missing = [k for k in needed if k not in given]
        extra = sorted(given - set(needed))
        if missing:
            problems.append(("", f"{kind} needs {', '.join(needed)}; missing {', '.join(missing)}"))
        if extra:
            problems.append(("", f"{kind} takes {', '.join(needed)}; {', '.join(extra)} does not apply"))
        for k in ("low", "likely", "high", "mean", "sd"):
            v = getattr(self, k)
            if not _relative_ok(v):
                problems.append(("", f"{k} = {v!r} is neither a number nor a relative change like '-20%' or '+15%'"))
        if isinstance(self.sd, (int, float)) and not self.sd > 0:
            problems.append(("", f"sd = {self.sd:g} must be > 0"))
        if isinstance(self.sd, str) and (parse_relative(self.sd) or 0.0) <= 0:
            problems.append(("", f"sd = {self.sd!r} must be a positive share of the base value, e.g. '10%'"))
        if kind == "discrete" and self.values is not None and self.probabilities is not None:
            for v in self.values:
                if isinstance(v, str) and not _relative_ok(v):
                    problems.append(("", f"value {v!r} is neither a number nor a relative change like '-20%'"))
                if isinstance(v, (list, dict)):
                    if self.mode != "value":
                        problems.append(("", f"a yearly path as a discrete value needs mode: value (not {self.mode})"))
                    problems += [("", f"value {v!r}: {p}") for p in check_yearly_form(v)]
            problems += [("", p) for p in discrete_problems(self.values, self.probabilities)]
        if problems:
            raise RuleProblems(problems)
        return self


class RankCorrelation(StrictModel):
    """A Spearman rank correlation between two uncertain inputs."""

    between: list[str] = Field(..., min_length=2, max_length=2, description="The two input paths.")
    rank: float = Field(..., ge=-1.0, le=1.0, description="Target Spearman rank correlation in [-1, 1].")
    source: Note | None = Field(None, description="Why these move together.")

    @field_validator("between")
    @classmethod
    def _distinct(cls, pair: list[str]) -> list[str]:
        if pair[0] == pair[1]:
            raise ValueError(f"an input cannot be correlated with itself ({pair[0]!r})")
        return pair


class MonteCarloSpec(StrictModel):
    """The whole Monte Carlo specification."""

    n: int = Field(
        10_000,
        le=10_000_000,
        description="Number of scenarios (at least 10, and more than inputs + 1 with correlations; up to 10^7: about "
        "4 GB, streamed).",
    )
    seed: int = Field(20_260_401, ge=0, description="Seed of the random numbers: the same seed, the same samples.")
    sampling: Literal["lhs", "random"] = Field("lhs", description="Latin hypercube or plain random sampling.")
    kpis: list[str] = Field(default_factory=lambda: list(KPI_DEFAULT), min_length=1, description="KPIs to report.")
    inputs: list[UncertainInput] = Field(..., min_length=1, max_length=200)
    correlations: list[RankCorrelation] = Field(default_factory=list)
    sobol_n_base: int | None = Field(None, ge=8, le=1_048_576, description="Base N of a Sobol analysis (power of 2).")
    _source: str | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> MonteCarloSpec:
        self._source = (info.context or {}).get("file") if info is not None else None
        problems: list[tuple[str, str]] = []
        paths = [i.path for i in self.inputs]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        if dupes:
            problems.append(("inputs", f"inputs listed more than once: {', '.join(dupes)}"))
        kdupes = sorted({k for k in self.kpis if self.kpis.count(k) > 1})
        if kdupes:
            problems.append(("kpis", f"kpis listed more than once: {', '.join(kdupes)}"))
        seen: dict[frozenset[str], int] = {}
        for i, c in enumerate(self.correlations):
            for p in c.between:
                if p not in paths:
                    hint = difflib.get_close_matches(p, paths, n=1, cutoff=0.6)
                    problems.append(
                        (
                            f"correlations.{i}.between",
                            f"{p!r} is not among the uncertain inputs" + (f"; did you mean {hint[0]!r}?" if hint else ""),
                        )
                    )
            key = frozenset(c.between)
            if key in seen:
                problems.append(
                    (f"correlations.{i}.between", f"the pair {c.between} is already given in correlations.{seen[key]}")
                )
            seen.setdefault(key, i)
        least = min_scenarios(self)
        if self.n < least:
            problems.append(("n", f"n = {self.n} is too few: at least {least:,} ({_why_least(self)})"))
        if self.sobol_n_base is not None and self.sobol_n_base & (self.sobol_n_base - 1):
            problems.append(("sobol_n_base", f"sobol_n_base = {self.sobol_n_base} must be a power of 2 (e.g. 1024)"))
        if problems:
            raise RuleProblems(problems)
        return self

    def allowed(self, field: str) -> str | None:
        """What ``field`` allows under the rules of this spec, in words, for a value given as an option (``--n``);
        None: the field's type and bounds say it (:func:`tem.analysis.specio.field_allowed`)."""
        if field == "n":
            return f"a whole number from {min_scenarios(self):,} to {_bound('n', 'le'):,} ({_why_least(self)})"
        if field == "sobol_n_base":
            return f"a power of 2 from {_bound(field, 'ge'):,} to {_bound(field, 'le'):,} (e.g. 1,024)"
        return None

    @property
    def source(self) -> str | None:
        """The file this spec was read from (None when built in Python)."""
        return self._source


def _bound(field: str, kind: str) -> int:
    """A bound (``ge``, ``le``) of a field of :class:`MonteCarloSpec`, as declared there."""
    return int(next(getattr(m, kind) for m in MonteCarloSpec.model_fields[field].metadata if hasattr(m, kind)))


def _why_least(spec: MonteCarloSpec) -> str:
    """Why ``spec`` needs at least :func:`min_scenarios` scenarios."""
    if min_scenarios(spec) > MIN_SCENARIOS:
        return f"correlated sampling needs more scenarios than inputs + 1 ({len(spec.inputs) + 1})"
    return "fewer scenarios say nothing about a distribution"


def min_scenarios(spec: MonteCarloSpec) -> int:
    """The fewest scenarios ``spec`` allows: 10, and inputs + 2 when it correlates inputs (Iman-Conover needs
    more scenarios than inputs + 1)."""
    return max(MIN_SCENARIOS, len(spec.inputs) + 2) if spec.correlations else MIN_SCENARIOS


PYTHON_OPTIONS = {"n": "n", "seed": "seed", "sobol_n_base": "n_base"}  # the argument of montecarlo()/sobol() given
CLI_OPTIONS = {"n": "--n", "seed": "--seed", "sobol_n_base": "--sobol"}


def load_montecarlo_spec(path: str | Path) -> MonteCarloSpec:
    """Read and check the form of a Monte Carlo spec file (AssumptionError listing every problem)."""
    return load_spec(path, MonteCarloSpec)

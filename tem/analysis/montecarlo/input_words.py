"""An uncertain input as the montecarlo.xlsx Inputs sheet shows it (review D6): the kind of the number drawn, its
unit in words, the mode in words, and the distribution's parameters in that unit (``PERT(low -10.0%, likely -3.0%,
high 3.0%)``, never ``pert(low=-0.1, ...)``)."""

from __future__ import annotations

from typing import Any

from tem import catalogue
from tem.assumptions.input_kinds import input_kind

MODE_WORDS = {
    "value": "input's value",
    "scale": "multiplier of the base",
    "drift": "extra growth a year",
}
DISTRIBUTION_WORDS = {"pert": "PERT", "uniform": "Uniform", "triangular": "Triangular", "normal": "Normal"}
SPREADS = {"sd"}  # parameters that are a spread (a difference), not a level


def number_kind(path: str, mode: str) -> str | None:
    """The catalogue kind of the number drawn: the input's own in ``value`` mode, a growth rate in ``drift`` mode,
    a multiplier (``factor``) in ``scale`` mode."""
    return input_kind(path) if mode == "value" else ("rate" if mode == "drift" else "factor")


def unit_words(kind: str | None) -> str:
    """The unit of the number drawn in words: ``%``, ``USD/kWh``, ``FY``, ``x base`` for a multiplier, ``""`` for a
    plain number."""
    if kind is None:
        return ""
    if kind == "factor":
        return "x base"
    return catalogue.KINDS[kind].unit


def mode_words(mode: str) -> str:
    return MODE_WORDS.get(mode, mode)


def parameters_words(r: Any) -> str:
    """The distribution of resolved input ``r`` with its parameters in the number's unit; a choice of yearly paths
    as each path's horizon average and its probability."""
    kind = number_kind(r.path, r.mode)
    d = r.distribution
    if r.options is not None:
        pairs = ", ".join(
            f"{catalogue.format_kind(kind, float(m), with_unit=True)}: {100.0 * p:.4g}%"
            for m, p in zip(r.option_means, d.probabilities, strict=True)
        )
        return f"Discrete yearly paths (horizon average: probability): {pairs}"
    if d.values is not None and d.probabilities is not None:
        pairs = ", ".join(
            f"{catalogue.format_kind(kind, float(v), with_unit=True)}: {100.0 * p:.4g}%"
            for v, p in zip(d.values, d.probabilities, strict=True)
        )
        return f"Discrete({pairs})"
    name = DISTRIBUTION_WORDS.get(d.kind, d.kind)
    shown = [
        f"{k} "
        + (
            catalogue.kind_difference(kind, float(v), signed=False, with_unit=True)
            if k in SPREADS
            else catalogue.format_kind(kind, float(v), with_unit=True)
        )
        for k, v in d.parameters.items()
    ]
    return f"{name}({', '.join(shown)})"

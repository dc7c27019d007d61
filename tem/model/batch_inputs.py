"""Batches of scenarios over one :class:`~tem.model.inputs.Inputs`: per-scenario values and multipliers for any
input path (checked against the loader's bounds and year rules), and slices of a batch.

Arrays not given stay at ``S = 1`` and broadcast, so a batch costs memory only for what varies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from tem.assumptions.checks import year_problem
from tem.assumptions.fields import bound_problem
from tem.errors import BatchInputError
from tem.model.inputs import FIXED_IN_A_BATCH, NEVER_FY, Inputs, unknown_path


def _check_bounds(path: str, arr: np.ndarray, bounds: tuple[float | None, float | None]) -> None:
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].flat[0]
        raise BatchInputError(f"{path}: {bad} is not a finite number")
    lo, hi = bounds
    if lo is not None and np.any(arr < lo):
        x = float(arr[arr < lo].flat[0])
        raise BatchInputError(f"{path}: {x:g} is below the allowed minimum {lo:g}")
    if hi is not None and np.any(arr > hi):
        x = float(arr[arr > hi].flat[0])
        kinds: dict[tuple[float | None, float], str] = {(0.0, 1.0): "share", (-1.0, 1.0): "rate"}
        kind = kinds.get((lo, hi))  # the assumption file's words for it
        msg = (bound_problem(x, kind) if kind else None) or f"{x:g} is above the allowed maximum {hi:g}"
        raise BatchInputError(f"{path}: {msg}")


def is_fiscal_year(path: str) -> bool:
    """Whether the input at ``path`` is a fiscal year (its name ends in ``_fy``)."""
    return path.endswith("_fy")


def year_value_problem(inputs: Inputs, path: str, fy: float) -> str | None:
    """Why the fiscal year ``fy`` is not allowed at ``path`` in this batch's horizon (the loader's rule,
    :func:`tem.assumptions.checks.year_problem`); None when it is allowed."""
    if path == "transition.local_cells_start_fy" and fy == NEVER_FY:
        return None
    spend = inputs.arrays.get(path.rpartition(".")[0] + ".spend_profile")
    pli = inputs.arrays.get("cells.local.pli.enabled")
    return year_problem(
        path,
        float(fy),
        inputs.structure.first_fy,
        inputs.structure.n_years,
        spend_years=1 if spend is None else int(spend.shape[-1]),
        pli_enabled=pli is None or bool(np.any(pli)),
    )


def _check_years(inputs: Inputs, path: str, arr: np.ndarray) -> None:
    if path in FIXED_IN_A_BATCH:
        raise BatchInputError(f"{path} cannot vary in a batch: {FIXED_IN_A_BATCH[path]}")
    if is_fiscal_year(path):
        for fy in np.unique(arr[np.isfinite(arr)]):
            problem = year_value_problem(inputs, path, float(fy))
            if problem:
                raise BatchInputError(f"{path}: {problem}")


def with_values(
    inputs: Inputs,
    values: Mapping[str, Any] | None = None,
    scales: Mapping[str, Any] | None = None,
) -> Inputs:
    """A batch of S scenarios from per-scenario values and multipliers (inputs are not modified).

    ``values[path]``: shape ``(S,)`` sets a scalar per scenario; for a yearly input it rescales the whole
    base path so that its first year equals the value (``path * (v / path[0])``, and exactly ``v`` in every year
    whose base value equals the first year's: a flat path is the value itself); for a list (a ramp) it makes
    the list flat at that value; shape ``(S, T)`` replaces a yearly path; ``(S, L)`` replaces a list.
    ``scales[path]``: shape ``(S,)`` multiplies any input (a whole yearly path at once). All given arrays must
    share one S.
    """
    arrays = dict(inputs.arrays)
    n_s = None
    T = inputs.structure.n_years
    for mode, mapping in (("values", values or {}), ("scales", scales or {})):
        for path, raw in mapping.items():
            if path not in arrays:
                raise BatchInputError(unknown_path(path, arrays) + " (paths of optional inputs exist only when set)")
            arr = np.asarray(raw, dtype=float)
            if arr.ndim == 0:
                arr = arr[None]
            s = arr.shape[0]
            if n_s is None:
                n_s = s
            elif s != n_s:
                raise BatchInputError(f"{path}: {s} scenarios, but other paths give {n_s}; all must have the same S")
            base = inputs.arrays[path]
            kind = inputs.kinds[path]
            if mode == "scales":
                base = arrays[path]  # a path may also have been given values: scale those
                if arr.ndim != 1:
                    raise BatchInputError(f"{path}: scales must have shape (S,), got {arr.shape}")
                new = base * arr[:, None]
            elif arr.ndim == 1 and kind == "scalar":
                new = arr[:, None]
            elif arr.ndim == 1 and kind == "list":
                new = arr[:, None]  # one value per scenario: a flat list (e.g. a constant yield)
            elif arr.ndim == 1 and kind == "yearly":
                ref = float(base[0, 0])
                if ref == 0.0:
                    raise BatchInputError(
                        f"{path}: the base path starts at 0, so it cannot be rescaled to a first-year value; "
                        "give a full (S, T) path or use scales"
                    )
                # the years at the first year's value get the value itself: ref * (v / ref) can miss v by one
                # bit, and a flat path given one value must be the run of that value (``--set path=v``), bit for bit
                new = np.where(base == ref, arr[:, None], base * (arr[:, None] / ref))
            elif (arr.ndim == 2 and kind == "yearly" and arr.shape[1] == T) or (arr.ndim == 2 and kind == "list"):
                new = arr
            else:
                raise BatchInputError(f"{path}: shape {arr.shape} does not fit a {kind} input (horizon {T} years)")
            _check_bounds(path, new, inputs.bounds.get(path, (None, None)))
            _check_years(inputs, path, new)
            arrays[path] = new
    return replace(inputs, arrays=arrays, n_scenarios=n_s or inputs.n_scenarios)


def batch_size(inputs: Inputs, values: Mapping[str, Any] | None = None, scales: Mapping[str, Any] | None = None) -> int:
    """The S that :func:`with_values` would give (checked the same way: known paths, one S for all), without
    building the batch."""
    n_s = None
    for mapping in (values or {}, scales or {}):
        for path, raw in mapping.items():
            if path not in inputs.arrays:
                raise BatchInputError(unknown_path(path, inputs.arrays) + " (paths of optional inputs exist only when set)")
            shape = np.shape(raw)
            s = shape[0] if shape else 1
            if n_s is None:
                n_s = s
            elif s != n_s:
                raise BatchInputError(f"{path}: {s} scenarios, but other paths give {n_s}; all must have the same S")
    return inputs.n_scenarios if n_s is None else n_s


def rows_of(mapping: Mapping[str, Any] | None, start: int, stop: int) -> dict[str, Any]:
    """Scenarios ``start:stop`` of per-scenario values or scales (a scalar applies to every scenario)."""
    return {p: (v[start:stop] if np.ndim(v) else v) for p, v in (mapping or {}).items()}


def select_scenarios(inputs: Inputs, rows: np.ndarray) -> Inputs:
    """The scenarios at indices ``rows`` of a batch (arrays at S = 1 are shared, not copied)."""
    arrays = {p: (a[rows] if a.shape[0] > 1 else a) for p, a in inputs.arrays.items()}
    return replace(inputs, arrays=arrays, n_scenarios=int(rows.size))


def take_scenarios(inputs: Inputs, start: int, stop: int) -> Inputs:
    """Scenarios ``start:stop`` of a batch (arrays at S = 1 are shared, not copied)."""
    arrays = {p: (a[start:stop] if a.shape[0] > 1 else a) for p, a in inputs.arrays.items()}
    return replace(inputs, arrays=arrays, n_scenarios=stop - start)

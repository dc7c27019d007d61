"""A sweep of one gate threshold under uncertainty, in one batch: which threshold maximises expected NPV?

The Monte Carlo draws (the spec's inputs, seed and N) are made once and repeated for every threshold, so each
threshold sees the same scenarios; the whole grid (thresholds x draws) is one engine batch. Per threshold:
expected NPV (mean over the draws) with its standard error ``sd / sqrt(N)``, the probability the gate passes, and
the value of flexibility against the committed program (every gate open) on the same draws; the best threshold is
the one with the highest expected NPV (the first, if several tie).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tem.analysis.montecarlo.resolve import batch_arrays, resolve_spec
from tem.analysis.montecarlo.run import draw
from tem.analysis.montecarlo.spec import MonteCarloSpec, load_montecarlo_spec
from tem.assumptions.schema import Assumptions
from tem.errors import BatchInputError
from tem.model.batch_runtime import single_threaded_blas
from tem.model.engine import run_batch_inputs
from tem.model.inputs import build_inputs

COLUMNS = ["threshold", "expected_npv_inr_cr", "standard_error_inr_cr", "p_gate_passes", "value_of_flexibility_inr_cr"]


@dataclass(frozen=True)
class ThresholdSweep:
    path: str  # capex.phases.<phase>.gate.when.<i>.threshold
    phase: str
    n: int
    seed: int
    table: pd.DataFrame  # COLUMNS, one row per threshold
    committed_npv_inr_cr: float  # expected NPV with every gate open

    @property
    def best_threshold(self) -> float:
        return float(self.table["threshold"].to_numpy()[int(np.argmax(self.table["expected_npv_inr_cr"].to_numpy()))])


def gate_threshold_sweep(
    assumptions: Assumptions,
    spec: MonteCarloSpec | str | Path,
    path: str,
    thresholds: Sequence[float],
    n: int | None = None,
    seed: int | None = None,
) -> ThresholdSweep:
    """Expected NPV for each threshold of the gate condition at ``path`` on the same Monte Carlo draws.

    Raises :class:`tem.errors.BatchInputError` when ``path`` is not a gate threshold of ``assumptions`` or is one
    of the spec's uncertain inputs.
    """
    spec = spec if isinstance(spec, MonteCarloSpec) else load_montecarlo_spec(spec)
    inp = build_inputs(assumptions)
    parts = path.split(".")
    gates = [c.threshold_path for g in inp.structure.gates for c in g.conditions]
    if path not in gates:
        raise BatchInputError(f"{path!r} is not a gate threshold of {assumptions.name!r} (thresholds: {gates or 'none'})")
    grid = np.asarray(thresholds, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
        raise BatchInputError("give at least 2 finite thresholds")
    n = int(n if n is not None else spec.n)
    seed = int(seed if seed is not None else spec.seed)
    resolved = resolve_spec(spec.model_copy(update={"n": n}) if n != spec.n else spec, assumptions, inp)
    if path in resolved.paths:
        raise BatchInputError(f"{path!r} is uncertain in the spec; a sweep sets it")
    m = grid.size
    with single_threaded_blas():
        d = draw(resolved, n, seed, spec.sampling)
        values, scales = batch_arrays(inp, resolved, d.values)

        def tiled(a: np.ndarray) -> np.ndarray:
            return np.tile(a, (m,) + (1,) * (a.ndim - 1))

        grid_values = {k: tiled(np.asarray(v)) for k, v in values.items()} | {path: np.repeat(grid, n)}
        k = run_batch_inputs(inp, grid_values, {p: tiled(np.asarray(v)) for p, v in scales.items()})
    phase = parts[2]
    npv = k["npv_inr_cr"].reshape(m, n)
    committed = float(k["committed_npv_inr_cr"][:n].mean())
    table = pd.DataFrame(
        {
            "threshold": grid,
            "expected_npv_inr_cr": npv.mean(axis=1),
            "standard_error_inr_cr": npv.std(axis=1, ddof=1) / np.sqrt(n),
            "p_gate_passes": k[f"gate_passed_{phase}"].reshape(m, n).mean(axis=1),
            "value_of_flexibility_inr_cr": npv.mean(axis=1) - committed,
        },
        columns=COLUMNS,
    )
    return ThresholdSweep(path, phase, n, seed, table, committed)

"""A sweep of one gate threshold under uncertainty, in one batch: which threshold maximises expected NPV?

The Monte Carlo draws (the spec's inputs, seed and N) are made once and repeated for every threshold, so each
threshold sees the same scenarios (the draws of ``tem montecarlo`` with the same spec, N and seed). The draws are
made and evaluated block by block and chunk by chunk (:mod:`tem.analysis.montecarlo.stream`), every threshold on
each chunk, keeping only each scenario's NPV per threshold (8 bytes), whether the gate passed (1 byte) and the
committed NPV (8 bytes): memory is bounded by the chunk, not N x thresholds x inputs. ``executor`` (a
``dask.distributed.Client``) makes each chunk one task; the same bits, whatever the chunk size. Per threshold:
expected NPV (mean over the draws) with its standard error ``sd / sqrt(N)``, the probability the gate passes, and
the value of flexibility against the committed program (every gate open) on the same draws; the best threshold is
the one with the highest expected NPV (the first, if several tie).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tem.analysis.montecarlo.resolve import ResolvedSpec, batch_arrays, resolve_spec
from tem.analysis.montecarlo.spec import MonteCarloSpec, load_montecarlo_spec
from tem.analysis.montecarlo.stream import DESIGN_BLOCK, LOCAL_ROWS, iter_draws
from tem.assumptions.schema import Assumptions
from tem.errors import BatchInputError
from tem.model.batch_runtime import keep_freed_memory, single_threaded_blas
from tem.model.engine import DEFAULT_CHUNK_SIZE, run_batch_inputs
from tem.model.inputs import Inputs, build_inputs

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


def sweep_chunk(
    inp: Inputs,
    resolved: ResolvedSpec,
    draws: np.ndarray,
    path: str,
    grid: np.ndarray,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One chunk of draws ``(c, K)`` at every threshold: NPV ``(m, c)``, whether the gate of ``path`` passed
    ``(m, c)`` (uint8) and the committed NPV ``(c,)`` (one task when an executor runs the chunks)."""
    phase = path.split(".")[2]
    c = draws.shape[0]
    values, scales = batch_arrays(inp, resolved, draws)
    npv, passed, committed = np.empty((grid.size, c)), np.empty((grid.size, c), dtype=np.uint8), np.empty(c)
    for i, threshold in enumerate(grid):
        # NPVs and the gate's decision only: the funded view (equity, lender KPIs) is skipped, the same bits
        k = run_batch_inputs(inp, {**values, path: np.full(c, threshold)}, scales, workers=workers, funded=False)
        npv[i] = k["npv_inr_cr"]
        passed[i] = k[f"gate_passed_{phase}"]
        if i == 0:  # every gate open: the same for every threshold
            committed[:] = k["committed_npv_inr_cr"]
    return npv, passed, committed


def gate_threshold_sweep(
    assumptions: Assumptions,
    spec: MonteCarloSpec | str | Path,
    path: str,
    thresholds: Sequence[float],
    n: int | None = None,
    seed: int | None = None,
    *,
    chunk_size: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    executor: Any | None = None,
    block: int = DESIGN_BLOCK,
) -> ThresholdSweep:
    """Expected NPV for each threshold of the gate condition at ``path`` on the same Monte Carlo draws.

    Evaluated ``chunk_size`` draws at a time (default: 40,000; with ``executor``, 10,000 per task) at every
    threshold; the result does not depend on ``chunk_size`` or ``executor`` (the same bits).

    Raises :class:`tem.errors.BatchInputError` when ``path`` is not a gate threshold of ``assumptions`` or is one
    of the spec's uncertain inputs.
    """
    spec = spec if isinstance(spec, MonteCarloSpec) else load_montecarlo_spec(spec)
    inp = build_inputs(assumptions)
    parts = path.split(".")
    gates = [c.threshold_path for g in inp.structure.gates for c in g.conditions]
    if path not in gates:
        allowed = ", ".join(gates) or "none (no phase has a gate)"
        raise BatchInputError(
            f"tem montecarlo --gate-sweep: {path} is not a gate threshold of {assumptions.name}; allowed: {allowed}"
        )
    grid = np.asarray(thresholds, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
        raise BatchInputError("give at least 2 finite thresholds")
    n = int(n if n is not None else spec.n)
    seed = int(seed if seed is not None else spec.seed)
    resolved = resolve_spec(spec.model_copy(update={"n": n}) if n != spec.n else spec, assumptions, inp)
    if path in resolved.paths:
        raise BatchInputError(f"{path!r} is uncertain in the spec; a sweep sets it")
    m = grid.size
    npv, passed, committed_npv = np.empty((m, n)), np.empty((m, n), dtype=np.uint8), np.empty(n)
    keep_freed_memory()
    with single_threaded_blas():
        _, _, blocks = iter_draws(resolved, n, seed, spec.sampling, block)
        for start, draws in blocks:
            size = draws.shape[0]
            step = max(1, min(chunk_size or (DEFAULT_CHUNK_SIZE if executor is not None else LOCAL_ROWS), size))
            spans = [(lo, min(size, lo + step)) for lo in range(0, size, step)]
            if executor is not None:
                futures = [executor.submit(sweep_chunk, inp, resolved, draws[lo:hi], path, grid, 1) for lo, hi in spans]
                results = (f.result() for f in futures)
            else:
                results = (sweep_chunk(inp, resolved, draws[lo:hi], path, grid) for lo, hi in spans)
            for (lo, hi), (chunk_npv, chunk_passed, chunk_committed) in zip(spans, results, strict=True):
                npv[:, start + lo : start + hi] = chunk_npv
                passed[:, start + lo : start + hi] = chunk_passed
                committed_npv[start + lo : start + hi] = chunk_committed
                if progress is not None:
                    progress("gate_sweep", start + hi, n)
    phase = parts[2]
    committed = float(committed_npv.mean())
    table = pd.DataFrame(
        {
            "threshold": grid,
            "expected_npv_inr_cr": npv.mean(axis=1),
            "standard_error_inr_cr": npv.std(axis=1, ddof=1) / np.sqrt(n),
            # the share of 0/1 flags: an exact integer sum, whatever the order
            "p_gate_passes": passed.sum(axis=1, dtype=float) / n,
            "value_of_flexibility_inr_cr": npv.mean(axis=1) - committed,
        },
        columns=COLUMNS,
    )
    return ThresholdSweep(path, phase, n, seed, table, committed)

"""Global sensitivity: Sobol first-order and total indices with bootstrap confidence intervals (SALib).

The uncertain inputs and their distributions are those of the Monte Carlo spec, but **taken as independent**:
Sobol's variance decomposition assumes independent inputs, so the spec's rank correlations are not applied here
(with correlated inputs, read the Monte Carlo rank contributions instead). The design is SALib's Saltelli scheme
on a scrambled Sobol sequence (:func:`SALib.sample.sobol.sample`, ``N (D + 2)`` rows for D inputs without
second-order terms), drawn on the unit hypercube and mapped through each input's inverse CDF; the engine
evaluates the whole matrix in one batch, and :func:`SALib.analyze.sobol.analyze` estimates the indices
(Saltelli 2010 for S1, Jansen for ST) with ``num_resamples`` bootstrap resamples.

S1 is the share of the KPI's variance explained by the input alone; ST adds its interactions. ``*_conf`` is
the half-width of the 95% confidence interval. KPIs with missing values (e.g. IRR where none exists) or no
variance cannot be decomposed and are listed in ``skipped`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from tem.analysis.montecarlo.resolve import resolve_spec
from tem.analysis.montecarlo.run import Progress, _spec_of, evaluate_draws
from tem.analysis.montecarlo.spec import PYTHON_OPTIONS, MonteCarloSpec
from tem.analysis.specio import with_options
from tem.assumptions.schema import Assumptions
from tem.errors import BatchInputError
from tem.model.inputs import build_inputs

NUM_RESAMPLES = 100
CONF_LEVEL = 0.95
NOTE = (
    "Inputs taken as independent (Sobol indices assume independence; the spec's rank correlations are not "
    "applied). S1: first-order index; ST: total index (with interactions); *_conf: half-width of the 95% "
    "bootstrap confidence interval."
)


@dataclass(frozen=True)
class SobolResult:
    n_base: int
    n_evaluations: int
    seed: int
    indices: pd.DataFrame  # kpi, path, label, S1, S1_conf, ST, ST_conf (sorted by ST within a KPI)
    skipped: dict[str, str] = field(default_factory=dict)  # kpi -> why no indices
    note: str = NOTE


def sobol(
    assumptions: Assumptions,
    spec: MonteCarloSpec | str | Path,
    n_base: int | None = None,
    *,
    seed: int | None = None,
    kpis: Sequence[str] | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> SobolResult:
    """Sobol indices of ``kpis`` (default: the spec's) from ``n_base (D + 2)`` model evaluations.

    ``n_base`` (default: the spec's ``sobol_n_base``, else 1024) must be a power of 2.
    """
    spec = with_options(_spec_of(spec), {"sobol_n_base": n_base, "seed": seed}, PYTHON_OPTIONS)  # the file's limits
    n_base = int(spec.sobol_n_base or 1024)
    seed = spec.seed
    inp = build_inputs(assumptions)
    resolved = resolve_spec(spec, assumptions, inp)
    names = list(kpis or spec.kpis)
    unknown = [k for k in names if k not in resolved.kpi_names]
    if unknown:
        raise BatchInputError(f"unknown KPI(s) {unknown}; KPIs are {list(resolved.kpi_names)}")
    paths = resolved.paths
    problem = {"num_vars": len(paths), "names": paths, "bounds": [[0.0, 1.0]] * len(paths)}
    u = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    draws = np.column_stack([r.distribution.ppf(u[:, j]) for j, r in enumerate(resolved.inputs)])
    raw = evaluate_draws(inp, resolved, draws, chunk_size=chunk_size, progress=progress, stage="sobol")
    rows = []
    skipped: dict[str, str] = {}
    labels = {r.path: r.label for r in resolved.inputs}
    for name in names:
        y = np.asarray(raw[name], dtype=float)
        if not np.all(np.isfinite(y)):
            skipped[name] = (
                f"{int(np.sum(~np.isfinite(y)))} of {y.size} evaluations have no value (no IRR, or a year that never comes)"
            )
            continue
        if np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            skipped[name] = "the KPI does not vary with these inputs"
            continue
        res = sobol_analyze.analyze(
            problem, y, calc_second_order=False, num_resamples=NUM_RESAMPLES, conf_level=CONF_LEVEL, seed=seed
        )
        for j, path in enumerate(paths):
            rows.append(
                {
                    "kpi": name,
                    "path": path,
                    "label": labels[path],
                    "S1": float(res["S1"][j]),
                    "S1_conf": float(res["S1_conf"][j]),
                    "ST": float(res["ST"][j]),
                    "ST_conf": float(res["ST_conf"][j]),
                }
            )
    table = pd.DataFrame(rows, columns=["kpi", "path", "label", "S1", "S1_conf", "ST", "ST_conf"])
    if not table.empty:
        table["_order"] = table["kpi"].map({k: i for i, k in enumerate(names)})
        table = table.sort_values(["_order", "ST"], ascending=[True, False], kind="stable").drop(columns="_order")
        table = table.reset_index(drop=True)
    return SobolResult(n_base, int(u.shape[0]), seed, table, skipped)

"""Monte Carlo simulation of the model: distributions on any inputs, Latin hypercube or random sampling, rank
correlation (Iman-Conover), one vectorized engine evaluation, and the statistics finance teams read.

Procedure (reproducible: the same seed gives the same samples and results, whatever the chunk size):

1. the seed's :class:`numpy.random.SeedSequence` spawns two generators, one for the uniform design (Latin
   hypercube by default) and one for the Iman-Conover score permutations;
2. if correlations are given, the uniforms' columns are re-ordered so that their Spearman rank correlation
   matches the target (after checking it, and repairing it to the nearest valid matrix with a report);
3. each column goes through its distribution's inverse CDF: every sample is drawn before anything is
   evaluated;
4. the engine evaluates all N scenarios (:func:`tem.model.engine.run_batch_inputs`, chunked; each scenario's result
   does not depend on the chunking);
5. statistics: mean, standard deviation, P5/P10/P50/P90/P95 (P10 = the value 10% of scenarios fall below),
   P(NPV < 0), P(IRR < hurdle) among scenarios with an IRR, scenarios without an IRR by reason, convergence of
   the mean and P90 with N, and contributions to variance by Spearman rank correlation (squared and normalised:
   with correlated inputs these shares are indicative, not a variance decomposition).

The same seed and N give the same samples; another N gives another design (a Latin hypercube is built for its N).

Modules of this package: ``spec`` (the YAML spec), ``resolve`` (the spec checked against an assumption set),
``distributions``, ``correlation`` (checks, Higham repair, Iman-Conover), this module (sampling, evaluation, the
result), ``stats``, ``sobol`` (SALib indices), ``charts`` and ``export`` (figures, workbook, files); the command
is ``tem/cli/montecarlo.py`` (``tem montecarlo``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tem.analysis.montecarlo.correlation import (
    CorrelationRepair,
    SortedColumn,
    correlation_problems,
    iman_conover,
    nearest_correlation,
    prepare_correlation,
    rank_correlation,
    spearman_to_normal_scores,
)
from tem.analysis.montecarlo.distributions import sorted_strata, uniform_design
from tem.analysis.montecarlo.flexibility import GATE_PREFIX, Flexibility, describe_gates, flexibility_of_batch
from tem.analysis.montecarlo.resolve import ResolvedSpec, batch_arrays, resolve_spec
from tem.analysis.montecarlo.spec import PYTHON_OPTIONS, MonteCarloSpec, load_montecarlo_spec
from tem.analysis.montecarlo.stats import (
    PERCENTILES,
    convergence,
    convergence_steps,
    headline,
    kpi_unit,
    percentiles_of_sorted,
    rank_contributions,
    sort_kpis,
    summarize,
)
from tem.analysis.specio import with_options
from tem.assumptions.schema import Assumptions
from tem.model.batch_runtime import keep_freed_memory, map_columns, single_threaded_blas
from tem.model.engine import run_batch_inputs
from tem.model.inputs import Inputs, build_inputs

__all__ = [
    "PERCENTILES",
    "Draws",
    "MonteCarloResult",
    "assemble",
    "convergence",
    "convergence_steps",
    "draw",
    "evaluate_draws",
    "headline",
    "kpi_unit",
    "montecarlo",
    "rank_contributions",
    "summarize",
]

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SHORTFALL = 0.05
ALWAYS_KPIS = ("npv_inr_cr", "incremental_npv_vs_import_inr_cr", "irr", "irr_status")


@dataclass(frozen=True)
class MonteCarloResult:
    """Everything a Monte Carlo run produced (frozen; exports read it and never recompute)."""

    scenario: str
    n: int
    seed: int
    sampling: str
    spec: MonteCarloSpec
    inputs: pd.DataFrame  # one row per uncertain input: distribution, base, sample statistics
    samples: pd.DataFrame  # (n, K): the number drawn per input (see inputs["sample_column"])
    kpis: pd.DataFrame  # (n, KPIs)
    summary: pd.DataFrame  # per KPI: unit, mean, std, p5..p95, min, max, n_valid, n_missing, p_below_zero
    headline: Mapping[str, Any]  # P(NPV < 0), P(IRR < hurdle), IRR reasons, ...
    convergence: pd.DataFrame  # kpi, n, mean, mean_standard_error, p10, p50, p90
    rank_contributions: pd.DataFrame  # kpi, path, label, spearman, share
    correlation_target: pd.DataFrame  # Spearman targets as given
    correlation_used: pd.DataFrame  # after any repair
    correlation_achieved: pd.DataFrame  # Spearman of the samples
    correlation_repair: CorrelationRepair | None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    sobol: Any | None = None  # tem.analysis.montecarlo.sobol.SobolResult
    flexibility: Flexibility | None = None  # gated vs committed NPV, when the assumptions have gates

    @property
    def correlation_note(self) -> str:
        """The repair report (if any) and the pairs whose achieved rank correlation misses the target."""
        lines = [
            self.correlation_repair.describe()
            if self.correlation_repair
            else "Correlation matrix valid as given (no repair)."
        ]
        lines += [
            f"{a} ~ {b}: target {t:+.2f}, achieved {x:+.2f} (ties of a discrete input limit the rank correlation)"
            if discrete
            else f"{a} ~ {b}: target {t:+.2f}, achieved {x:+.2f}"
            for a, b, t, x, discrete in self.correlation_shortfalls
        ]
        return "\n".join(lines)

    @property
    def correlation_shortfalls(self) -> list[tuple[str, str, float, float, bool]]:
        """Pairs whose achieved Spearman correlation differs from the one used by more than 0.05."""
        used, got = self.correlation_used.to_numpy(), self.correlation_achieved.to_numpy()
        names = list(self.correlation_used.index)
        kinds = dict(zip(self.inputs["path"], self.inputs["distribution"], strict=True))
        out = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if abs(got[i, j] - used[i, j]) > SHORTFALL and used[i, j] != 0.0:
                    discrete = "discrete" in (kinds.get(names[i]), kinds.get(names[j]))
                    out.append((names[i], names[j], float(used[i, j]), float(got[i, j]), discrete))
        return out

    def document(self) -> dict[str, Any]:
        """The summary as plain data (``--json``, ``summary.json``)."""
        from tem.exports.manifest import jsonable

        summary = {
            k: {c: (row[c] if not isinstance(row[c], float) or np.isfinite(row[c]) else None) for c in self.summary.columns}
            for k, row in self.summary.iterrows()
        }
        doc: dict[str, Any] = {
            "scenario": self.scenario,
            "n": self.n,
            "seed": self.seed,
            "sampling": self.sampling,
            "headline": dict(self.headline),
            "summary": summary,
            "correlation_repair": None if self.correlation_repair is None else self.correlation_repair.describe(),
            "correlation_note": self.correlation_note,
            "inputs": self.inputs[["path", "label", "mode", "distribution"]].to_dict(orient="records"),
            "provenance": dict(self.provenance),
        }
        if self.sobol is not None:
            doc["sobol"] = self.sobol.indices.to_dict(orient="records")
        if self.flexibility is not None:
            doc["flexibility"] = self.flexibility.document()
        return jsonable(doc)


# ---------------------------------------------------------------------------------------------------------------
# sampling


@dataclass(frozen=True)
class Draws:
    """The numbers drawn, ``(n, K)`` in each input's draw units, and the correlation actually used."""

    values: np.ndarray
    used: np.ndarray
    repair: CorrelationRepair | None


def draw(resolved: ResolvedSpec, n: int, seed: int, sampling: str) -> Draws:
    """All ``n`` samples of every input (before any evaluation)."""
    k = len(resolved.inputs)
    design_rng, ic_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    target = resolved.rank_target
    used, repair = prepare_correlation(target, resolved.paths)
    if resolved.spec.correlations and k > 1:
        scores = spearman_to_normal_scores(used)
        if correlation_problems(scores):  # the arcsine map can nudge a nearly singular matrix out of the cone
            scores = nearest_correlation(scores)
        # Iman-Conover keeps each column's values and sets their order, so a Latin hypercube needs only its
        # values: one point in each stratum [i/n, (i+1)/n), already ascending
        presorted = sampling == "lhs"
        u = sorted_strata(n, k, design_rng) if presorted else uniform_design(n, k, sampling, design_rng)
        u = iman_conover(u, scores, ic_rng, presorted=presorted)
    else:
        u = uniform_design(n, k, sampling, design_rng)
    columns = map_columns(lambda j: resolved.inputs[j].distribution.ppf(u[:, j]), range(k), n)
    values = np.column_stack(columns) if columns else np.empty((n, 0))
    return Draws(values, used, repair)


def evaluate_draws(
    inp: Inputs,
    resolved: ResolvedSpec,
    draws: np.ndarray,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    stage: str = "evaluate",
) -> dict[str, np.ndarray]:
    """KPIs of every scenario, evaluated ``chunk_size`` scenarios per engine call (default: all at once; the
    engine chunks internally). The result does not depend on ``chunk_size``."""
    n = draws.shape[0]
    step = max(1, chunk_size or n)
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, n, step):
        stop = min(n, start + step)
        values, scales = batch_arrays(inp, resolved, draws[start:stop])
        parts.append(run_batch_inputs(inp, values, scales))
        if progress is not None:
            progress(stage, stop, n)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# ---------------------------------------------------------------------------------------------------------------
# the API


def _spec_of(spec: MonteCarloSpec | str | Path) -> MonteCarloSpec:
    return spec if isinstance(spec, MonteCarloSpec) else load_montecarlo_spec(spec)


def _sha256(path: str | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def inputs_table(
    resolved: ResolvedSpec, samples: pd.DataFrame, sorted_columns: Sequence[SortedColumn] | None = None
) -> pd.DataFrame:
    """One row per uncertain input: its distribution, base value and the sample's mean, P5 and P95
    (``sorted_columns``: the samples' sort orders, when already known)."""
    rows = []
    for j, r in enumerate(resolved.inputs):
        col = samples[r.path].to_numpy(dtype=float)
        ordered = np.sort(col) if sorted_columns is None else col[sorted_columns[j].order]
        p5, p95 = percentiles_of_sorted(ordered, (5, 95))
        rows.append(
            {
                "path": r.path,
                "label": r.label,
                "mode": r.mode,
                "distribution": r.distribution.kind,
                "parameters": r.distribution.describe() if r.options is None else _options_text(r),
                "sample_column": r.meaning,
                "base": r.base if r.options is None else float("nan"),
                "sample_mean": float(col.mean()),
                "sample_p5": float(p5),
                "sample_p95": float(p95),
                "source": r.source or "",
            }
        )
    return pd.DataFrame(rows)


def _options_text(r: Any) -> str:
    probs = r.distribution.probabilities
    return "discrete paths (horizon average: probability): " + ", ".join(
        f"{m:.4g}: {p:.3g}" for m, p in zip(r.option_means, probs, strict=True)
    )


def montecarlo(
    assumptions: Assumptions,
    spec: MonteCarloSpec | str | Path,
    n: int | None = None,
    seed: int | None = None,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> MonteCarloResult:
    """Monte Carlo of ``assumptions`` under ``spec`` (a spec or the path of its YAML file).

    ``n`` and ``seed`` override the spec's, checked by the spec file's own rules. Raises
    :class:`tem.errors.AssumptionError` naming file, line and path for a spec that does not fit the assumptions,
    or naming the argument for a bad ``n`` or ``seed``.
    """
    spec = with_options(_spec_of(spec), {"n": n, "seed": seed}, PYTHON_OPTIONS)  # the spec file's own limits
    n, seed = spec.n, spec.seed
    inp = build_inputs(assumptions)
    resolved = resolve_spec(spec, assumptions, inp)
    keep_freed_memory()
    with single_threaded_blas():
        if progress is not None:
            progress("sample", 0, n)
        d = draw(resolved, n, seed, spec.sampling)
        if progress is not None:
            progress("sample", n, n)
        raw = evaluate_draws(inp, resolved, d.values, chunk_size=chunk_size, progress=progress)
        return assemble(assumptions, resolved, d, raw, seed)


def _flexibility(raw: Mapping[str, np.ndarray], assumptions: Assumptions) -> Flexibility | None:
    flex = flexibility_of_batch(raw)
    return None if flex is None else describe_gates(flex, assumptions)


def assemble(
    assumptions: Assumptions, resolved: ResolvedSpec, d: Draws, raw: Mapping[str, np.ndarray], seed: int
) -> MonteCarloResult:
    """The result of a run from its draws and the engine's KPIs: every statistic is computed here."""
    spec = resolved.spec
    n = d.values.shape[0]
    names = list(spec.kpis)
    gated = [k for k in raw if k == "committed_npv_inr_cr" or k.startswith(GATE_PREFIX)]
    keep = list(dict.fromkeys([*names, *ALWAYS_KPIS, *gated]))
    kpis = pd.DataFrame({k: raw[k] for k in keep})
    kpis.index.name = "scenario"
    paths = resolved.paths
    labels = [r.label for r in resolved.inputs]
    samples = pd.DataFrame({r.path: r.display(d.values[:, j]) for j, r in enumerate(resolved.inputs)})
    samples.index.name = "scenario"
    sorted_columns = map_columns(lambda p: SortedColumn.of(samples[p].to_numpy(dtype=float)), list(samples.columns), n)
    ranks = np.column_stack(map_columns(SortedColumn.ranks, sorted_columns, n)) if paths else np.empty((n, 0))
    sorted_kpis = sort_kpis(kpis, names)
    hurdle: float | np.ndarray = assumptions.valuation.hurdle_rate
    if "valuation.hurdle_rate" in paths:
        hurdle = d.values[:, paths.index("valuation.hurdle_rate")]
    matrix = lambda m: pd.DataFrame(m, index=paths, columns=paths)  # noqa: E731
    # independent statistics, computed side by side (numpy's sorts and partitions release the GIL)
    steps = convergence_steps(n)
    tasks: dict[str, Callable[[], Any]] = {
        "inputs": lambda: inputs_table(resolved, samples, sorted_columns),
        "summary": lambda: summarize(kpis, names, sorted_kpis),
        "convergence": lambda: convergence(kpis, names, steps[:-1]),  # the final N comes from the summary
        "contributions": lambda: rank_contributions(samples, labels, kpis, names, sorted_columns, ranks, sorted_kpis),
        "achieved": lambda: rank_correlation(samples.to_numpy(dtype=float), ranks),
    }
    done = dict(zip(tasks, map_columns(lambda task: task(), list(tasks.values()), n), strict=True))
    final = convergence(kpis, names, steps[-1:], done["summary"])
    conv = pd.concat([done["convergence"], final], ignore_index=True) if len(steps) > 1 else final
    position = conv["kpi"].map({k: i for i, k in enumerate(names)}).to_numpy()
    done["convergence"] = conv.iloc[np.lexsort((conv["n"].to_numpy(), position))].reset_index(drop=True)
    return MonteCarloResult(
        scenario=assumptions.name,
        n=n,
        seed=seed,
        sampling=spec.sampling,
        spec=spec,
        inputs=done["inputs"],
        samples=samples,
        kpis=kpis,
        summary=done["summary"],
        headline=headline(kpis, hurdle),
        convergence=done["convergence"],
        rank_contributions=done["contributions"],
        correlation_target=matrix(resolved.rank_target),
        correlation_used=matrix(d.used),
        correlation_achieved=matrix(done["achieved"]),
        correlation_repair=d.repair,
        flexibility=_flexibility(raw, assumptions),
        provenance={
            "spec_file": {
                "path": None if spec.source is None else str(Path(spec.source).resolve()),
                "sha256": _sha256(spec.source),
            },
            "assumption_files": [{"path": p, "sha256": s} for p, s in assumptions.sources],
            "overrides": dict(assumptions.overrides),
        },
    )

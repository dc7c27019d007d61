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

from tem.analysis.montecarlo.correlation import CorrelationRepair, SortedColumn
from tem.analysis.montecarlo.flexibility import GATE_PREFIX, Flexibility, describe_gates, flexibility_of_batch
from tem.analysis.montecarlo.input_words import number_kind, parameters_words, unit_words
from tem.analysis.montecarlo.resolve import ResolvedSpec, batch_arrays, resolve_spec
from tem.analysis.montecarlo.spec import PYTHON_OPTIONS, MonteCarloSpec, load_montecarlo_spec
from tem.analysis.montecarlo.stats import (
    PERCENTILES,
    convergence,
    convergence_steps,
    doubled_ranks_and_ties,
    headline,
    kpi_unit,
    percentiles_of_sorted,
    rank_contributions,
    rank_correlation_of_doubled,
    sort_kpis,
    summarize,
)
from tem.analysis.montecarlo.stream import DESIGN_BLOCK, Beside, Draws, Kept, draw_all, run_streaming
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
SMALL_STATISTICS = DESIGN_BLOCK  # up to this N the statistics sort columns side by side and keep the KPIs' orders
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
        labels = dict(zip(self.inputs["path"], self.inputs["label"], strict=True))  # inputs in words, not paths
        lines += [
            f"{labels.get(a, a)} ~ {labels.get(b, b)}: target {t:+.2f}, achieved {x:+.2f}"
            + (" (ties of a discrete input limit the rank correlation)" if discrete else "")
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


def draw(resolved: ResolvedSpec, n: int, seed: int, sampling: str, block: int = DESIGN_BLOCK) -> Draws:
    """All ``n`` samples of every input (before any evaluation): the design's blocks at once
    (:mod:`tem.analysis.montecarlo.stream`; one block, the whole run's Latin hypercube, up to 262,144)."""
    return draw_all(resolved, n, seed, sampling, block)


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
                "unit": unit_words(number_kind(r.path, r.mode)),
                "mode": r.mode,
                "distribution": r.distribution.kind,
                "parameters": parameters_words(r),
                "sample_column": r.meaning,
                "base": r.base,  # a choice of yearly paths: the base path's horizon average, as the column drawn
                "sample_mean": float(col.mean()),
                "sample_p5": float(p5),
                "sample_p95": float(p95),
                "source": r.source or "",
            }
        )
    return pd.DataFrame(rows)


def montecarlo(
    assumptions: Assumptions,
    spec: MonteCarloSpec | str | Path,
    n: int | None = None,
    seed: int | None = None,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    block: int = DESIGN_BLOCK,
    executor: Any | None = None,
    beside: Beside | None = None,
) -> MonteCarloResult:
    """Monte Carlo of ``assumptions`` under ``spec`` (a spec or the path of its YAML file).

    ``n`` and ``seed`` override the spec's, checked by the spec file's own rules. Any N runs in bounded memory:
    the design is drawn in blocks of ``block`` scenarios (one block, the whole run's Latin hypercube, up to
    262,144), each evaluated in chunks of
    ``chunk_size`` (default: 40,000 per engine call, which the engine chunks itself), and only the sampled values and
    the kept KPIs stay (:mod:`tem.analysis.montecarlo.stream`: about 8 x (inputs + KPIs kept) bytes per
    scenario, plus 4 bytes per input for the statistics). The same seed and block size give the same results
    whatever the chunk size, bit for bit, and the same as :func:`draw` + :func:`assemble` on the whole design.
    ``executor`` (a ``dask.distributed.Client``, or any executor with ``submit``) evaluates the chunks as tasks
    (10,000 scenarios each unless ``chunk_size`` says otherwise) on a cluster; the sampling and the statistics
    stay here; the results are the same, bit for bit. ``beside`` (e.g. :class:`tem.cli.forked.Forked`, which
    ``tem montecarlo`` passes) shares the chunks of 10,000 between this process and a forked child, one engine
    thread each (both cores, each with its own interpreter lock); the same bits again.

    Raises :class:`tem.errors.AssumptionError` naming file, line and path for a spec that does not fit the
    assumptions, or naming the argument for a bad ``n`` or ``seed``.
    """
    spec = with_options(_spec_of(spec), {"n": n, "seed": seed}, PYTHON_OPTIONS)  # the spec file's own limits
    n, seed = spec.n, spec.seed
    inp = build_inputs(assumptions)
    resolved = resolve_spec(spec, assumptions, inp)
    keep_freed_memory()
    with single_threaded_blas():
        kept, used, repair = run_streaming(
            inp,
            resolved,
            n,
            seed,
            kept_kpis(spec, [g.phase for g in inp.structure.gates]),
            chunk_size=chunk_size,
            progress=progress,
            block=block,
            executor=executor,
            beside=beside,
        )
        return assemble_kept(assumptions, resolved, kept, used, repair, seed)


def kept_kpis(spec: MonteCarloSpec, gated_phases: Sequence[str] = ()) -> list[str]:
    """The KPIs a run keeps per scenario: the spec's, then NPV, incremental NPV, IRR and its status, and with
    gates (on ``gated_phases``) the committed NPV and whether each gate passed (for the value of flexibility)."""
    gated = ["committed_npv_inr_cr", *(f"{GATE_PREFIX}{p}" for p in gated_phases)] if gated_phases else []
    return list(dict.fromkeys([*spec.kpis, *ALWAYS_KPIS, *gated]))


def _flexibility(raw: Mapping[str, np.ndarray], assumptions: Assumptions) -> Flexibility | None:
    flex = flexibility_of_batch(raw)
    return None if flex is None else describe_gates(flex, assumptions)


def assemble(
    assumptions: Assumptions, resolved: ResolvedSpec, d: Draws, raw: Mapping[str, np.ndarray], seed: int
) -> MonteCarloResult:
    """The result of a run from all its draws and the engine's KPIs at once (see :func:`assemble_kept`)."""
    names = kept_kpis(resolved.spec, [k.removeprefix(GATE_PREFIX) for k in raw if k.startswith(GATE_PREFIX)])
    n = d.values.shape[0]
    paths = resolved.paths
    hurdle = d.values[:, paths.index("valuation.hurdle_rate")] if "valuation.hurdle_rate" in paths else None
    samples = np.empty((n, len(resolved.inputs)), order="F")
    for j, r in enumerate(resolved.inputs):
        samples[:, j] = r.display(d.values[:, j])
    kpis = np.empty((n, len(names)), order="F")
    for i, name in enumerate(names):
        kpis[:, i] = raw[name]
    return assemble_kept(assumptions, resolved, Kept(samples, kpis, tuple(names), hurdle), d.used, d.repair, seed)


def assemble_kept(
    assumptions: Assumptions,
    resolved: ResolvedSpec,
    kept: Kept,
    used: np.ndarray,
    repair: CorrelationRepair | None,
    seed: int,
) -> MonteCarloResult:
    """The result of a run from what it kept: every statistic is computed here, in bounded memory (one array of
    N at a time beside the kept values, and the inputs' ranks as exact integers)."""
    spec = resolved.spec
    n = kept.samples.shape[0]
    names = list(spec.kpis)
    # column-major arrays: the frames hold them without a copy, one contiguous column each
    kpis = pd.DataFrame(kept.kpis, columns=list(kept.kpi_names), copy=False)
    kpis.index.name = "scenario"
    paths = resolved.paths
    labels = [r.label for r in resolved.inputs]
    samples = pd.DataFrame(kept.samples, columns=paths, copy=False)
    samples.index.name = "scenario"
    ranks2 = np.empty((n, len(paths)), dtype=np.int32 if n < 2**30 else np.int64, order="F")
    # up to one design block the columns are sorted side by side (threads) and each KPI's sort order is kept for
    # the summary and the rank contributions; beyond it one column at a time, to bound memory
    small = n <= SMALL_STATISTICS
    ties: list[bool] = []
    if small:
        done = map_columns(lambda p: doubled_ranks_and_ties(samples[p].to_numpy(dtype=float)), paths, n)
        for j, (r2, tie) in enumerate(done):
            ranks2[:, j] = r2
            ties.append(tie)
        del done
    else:
        for j, p in enumerate(paths):
            ranks2[:, j], tie = doubled_ranks_and_ties(samples[p].to_numpy(dtype=float))
            ties.append(tie)
    sorted_kpis = sort_kpis(kpis, names) if small else None
    hurdle: float | np.ndarray = assumptions.valuation.hurdle_rate if kept.hurdle is None else kept.hurdle
    matrix = lambda m: pd.DataFrame(m, index=paths, columns=paths)  # noqa: E731
    steps = convergence_steps(n)
    summary = summarize(kpis, names, sorted_kpis)
    final = convergence(kpis, names, steps[-1:], summary)
    conv = pd.concat([convergence(kpis, names, steps[:-1]), final], ignore_index=True) if len(steps) > 1 else final
    position = conv["kpi"].map({k: i for i, k in enumerate(names)}).to_numpy()
    conv = conv.iloc[np.lexsort((conv["n"].to_numpy(), position))].reset_index(drop=True)
    return MonteCarloResult(
        scenario=assumptions.name,
        n=n,
        seed=seed,
        sampling=spec.sampling,
        spec=spec,
        inputs=inputs_table(resolved, samples),
        samples=samples,
        kpis=kpis,
        summary=summary,
        headline=headline(kpis, hurdle),
        convergence=conv,
        rank_contributions=rank_contributions(samples, labels, kpis, names, ranks2, ties, sorted_kpis),
        correlation_target=matrix(resolved.rank_target),
        correlation_used=matrix(used),
        correlation_achieved=matrix(rank_correlation_of_doubled(ranks2) if paths else np.empty((0, 0))),
        correlation_repair=repair,
        flexibility=_flexibility(dict(zip(kept.kpi_names, kept.kpis.T, strict=True)), assumptions),
        provenance={
            "spec_file": {
                "path": None if spec.source is None else str(Path(spec.source).resolve()),
                "sha256": _sha256(spec.source),
            },
            "assumption_files": [{"path": p, "sha256": s} for p, s in assumptions.sources],
            "overrides": dict(assumptions.overrides),
        },
    )

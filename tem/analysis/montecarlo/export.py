"""Monte Carlo outputs: every file of ``outputs/<scenario>/montecarlo/``.

Presentation only: everything here reads a :class:`~tem.analysis.montecarlo.run.MonteCarloResult` and never runs
the model. The figures are in :mod:`tem.analysis.montecarlo.charts` (re-exported here), the workbook in
:mod:`tem.analysis.montecarlo.workbook`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import pandas as pd

from tem.analysis.montecarlo.chart_files import ChartFiles
from tem.analysis.montecarlo.charts import (
    convergence_figure,
    histogram_figure,
    kpi_title,
    s_curve_figure,
    sobol_figure,
)
from tem.analysis.montecarlo.manifest import build_montecarlo_manifest
from tem.analysis.montecarlo.run import MonteCarloResult
from tem.analysis.montecarlo.samples_files import samples_csv as samples_csv_text
from tem.analysis.montecarlo.samples_files import samples_parquet
from tem.analysis.montecarlo.workbook import render_montecarlo_workbook
from tem.exports.charts.files import figure_html
from tem.exports.manifest import jsonable, with_outputs
from tem.exports.safe_text import csv_text

__all__ = [
    "build_montecarlo_manifest",
    "convergence_figure",
    "figure_html",
    "histogram_figure",
    "kpi_title",
    "render_data_files",
    "render_montecarlo_files",
    "s_curve_figure",
    "sobol_figure",
]

# ---------------------------------------------------------------------------------------------------------------
# files


def _json(document: Any) -> str:
    return json.dumps(jsonable(document), indent=2, allow_nan=False) + "\n"


class Pending(Protocol):
    """Work started elsewhere (e.g. :class:`tem.cli.forked.Forked`, in a child process): its result, or stop it."""

    def result(self) -> dict[str, bytes | str]: ...

    def cancel(self) -> None: ...


def render_data_files(result: MonteCarloResult, excel: bool = True, samples_csv: bool = False) -> dict[str, bytes | str]:
    """The files of a run that are not charts, in the order :func:`render_montecarlo_files` lists them: the summary
    (JSON, CSV), inputs, convergence, contributions and correlations (CSV), ``samples.parquet`` (and
    ``samples.csv`` with ``samples_csv``), ``sobol.csv``, ``flexibility.csv`` and ``gates.csv`` when the run has
    them, and ``montecarlo.xlsx`` with ``excel``. No plotly: it can be rendered in a process of its own."""
    files: dict[str, bytes | str] = {
        "summary.json": _json(result.document()),
        "summary.csv": csv_text(result.summary, float_format="%.10g"),
        "inputs.csv": csv_text(result.inputs, index=False, float_format="%.10g"),
        "convergence.csv": csv_text(result.convergence, index=False, float_format="%.10g"),
        "contributions.csv": csv_text(result.rank_contributions, index=False, float_format="%.10g"),
        "correlations.csv": csv_text(_correlations_long(result), index=False, float_format="%.6g"),
        "samples.parquet": samples_parquet(result),
    }
    if samples_csv:
        files["samples.csv"] = samples_csv_text(result)
    if result.sobol is not None:
        files["sobol.csv"] = csv_text(result.sobol.indices, index=False, float_format="%.10g")
    if result.flexibility is not None:
        files["flexibility.csv"] = csv_text(result.flexibility.comparison, float_format="%.10g")
        files["gates.csv"] = csv_text(result.flexibility.gates, index=False, float_format="%.10g")
    if excel:
        files["montecarlo.xlsx"] = render_montecarlo_workbook(result)
    return files


def render_montecarlo_files(
    result: MonteCarloResult,
    *,
    png: bool = False,
    png_kpis: Sequence[str] | None = None,
    excel: bool = True,
    samples_csv: bool = False,
    extra: Mapping[str, bytes | str] | None = None,
    beside: Callable[..., Pending] | None = None,
    png_skipped: Callable[[str], None] | None = None,
) -> dict[str, bytes | str]:
    """Every output file, rendered in memory (relative name -> content); ``manifest.json`` last, listing the
    SHA-256 of every other file. Every scenario goes to ``samples.parquet`` (and to ``samples.csv`` with
    ``samples_csv``). Charts are HTML for every KPI; with ``png``, also PNG for ``png_kpis`` (default: every KPI),
    drawn by the browser on a helper thread while the other files are rendered. ``extra`` files (relative name ->
    content) are written and listed in the manifest too.

    ``beside``: how to start :func:`render_data_files` beside the charts (called as ``beside(fn, *args)``, e.g.
    :class:`tem.cli.forked.Forked`: in a child process, on the machine's other core); by default it runs here,
    while the browser draws. The files are the same either way, in the same order; the pending work is stopped
    if anything fails. ``png_skipped``: the PNGs are a default (see :meth:`ChartFiles.files`)."""
    pending = beside(render_data_files, result, excel, samples_csv) if beside is not None else None
    try:
        charts = ChartFiles(result, png, png_kpis)  # the browser draws its figures from now on
        html = charts.html()
        files = pending.result() if pending is not None else render_data_files(result, excel, samples_csv)
        files |= charts.files(html, png_skipped)
    finally:
        if pending is not None:
            pending.cancel()  # nothing left to stop once its result is in
    files |= dict(extra or {})  # e.g. a gate threshold sweep on the same draws
    files["manifest.json"] = _json(with_outputs(build_montecarlo_manifest(result), files))
    return files


def _correlations_long(result: MonteCarloResult) -> pd.DataFrame:
    rows = []
    names = list(result.correlation_used.index)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            rows.append(
                {
                    "input_a": a,
                    "input_b": b,
                    "target": result.correlation_target.loc[a, b],
                    "used": result.correlation_used.loc[a, b],
                    "achieved": result.correlation_achieved.loc[a, b],
                }
            )
    return pd.DataFrame(rows)

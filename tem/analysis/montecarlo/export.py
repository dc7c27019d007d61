"""Monte Carlo outputs: every file of ``outputs/<scenario>/montecarlo/``.

Presentation only: everything here reads a :class:`~tem.analysis.montecarlo.run.MonteCarloResult` and never runs
the model. The figures are in :mod:`tem.analysis.montecarlo.charts` and the workbook in
:mod:`tem.analysis.montecarlo.workbook` (both re-exported here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from tem.analysis.montecarlo.charts import (
    convergence_figure,
    histogram_figure,
    kpi_title,
    s_curve_figure,
    sobol_figure,
)
from tem.analysis.montecarlo.flex_export import flexibility_figure
from tem.analysis.montecarlo.manifest import build_montecarlo_manifest
from tem.analysis.montecarlo.run import MonteCarloResult
from tem.analysis.montecarlo.samples_files import samples_csv as samples_csv_text
from tem.analysis.montecarlo.samples_files import samples_parquet
from tem.analysis.montecarlo.workbook import (  # noqa: F401 (the workbook lives in workbook.py; names kept here)
    SAMPLE_ROWS,
    SHEETS,
    render_montecarlo_workbook,
)
from tem.exports.charts.files import PLOTLY_JS, PNG_HEIGHT, PNG_SCALE, PNG_WIDTH, figure_html
from tem.exports.charts.png import pngs_in_background
from tem.exports.manifest import jsonable, with_outputs
from tem.exports.safe_text import csv_text

__all__ = [
    "build_montecarlo_manifest",
    "convergence_figure",
    "histogram_figure",
    "kpi_title",
    "render_montecarlo_files",
    "render_montecarlo_workbook",
    "s_curve_figure",
    "sobol_figure",
]

# ---------------------------------------------------------------------------------------------------------------
# files


def _json(document: Any) -> str:
    return json.dumps(jsonable(document), indent=2, allow_nan=False) + "\n"


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)


def render_montecarlo_files(
    result: MonteCarloResult,
    *,
    png: bool = False,
    png_kpis: Sequence[str] | None = None,
    excel: bool = True,
    samples_csv: bool = False,
    extra: Mapping[str, bytes | str] | None = None,
) -> dict[str, bytes | str]:
    """Every output file, rendered in memory (relative name -> content); ``manifest.json`` last, listing the
    SHA-256 of every other file. Every scenario goes to ``samples.parquet`` (and to ``samples.csv`` with
    ``samples_csv``). Charts are HTML for every KPI; with ``png``, also PNG for ``png_kpis`` (default: every KPI),
    drawn by the browser on a helper thread while the other files are rendered. ``extra`` files (relative name ->
    content) are written and listed in the manifest too."""
    # (KPI, file name, how to draw it), in the order of the files
    plan: list[tuple[str, str, Callable[[], go.Figure]]] = []
    for kpi in map(str, result.summary.index):
        if result.summary.loc[kpi, "n_valid"] == 0:
            continue
        plan.append((kpi, f"histogram_{_safe(kpi)}", partial(histogram_figure, result, kpi)))
        plan.append((kpi, f"s_curve_{_safe(kpi)}", partial(s_curve_figure, result, kpi)))
        plan.append((kpi, f"convergence_{_safe(kpi)}", partial(convergence_figure, result, kpi)))
        if result.sobol is not None and kpi in set(result.sobol.indices["kpi"]):
            plan.append((kpi, f"sobol_{_safe(kpi)}", partial(sobol_figure, result, kpi)))
    if result.flexibility is not None:
        plan.append(("npv_inr_cr", "flexibility_npv", partial(flexibility_figure, result)))
    wanted = set(result.summary.index if png_kpis is None else png_kpis)
    skip = ("convergence_", "flexibility_")
    drawn = [name for kpi, name, _ in plan if png and kpi in wanted and not name.startswith(skip)]
    # the figures the browser draws are made first, so it draws them while the other files are rendered
    figures = {name: make() for _, name, make in plan if name in drawn}
    pngs = pngs_in_background(figures, PNG_WIDTH, PNG_HEIGHT, PNG_SCALE) if drawn else None
    figures |= {name: make() for _, name, make in plan if name not in figures}
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
    from plotly.offline import get_plotlyjs

    files[f"charts/{PLOTLY_JS}"] = get_plotlyjs().encode("utf-8")
    html = {name: figure_html(figures[name]) for _, name, _make in plan}
    done = pngs.result() if pngs is not None else {}
    for _, name, _make in plan:
        files[f"charts/{name}.html"] = html[name]
        if name in done:
            files[f"charts/{name}.png"] = done[name]
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

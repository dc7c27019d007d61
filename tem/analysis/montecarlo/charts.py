"""Monte Carlo figures (plotly): histogram and S-curve of a KPI with P10/P50/P90 marked, Sobol indices with
confidence intervals, convergence of the mean and percentiles with N. They read a
:class:`~tem.analysis.montecarlo.run.MonteCarloResult` and never run the model."""

from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly import shapeannotation

from tem import catalogue
from tem.analysis.montecarlo.run import MonteCarloResult
from tem.errors import BatchInputError
from tem.exports.charts.theme import BLACK, BLUE, FONT, ORANGE, VERMILLION, plot_text

HIST_BINS = 60
CDF_POINTS = 501
TEMPLATE = "plotly_white"


def new_figure(data: Any = None) -> go.Figure:
    """A figure on the :data:`TEMPLATE` template: the same figure as ``go.Figure(data)`` with
    ``update_layout(template="plotly_white")``, 5-6 ms faster (a quarter of a Monte Carlo figure's time).

    Setting the template through the layout validates a deep copy of the registered template, property by
    property, for every figure; here that validated copy is made once per process (:func:`_template_json`) and
    each figure gets a plain copy of its JSON, set without validating it again, as plotly sets its default
    template. The template stays the layout's first key and its keys keep their order: the figures' JSON is the
    same text (tests/analysis/montecarlo/test_export_files.py)."""
    fig = go.Figure(data)
    layout = fig.layout
    layout._validate = False
    try:
        layout.template = copy.deepcopy(_template_json())
    finally:
        layout._validate = fig._validate
    return fig


@functools.cache
def _template_json() -> dict[str, Any]:
    """The JSON of :data:`TEMPLATE` as ``update_layout(template=...)`` stores it (a validated deep copy)."""
    return dict(go.Figure().update_layout(template=TEMPLATE).layout.template.to_plotly_json())


def kpi_title(kpi: str) -> str:
    """Label with unit from the catalogue: ``NPV (INR crore)``, ``IRR (%)``."""
    return catalogue.axis_title(kpi)


def _kpi_axis(kpi: str) -> dict[str, Any]:
    """Tick format of the KPI's own kind (``.1%`` for rates, ``,.0f`` for money: no SI ``k`` suffixes)."""
    return {"tickformat": catalogue.plotly_axis(kpi)["tickformat"], "separatethousands": True}


# ---------------------------------------------------------------------------------------------------------------
# figures


def _layout(result: MonteCarloResult, title: str, x_title: str, y_title: str) -> dict[str, Any]:
    text = (
        f"<b>{plot_text(result.scenario)}</b>: {plot_text(title)}<br><span style='font-size:13px;color:#555'>"
        f"Monte Carlo, N = {result.n:,}, {result.sampling.upper()}, seed {result.seed}</span>"
    )
    return dict(  # the template is the figure's own (new_figure)
        font=dict(family=FONT, size=14, color="#222"),
        title=dict(text=text, x=0.01, xanchor="left", y=0.97, yanchor="top", font=dict(size=20)),
        margin=dict(l=80, r=40, t=100, b=80),
        xaxis=dict(title=dict(text=x_title), separatethousands=True, zeroline=False),
        yaxis=dict(title=dict(text=y_title), separatethousands=True),
        legend=dict(orientation="h", x=0.0, y=-0.15),
        bargap=0.02,
    )


def _valid(result: MonteCarloResult, kpi: str) -> np.ndarray:
    if kpi not in result.kpis:
        raise BatchInputError(f"KPI {kpi!r} was not kept in this Monte Carlo run; kept: {list(result.kpis.columns)}")
    x = result.kpis[kpi].to_numpy(dtype=float)
    return x[np.isfinite(x)]


VLine = tuple[float, dict[str, Any], dict[str, Any], str]  # x, line, annotation, annotation_position


def add_vlines(fig: go.Figure, lines: list[VLine]) -> None:
    """``fig.add_vline(x=x, line=line, annotation=annotation, annotation_position=position)`` for each line, in
    one layout update: the same shapes and annotations, as the same JSON text, for a figure without subplots,
    shapes or annotations yet (each ``add_vline`` validates every shape and annotation so far again: 3-4 ms
    each, about a quarter of a Monte Carlo figure's time). Each annotation is placed by plotly's own rule
    (``plotly.shapeannotation``); the line spans the plot's height (``yref="y domain"``), as ``add_vline``'s."""
    if not lines:
        return
    if fig.layout.shapes or fig.layout.annotations:
        raise ValueError("add_vlines draws on a figure without shapes or annotations")
    shapes, notes = [], []
    for x, line, annotation, position in lines:
        args = dict(type="line", x0=x, x1=x, y0=0, y1=1)
        note = shapeannotation.axis_spanning_shape_annotation(
            dict(annotation), "vline", args, {"annotation_position": position}
        )
        shapes.append({**args, "line": line, "xref": "x", "yref": "y domain"})
        notes.append({**note, "xref": "x", "yref": "y domain"})
    fig.update_layout(shapes=shapes, annotations=notes)


def _percentile_marks(values: np.ndarray, kpi: str) -> list[VLine]:
    marks: list[VLine] = []
    for p, dash in ((10, "dot"), (50, "dash"), (90, "dot")):
        v = float(np.percentile(values, p))
        line = dict(color=VERMILLION if p != 50 else BLACK, width=1.5, dash=dash)
        marks.append((v, line, dict(text=f"P{p} {catalogue.format_value(kpi, v)}", font=dict(size=12)), "top"))
    return marks


def histogram_figure(result: MonteCarloResult, kpi: str = "npv_inr_cr") -> go.Figure:
    """Histogram of a KPI over the scenarios (pre-binned, so the page stays small), P10/P50/P90 marked."""
    x = _valid(result, kpi)
    counts, edges = np.histogram(x, bins=HIST_BINS)
    centres = (edges[:-1] + edges[1:]) / 2.0
    fig = new_figure(
        go.Bar(
            x=centres,
            y=counts / max(1, result.n),
            width=np.diff(edges),
            marker=dict(color=BLUE, line=dict(width=0)),
            name="share of scenarios",
            hovertemplate="%{x:,.4g}: %{y:.2%}<extra></extra>",
        )
    )
    add_vlines(fig, _percentile_marks(x, kpi))
    missing = result.n - x.size
    note = f" ({missing:,} scenarios without a value not shown)" if missing else ""
    fig.update_layout(**_layout(result, f"distribution of {kpi_title(kpi)}{note}", kpi_title(kpi), "Share of scenarios"))
    fig.update_yaxes(tickformat=".1%")
    fig.update_xaxes(**_kpi_axis(kpi))
    return fig


def s_curve_figure(result: MonteCarloResult, kpi: str = "npv_inr_cr") -> go.Figure:
    """Empirical cumulative distribution (S-curve) of a KPI with P10/P50/P90 marked."""
    x = _valid(result, kpi)
    q = np.linspace(0.0, 1.0, CDF_POINTS)
    share = x.size / max(1, result.n)
    fig = new_figure(
        go.Scatter(
            x=np.percentile(x, q * 100.0),
            y=q * share,
            mode="lines",
            line=dict(color=BLUE, width=2.5),
            name="P(KPI <= x)",
            hovertemplate="%{x:,.4g}: %{y:.1%}<extra></extra>",
        )
    )
    for p in (10, 50, 90):
        v = float(np.percentile(x, p))
        fig.add_trace(
            go.Scatter(
                x=[v],
                y=[p / 100.0 * share],
                mode="markers+text",
                marker=dict(color=VERMILLION, size=10),
                text=[f"P{p} {catalogue.format_value(kpi, v)}"],
                textposition="middle right",
                showlegend=False,
                hoverinfo="skip",
            )
        )
    kind = catalogue.kpi(kpi).kind
    lines: list[VLine] = []
    if kind in ("inr_cr", "rate"):  # zero line: where the KPI changes sign (loss / value destroyed)
        zero = dict(color=BLACK, width=1.5, dash="dash")
        lines.append((0.0, zero, dict(text="zero", font=dict(size=12)), "bottom right"))
    hurdle = result.headline.get("hurdle_rate")
    if kpi in ("irr", "mirr") and isinstance(hurdle, float):
        line = dict(color=ORANGE, width=2, dash="dashdot")
        note = dict(text=f"hurdle {hurdle:.1%}", font=dict(size=12, color=ORANGE))
        lines.append((hurdle, line, note, "bottom right"))
    add_vlines(fig, lines)
    fig.update_layout(**_layout(result, f"S-curve of {kpi_title(kpi)}", kpi_title(kpi), "Cumulative probability"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    fig.update_xaxes(**_kpi_axis(kpi))
    return fig


def sobol_figure(result: MonteCarloResult, kpi: str = "npv_inr_cr") -> go.Figure:
    """Sobol first-order (S1) and total (ST) indices of a KPI with 95% confidence intervals."""
    if result.sobol is None:
        raise BatchInputError(
            "this Monte Carlo result has no Sobol indices: run tem.analysis.montecarlo.sobol.sobol (or --sobol)"
        )
    table = result.sobol.indices
    rows = table[table["kpi"] == kpi].sort_values("ST")
    if rows.empty:
        why = result.sobol.skipped.get(kpi, "not among the KPIs analysed")
        raise BatchInputError(f"no Sobol indices for {kpi!r}: {why}")
    fig = new_figure()
    for col, colour, name in (("S1", BLUE, "first order S1"), ("ST", ORANGE, "total ST")):
        fig.add_trace(
            go.Bar(
                y=[plot_text(v) for v in rows["label"]],
                x=rows[col],
                orientation="h",
                name=name,
                marker=dict(color=colour),
                error_x=dict(type="data", array=rows[f"{col}_conf"], visible=True, color="#444"),
            )
        )
    layout = _layout(result, f"Sobol indices of {kpi_title(kpi)}", "Share of variance", "")
    layout["title"]["text"] = layout["title"]["text"].replace(
        f"N = {result.n:,}, {result.sampling.upper()}",
        f"Sobol N = {result.sobol.n_base:,} ({result.sobol.n_evaluations:,} runs), independent inputs",
    )
    layout["margin"]["l"] = 320
    fig.update_layout(**layout, barmode="group")
    fig.update_xaxes(tickformat=".0%")
    return fig


def convergence_figure(result: MonteCarloResult, kpi: str = "npv_inr_cr") -> go.Figure:
    """Mean (with +/- 2 standard errors) and P10/P90 of a KPI over the first N scenarios."""
    c = result.convergence[result.convergence["kpi"] == kpi].dropna(subset=["mean"])
    fig = new_figure()
    se2 = 2.0 * c["mean_standard_error"]
    fig.add_trace(
        go.Scatter(x=c["n"], y=c["mean"] + se2, mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=c["n"],
            y=c["mean"] - se2,
            mode="lines",
            line=dict(width=0),
            fill="tonexty",
            fillcolor="rgba(0,114,178,0.15)",
            name="mean +/- 2 standard errors",
            hoverinfo="skip",
        )
    )
    fig.add_trace(go.Scatter(x=c["n"], y=c["mean"], mode="lines+markers", line=dict(color=BLUE), name="mean"))
    for col, dash in (("p10", "dot"), ("p90", "dash")):
        fig.add_trace(
            go.Scatter(x=c["n"], y=c[col], mode="lines+markers", line=dict(color=VERMILLION, dash=dash), name=col.upper())
        )
    fig.update_layout(
        **_layout(result, f"convergence of {kpi_title(kpi)}", "Scenarios N (first N of the run)", kpi_title(kpi))
    )
    fig.update_xaxes(type="log")
    fig.update_yaxes(**_kpi_axis(kpi))
    return fig

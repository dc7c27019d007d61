"""Outputs of the value of flexibility: the decision tree sheet of the Monte Carlo workbook, the committed vs gated
NPV distributions and the expected NPV against a gate threshold (plotly). Presentation only: they read a
:class:`~tem.analysis.montecarlo.run.MonteCarloResult` or a
:class:`~tem.analysis.montecarlo.gate_sweep.ThresholdSweep` and never run the model."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from tem import catalogue
from tem.analysis.montecarlo.charts import VLine, add_vlines, new_figure
from tem.analysis.montecarlo.gate_sweep import ThresholdSweep
from tem.analysis.montecarlo.run import MonteCarloResult
from tem.exports.charts.theme import BLACK, BLUE, FONT, ORANGE, VERMILLION, plot_text
from tem.exports.workbook.stream import BufferedSheet
from tem.exports.workbook.style import HEADER, SECTION, TITLE, put_text

BINS = 60
STAT_LABELS = {"mean": "Mean", "p10": "P10", "p50": "P50", "p90": "P90", "p_npv_below_zero": "P(NPV < 0)"}


def _points(standard_error: float) -> tuple[float, str]:
    """The standard error of a probability (a gate's P(go), P(NPV < 0)) as a cell shows it: in percentage points
    (x 100, ``1.1 pts``), the unit of an uncertainty of a rate, as the console prints it (catalogue); NaN kept."""
    if standard_error != standard_error:
        return standard_error, "0.0"
    return catalogue.difference_cell("p_npv_below_zero", float(standard_error), signed=False)


def _layout(title: str, subtitle: str, x_title: str, y_title: str) -> dict[str, object]:
    text = f"<b>{plot_text(title)}</b><br><span style='font-size:13px;color:#555'>{plot_text(subtitle)}</span>"
    return dict(  # the template is the figure's own (new_figure)
        font=dict(family=FONT, size=14, color="#222"),
        title=dict(text=text, x=0.01, xanchor="left", y=0.97, yanchor="top", font=dict(size=20)),
        margin=dict(l=80, r=40, t=100, b=80),
        xaxis=dict(title=dict(text=x_title), separatethousands=True, zeroline=False),
        yaxis=dict(title=dict(text=y_title), separatethousands=True),
        legend=dict(orientation="h", x=0.0, y=-0.15),
        barmode="overlay",
        bargap=0.02,
    )


def flexibility_figure(result: MonteCarloResult) -> go.Figure:
    """Committed (every gate open) and gated NPV over the same draws, as two overlaid histograms on shared bins,
    with each mean marked."""
    flex = result.flexibility
    if flex is None:
        raise ValueError("this Monte Carlo run has no gates")
    gated = result.kpis["npv_inr_cr"].to_numpy(dtype=float)
    committed = result.kpis["committed_npv_inr_cr"].to_numpy(dtype=float)
    edges = np.histogram_bin_edges(np.concatenate([gated, committed]), bins=BINS)
    centres, widths = (edges[:-1] + edges[1:]) / 2.0, np.diff(edges)
    fig = new_figure()
    for name, values, colour in (("Committed (every gate open)", committed, ORANGE), ("With gates", gated, BLUE)):
        counts, _ = np.histogram(values, bins=edges)
        fig.add_trace(
            go.Bar(
                x=centres,
                y=counts / values.size,
                width=widths,
                name=name,
                opacity=0.6,
                marker=dict(color=colour, line=dict(width=0)),
                hovertemplate="%{x:,.0f}: %{y:.2%}<extra>" + name + "</extra>",
            )
        )
    means: list[VLine] = []
    for label, values, colour in (("committed", committed, VERMILLION), ("gated", gated, BLACK)):
        m = float(values.mean())
        note = dict(text=f"mean {label} {catalogue.format_value('npv_inr_cr', m)}", font=dict(size=12))
        line = dict(color=colour, width=1.5, dash="dash")
        means.append((m, line, note, "top left" if label == "committed" else "top right"))
    add_vlines(fig, means)
    value, se = flex.value_inr_cr, flex.standard_error_inr_cr
    subtitle = (
        f"Value of flexibility {value:+,.0f} INR crore (s.e. {se:,.1f}); Monte Carlo N = {result.n:,}, "
        f"seed {result.seed}, the same draws for both"
    )
    title = f"{result.scenario}: NPV committed vs with gates"
    fig.update_layout(**_layout(title, subtitle, catalogue.axis_title("npv_inr_cr"), "Share of scenarios"))
    fig.update_yaxes(tickformat=".1%")
    fig.update_xaxes(tickformat=",.0f")
    return fig


def threshold_figure(sweep: ThresholdSweep, scenario: str) -> go.Figure:
    """Expected NPV against the gate threshold (± 2 standard errors), the committed program's expected NPV as a
    line, the best threshold marked."""
    t = sweep.table
    x = t["threshold"].to_numpy()
    y = t["expected_npv_inr_cr"].to_numpy()
    se = t["standard_error_inr_cr"].to_numpy()
    fig = new_figure()
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([x, x[::-1]]),
            y=np.concatenate([y + 2 * se, (y - 2 * se)[::-1]]),
            fill="toself",
            fillcolor="rgba(0,114,178,0.15)",
            line=dict(width=0),
            name="± 2 standard errors",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            line=dict(color=BLUE, width=2.5),
            name="expected NPV with the gate",
            customdata=t["p_gate_passes"].to_numpy(),
            hovertemplate="threshold %{x:,.4g}: %{y:,.0f} (P(go) %{customdata:.0%})<extra></extra>",
        )
    )
    fig.add_hline(
        y=sweep.committed_npv_inr_cr,
        line=dict(color=ORANGE, width=1.5, dash="dash"),
        annotation=dict(text="committed (every gate open)", font=dict(size=12)),
    )
    best = sweep.best_threshold
    fig.add_vline(
        x=best,
        line=dict(color=VERMILLION, width=1.5, dash="dot"),
        annotation=dict(text=f"best {best:,.4g}", font=dict(size=12)),
    )
    condition = sweep.path.removeprefix(f"capex.phases.{sweep.phase}.gate.")
    subtitle = f"Same {sweep.n:,} Monte Carlo draws (seed {sweep.seed}) for every threshold; {sweep.phase}, {condition}"
    title = f"{scenario}: expected NPV against the gate threshold"
    fig.update_layout(**_layout(title, subtitle, "Gate threshold", catalogue.axis_title("npv_inr_cr")))
    fig.update_yaxes(tickformat=",.0f")
    return fig


def flexibility_sheet(ws: BufferedSheet, result: MonteCarloResult) -> None:
    """The decision tree (each gate: decided, conditions, P(go), mean NPV of each branch) and the committed vs
    gated comparison with standard errors (values: the simulation runs in Python)."""
    flex = result.flexibility
    if flex is None:
        return
    ws.title = "Decisions"
    title = f"{result.scenario}: gates and the value of flexibility (N = {result.n:,}, seed {result.seed})"
    put_text(ws, 1, 1, title).font = TITLE
    note = "Committed = every gate forced open; gated = each phase built only where its gate passes; same draws."
    put_text(ws, 2, 1, note)
    put_text(ws, 4, 1, "Decision tree").font = SECTION
    heads = [
        "gate (phase)",
        "decided at end of",
        "conditions",
        "P(go)",
        "standard error",
        "mean NPV if go",
        "mean NPV if no go",
        "mean NPV if no go, built anyway",
        "value of the no-go branch",
    ]
    for j, h in enumerate(heads, start=1):
        put_text(ws, 5, j, h).font = HEADER
    r = 6
    for g in flex.gates.to_dict("records"):
        put_text(ws, r, 1, catalogue.phase_label(str(g["phase"])))
        put_text(ws, r, 2, g["decided"])
        put_text(ws, r, 3, g["conditions"])
        values = [
            (g["p_pass"], "0.0%"),
            _points(g["standard_error"]),  # the uncertainty of a probability: percentage points, as on the console
            (g["npv_if_go_inr_cr"], "#,##0"),
            (g["npv_if_no_go_inr_cr"], "#,##0"),
            (g["committed_npv_if_no_go_inr_cr"], "#,##0"),
        ]
        for j, (v, fmt) in enumerate(values, start=4):
            if v == v:
                ws.cell(r, j, float(v)).number_format = fmt
        if g["npv_if_no_go_inr_cr"] == g["npv_if_no_go_inr_cr"]:
            ws.cell(r, 9, f"=G{r}-H{r}").number_format = "#,##0"
        r += 1
    r += 1
    put_text(ws, r, 1, "NPV committed vs with gates (INR crore)").font = SECTION
    r += 1
    for j, h in enumerate(["statistic", "committed", "gated", "value of flexibility", "standard error"], start=1):
        put_text(ws, r, j, h).font = HEADER
    for stat, row in flex.comparison.iterrows():
        r += 1
        fmt = "0.0%" if stat == "p_npv_below_zero" else "#,##0"
        put_text(ws, r, 1, STAT_LABELS[str(stat)])
        for j, col in enumerate(["committed", "gated"], start=2):
            ws.cell(r, j, float(row[col])).number_format = fmt
        if stat == "p_npv_below_zero":  # a difference of two probabilities: percentage points (catalogue)
            scale, diff_fmt = catalogue.difference_excel("p_npv_below_zero")
            ws.cell(r, 4, f"=(C{r}-B{r})*{scale:g}").number_format = diff_fmt
        else:
            ws.cell(r, 4, f"=C{r}-B{r}").number_format = catalogue.difference_excel("npv_inr_cr")[1]
        se, se_fmt = _points(row["standard_error"]) if stat == "p_npv_below_zero" else (row["standard_error"], "#,##0.0")
        ws.cell(r, 5, float(se)).number_format = se_fmt
    for col, width in zip("ABCDEFGHI", (22, 16, 60, 10, 14, 16, 18, 28, 22), strict=True):
        ws.column_dimensions[col].width = width

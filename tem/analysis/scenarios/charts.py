"""Comparison charts: a waterfall of a KPI bridge and KPI bars across scenarios (plotly)."""

from __future__ import annotations

import math
import re

import plotly.graph_objects as go

from tem import catalogue
from tem.analysis.scenarios.bridge import Bridge
from tem.analysis.scenarios.compare import Comparison, kpi_unit
from tem.exports.charts import theme as th

METHOD_LABELS = {"sequential": "Sequential", "shapley": "Shapley"}


def kpi_label(key: str) -> str:
    """A reader's name for a KPI key, from the catalogue; per-kWh KPIs carry their currency (``Levelized pack cost
    (USD/kWh)``) because the same label exists in INR and USD. Where the unit is shown beside the label (an axis,
    a unit column), the caller adds it."""
    entry = catalogue.kpi(key)
    return f"{entry.label} ({entry.unit})" if entry.kind in ("inr_kwh", "usd_kwh") else entry.label


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


def comparison_folder(comparison: Comparison) -> str:
    """``compare_<a>_vs_<b>`` for two scenarios, ``compare`` for more."""
    if len(comparison.names) == 2:
        return f"compare_{safe_name(comparison.names[0])}_vs_{safe_name(comparison.names[1])}"
    return "compare"


# --- figures ----------------------------------------------------------------------------------------------------


def _value_text(key: str, value: float) -> str:
    """A KPI's value on a chart, in the catalogue's format (``3.3%``, ``FY36``, ``-3,269``); ``n/a`` if undefined."""
    return catalogue.format_value(key, value) if math.isfinite(value) else "n/a"


def _difference_text(key: str, value: float, signed: bool = True) -> str:
    """A difference of two values of a KPI on a chart: a rate's in percentage points (``+4.0 pts``), years in
    years, others signed in the KPI's format (catalogue); ``n/a`` if undefined."""
    return catalogue.format_difference(key, value, signed=signed) if math.isfinite(value) else "n/a"


def bridge_waterfall(bridge: Bridge) -> go.Figure:
    """Waterfall from KPI(A) through each group's contribution to KPI(B)."""
    unit = kpi_unit(bridge.kpi)
    how = METHOD_LABELS.get(bridge.method, bridge.method)
    if bridge.method == "shapley":
        how += " (exact)" if bridge.exact else f" (sampled over {bridge.n_permutations} orders, seed {bridge.seed})"
    else:
        how += ": groups switched from A to B in this order"
    fig = th.figure(f"{kpi_label(bridge.kpi)} bridge", f"{bridge.a_name} to {bridge.b_name}", unit, how)
    x = [f"{th.plot_text(bridge.a_name)} (A)", *map(th.plot_text, bridge.groups), f"{th.plot_text(bridge.b_name)} (B)"]
    values = [bridge.kpi_a, *bridge.contributions, bridge.kpi_b]
    text = [_value_text(bridge.kpi, v) for v in values]
    # the steps are differences: of a rate in percentage points, of years in years (catalogue), never in %
    text[1:-1] = [_difference_text(bridge.kpi, c) for c in bridge.contributions]
    if bridge.standard_errors is not None:
        text[1:-1] = [
            f"{t} ± {_difference_text(bridge.kpi, se, signed=False)}"
            for t, se in zip(text[1:-1], bridge.standard_errors, strict=True)
        ]
    fig.add_trace(
        go.Waterfall(
            x=x,
            y=values,
            measure=["absolute", *["relative"] * len(bridge.groups), "total"],
            text=text,
            textposition="outside",
            cliponaxis=False,
            increasing=dict(marker=dict(color=th.GREEN)),
            decreasing=dict(marker=dict(color=th.VERMILLION)),
            totals=dict(marker=dict(color=th.BLUE)),
            connector=dict(line=dict(color="#bbb", width=1)),
            hovertemplate="%{x}: %{y:,.4g}<extra></extra>",
            name=bridge.kpi,
        )
    )
    fig.update_layout(
        xaxis=dict(type="category", title=dict(text="changed group of assumptions"), tickangle=-30),
        showlegend=False,
        hovermode="closest",
    )
    return fig


def kpi_bars(comparison: Comparison, kpi: str) -> go.Figure:
    """One bar per scenario for a KPI, with the difference from the first scenario on each later bar."""
    values = comparison.kpi_values(kpi)
    unit = kpi_unit(kpi)
    first = float(values.iloc[0])
    text = [_value_text(kpi, float(v)) for v in values]
    text[1:] = [f"{t} ({_difference_text(kpi, float(v) - first)})" for t, v in zip(text[1:], values.iloc[1:], strict=True)]
    fig = th.figure(
        kpi_label(kpi), ", ".join(comparison.names), unit, f"in brackets: the difference from {comparison.first}"
    )
    fig.add_bar(
        x=[th.plot_text(n) for n in comparison.names],
        y=[float(v) if math.isfinite(float(v)) else None for v in values],
        text=text,
        textposition="outside",
        cliponaxis=False,
        marker_color=[th.colour(i) for i in range(len(values))],
        hovertemplate="%{x}: %{y:,.4g}<extra></extra>",
        name=kpi,
    )
    fig.update_layout(xaxis=dict(type="category", title=dict(text="scenario")), showlegend=False, hovermode="closest")
    return fig


# --- workbook ---------------------------------------------------------------------------------------------------

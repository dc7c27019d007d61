"""One look for every chart: a colour-blind-safe palette, fonts, axis titles with units, the FY category axis.

The palette is Okabe and Ito's eight colours (Okabe & Ito 2008, "Color Universal Design"), which stay
distinguishable under the common forms of colour blindness; where a chart needs more series than that, later
series repeat a colour with a hatch pattern. Text that comes from users (scenario and phase names) goes through
:func:`plot_text`, because plotly reads a subset of HTML tags in titles, legends and labels.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tem.assumptions.yearly import fy_label

# Okabe-Ito, reordered so the first series get the most distinct colours.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
BLACK = "#000000"
GREY = "#999999"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY)
PATTERNS = ("", "/", ".", "x", "\\", "+", "-", "|")

FONT = "Liberation Sans, Arial, Helvetica, sans-serif"

INR_CRORE = "INR crore"
INR_PER_KWH = "INR/kWh"
GWH = "GWh"

POLICY_LINE = dict(color=BLACK, width=1.2, dash="dash")
YARDSTICK_LINE = dict(color=VERMILLION, width=1.5, dash="dot")


def plot_text(text: str) -> str:
    """User text made literal for plotly: '<b>' shows as '<b>' instead of turning the text bold."""
    return html.escape(str(text), quote=False)


def colour(i: int) -> str:
    """The i-th series colour (cycles through the palette)."""
    return PALETTE[i % len(PALETTE)]


def pattern(i: int) -> str:
    """Hatch for the i-th series: none for the first cycle of the palette, then one per extra cycle."""
    return PATTERNS[(i // len(PALETTE)) % len(PATTERNS)]


def fy_labels(years: list[int] | range) -> list[str]:
    return [fy_label(int(y)) for y in years]


def base_layout(title: str, scenario: str, y_title: str, subtitle: str | None = None) -> dict[str, Any]:
    """Layout shared by every chart: title with the scenario name, FY category x axis, y axis with its unit."""
    text = f"<b>{plot_text(scenario)}</b>: {title}"
    if subtitle:
        text += f"<br><span style='font-size:13px;color:#555'>{subtitle}</span>"
    return dict(
        template="plotly_white",
        font=dict(family=FONT, size=14, color="#222"),
        title=dict(text=text, x=0.01, xanchor="left", y=0.97, yanchor="top", font=dict(size=20)),
        colorway=list(PALETTE),
        margin=dict(l=80, r=40, t=90, b=110),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=-0.12, yanchor="top", font=dict(size=13), traceorder="normal"),
        hovermode="x unified",
        xaxis=dict(type="category", title=dict(text="Fiscal year (April-March)"), tickangle=0, showgrid=False),
        yaxis=dict(
            title=dict(text=y_title),
            separatethousands=True,
            zeroline=True,
            zerolinecolor="#888",
            zerolinewidth=1.2,
            gridcolor="#e5e5e5",
        ),
    )


def figure(title: str, scenario: str, y_title: str, subtitle: str | None = None) -> go.Figure:
    return go.Figure(layout=base_layout(title, scenario, y_title, subtitle))


def fmt_number(x: float | None, decimals: int = 0) -> str:
    """'12,399' style with an ASCII minus; 'n/a' for None or NaN; never '-0'."""
    if x is None or not math.isfinite(x):
        return "n/a"
    s = f"{x:,.{decimals}f}"
    return s[1:] if s.startswith("-") and float(s.replace(",", "")) == 0 else s


LEVELIZED_LABELS = {
    "imported_cells": "Imported cells",
    "local_cell_materials_imported": "Local cells: materials, imported",
    "local_cell_materials_local": "Local cells: materials, local",
    "local_cell_labour": "Local cells: labour",
    "local_cell_energy": "Local cells: energy",
    "local_cell_overhead": "Local cells: overhead",
    "local_cell_royalty": "Local cells: royalty",
    "recycling_credit": "Recycling credit",
    "non_cell_imported": "Non-cell parts, imported",
    "non_cell_local": "Non-cell parts, local",
    "assembly": "Pack assembly",
    "bought_in_packs": "Packs bought in",
    "fixed_opex": "Fixed opex of phases",
    "cell_fixed_opex": "Cell plant fixed opex",
    "rnd": "R&D / centre of excellence",
    "sga": "SG&A",
    "warranty": "Warranty",
    "technology_fee": "Technology fee",
    "capex": "Capex",
    "cell_capex": "Cell plant and recycling capex",
    "maintenance_capex": "Maintenance capex",
}


def row_values(table: pd.DataFrame, key: str, fys: list[str]) -> np.ndarray:
    """One line of a result table over the given FY columns, as floats."""
    return table.loc[key, fys].to_numpy(dtype=float)


def hover_template(unit: str, decimals: int = 0) -> str:
    return f"%{{fullData.name}}: %{{y:,.{decimals}f}} {unit}<extra></extra>"


def fy_marker(fig: go.Figure, fy: str, text: str, colour: str = BLACK) -> None:
    """A vertical line at a category FY, labelled at the top of the plot; the label sits on the side with room
    (left of the line in the right half), and the FY axis keeps exactly its categories (a marker in the last year
    does not stretch the axis)."""
    categories = next((list(t.x) for t in fig.data if getattr(t, "x", None) is not None and len(t.x)), [])
    right_half = fy in categories and categories.index(fy) > len(categories) / 2
    if categories:
        fig.update_xaxes(range=[-0.5, len(categories) - 0.5])
    fig.add_shape(
        type="line",
        xref="x",
        yref="paper",
        x0=fy,
        x1=fy,
        y0=0,
        y1=1,
        line=dict(color=colour, width=1.5, dash="dash"),
        layer="above",
    )
    fig.add_annotation(
        x=fy,
        xref="x",
        y=1.0,
        yref="paper",
        text=text,
        showarrow=False,
        xanchor="right" if right_half else "left",
        yanchor="bottom",
        xshift=-4 if right_half else 4,
        font=dict(size=13, color=colour),
    )

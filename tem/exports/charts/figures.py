"""Plotly charts of one result: pure functions that build figures (never show or write them), and a renderer.

Every figure plots rows of ``result.statement``, ``result.unit_costs`` or ``result.levelized`` as they are
(capex as spend, i.e. the statement's outflow with its sign flipped), so a test can compare trace data with the
tables. :func:`render_charts` turns them into file contents: offline HTML (plotly.js embedded) and PNG through
kaleido and a Chromium-based browser (:mod:`tem.exports.charts.png`).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from tem.exports.charts import theme as th
from tem.exports.charts.levelized import levelized_waterfall
from tem.exports.charts.png import PngUnavailableError, png_available
from tem.model.results import Result

__all__ = [
    "FIGURE_NAMES",
    "PngUnavailableError",
    "all_figures",
    "capex_chart",
    "cash_flow_chart",
    "levelized_waterfall",
    "png_available",
    "render_charts",
    "unit_cost_chart",
    "volumes_chart",
]

FIGURE_NAMES = (
    "cash_flow",
    "unit_cost_pack",
    "unit_cost_cell",
    "volumes_dva",
    "capex_by_phase",
    "levelized_pack",
    "levelized_cell",
)
PNG_WIDTH, PNG_HEIGHT, PNG_SCALE = 1200, 700, 1

# Policy lines on the DVA axis: (share, label, line style, the DVA line they apply to). The ACC PLI tests the
# local cells' own DVA; the managing director's yardstick is DVA on sales.
CELL_DVA_COLOUR = th.GREEN
PLI_LINE = {**th.POLICY_LINE, "color": CELL_DVA_COLOUR}
DVA_LINES = (
    (0.25, "ACC PLI (tested on the local cells' DVA): 25% within 2 years", PLI_LINE, "cell"),
    (0.60, "ACC PLI (tested on the local cells' DVA): 60% within 5 years", PLI_LINE, "cell"),
    (0.30, "MD's yardstick on DVA of sales: 30% (70% from outside)", th.YARDSTICK_LINE, "sales"),
)

PACK_COMPONENTS = (
    ("pack_cells", "Cells (imported and local)"),
    ("pack_non_cell_imported", "Non-cell parts, imported"),
    ("pack_non_cell_local", "Non-cell parts, local"),
    ("pack_assembly", "Assembly"),
)
# Vermillion is kept for the imported cell line.
CELL_COMPONENTS = (
    ("local_cell_materials_imported", "Materials, imported", th.BLUE),
    ("local_cell_materials_local", "Materials, local", th.ORANGE),
    ("local_cell_labour", "Labour", th.GREEN),
    ("local_cell_energy", "Energy", th.SKY),
    ("local_cell_overhead", "Overhead", th.PURPLE),
    ("local_cell_royalty", "Royalty", th.GREY),
    ("local_cell_fixed_and_depreciation", "Plant fixed opex and depreciation", th.YELLOW),
    ("local_cell_recycling_credit", "Recycling credit (below zero)", th.BLACK),
)
VOLUME_ROWS = (
    ("local_cells_gwh", "Cells made in India", th.GREEN),
    ("imported_cells_gwh", "Cells imported", th.SKY),
    ("bought_in_packs_gwh", "Packs bought in", th.ORANGE),
)


_row = th.row_values
_fy_marker = th.fy_marker
_hover = th.hover_template
LEVELIZED_LABELS = th.LEVELIZED_LABELS


def cash_flow_chart(result: Result) -> go.Figure:
    """Free cash flow by FY (bars) and cumulative free cash flow (line) [INR crore], peak funding marked."""
    fys = result.fiscal_years
    fcf = _row(result.statement, "free_cash_flow", fys)
    cumulative = _row(result.statement, "cumulative_free_cash_flow", fys)
    fig = th.figure(
        "free cash flow and cumulative cash",
        result.name,
        f"Free cash flow ({th.INR_CRORE})",
        "Outflows negative; year-end flows",
    )
    fig.add_bar(
        x=fys,
        y=fcf,
        name="Free cash flow",
        marker_color=[th.GREEN if v >= 0 else th.VERMILLION for v in fcf],
        hovertemplate=_hover(th.INR_CRORE),
    )
    fig.add_scatter(
        x=fys,
        y=cumulative,
        name="Cumulative free cash flow",
        mode="lines+markers",
        line=dict(color=th.BLUE, width=3),
        marker=dict(size=6),
        hovertemplate=_hover(th.INR_CRORE),
    )
    peak, peak_fy = result.kpis.get("peak_funding_inr_cr"), result.kpis.get("peak_funding_fy")
    if peak and peak_fy is not None:
        label = th.fy_labels([peak_fy])[0]
        fig.add_annotation(
            x=label,
            y=-peak,
            text=f"Peak funding: INR {th.fmt_number(peak)} crore in {label}",
            showarrow=True,
            arrowhead=2,
            ax=-40,
            ay=45,
            xanchor="right",
            bgcolor="rgba(255,255,255,0.9)",
            bordercolor=th.BLUE,
            font=dict(size=14, color=th.BLUE),
        )
    fig.update_layout(barmode="relative", yaxis_tickformat=",.0f")
    return fig


def unit_cost_chart(result: Result, level: str = "pack") -> go.Figure:
    """Cost per kWh stacked by component over FY [INR/kWh].

    ``level="pack"``: variable cost of a pack made in India (cells, non-cell parts, assembly), with the landed
    price of a bought-in pack as the alternative. ``level="cell"``: the local cell's full cost (materials,
    conversion, royalty, fixed opex and depreciation of the cell plants and recycling line, less the recycling
    credit, drawn below zero) against the landed imported cell, the crossover FY
    (first year the local full cost is at or below the import) marked when there is one.
    """
    if level not in ("pack", "cell"):
        raise ValueError(f"level must be 'pack' or 'cell', not {level!r}")
    fys = result.fiscal_years
    costs = result.unit_costs
    row = lambda key: _row(costs, f"{key}_inr_per_kwh", fys)  # noqa: E731
    if level == "pack":
        fig = th.figure(
            "pack cost per kWh by component",
            result.name,
            f"Cost ({th.INR_PER_KWH})",
            "Variable cost of a pack made in India, nominal",
        )
        made = np.isfinite(row("pack_variable"))
        for i, (key, label) in enumerate(PACK_COMPONENTS):
            fig.add_bar(
                x=fys,
                y=np.where(made, row(key), np.nan),
                name=label,
                marker_color=th.colour(i),
                hovertemplate=_hover(th.INR_PER_KWH),
            )
        fig.add_scatter(
            x=fys,
            y=row("bought_in_pack_landed"),
            name="Bought-in pack, landed (the alternative)",
            mode="lines+markers",
            line=dict(color=th.BLACK, width=2.5, dash="dash"),
            hovertemplate=_hover(th.INR_PER_KWH),
        )
    else:
        local = np.isfinite(row("local_cell_full"))
        fig = th.figure(
            "cell cost per kWh, local against imported",
            result.name,
            f"Cost ({th.INR_PER_KWH})",
            "Bars: local cell full cost by component; nominal"
            if local.any()
            else "No cells are made in India in this scenario: the imported cell's landed cost only; nominal",
        )
        if local.any():  # no empty legend entries for a scenario without local cells
            for key, label, colour in CELL_COMPONENTS:
                fig.add_bar(
                    x=fys,
                    y=np.where(local, row(key), np.nan),
                    name=label,
                    marker_color=colour,
                    hovertemplate=_hover(th.INR_PER_KWH),
                )
            fig.add_scatter(
                x=fys,
                y=row("local_cell_full"),
                name="Local cell, full cost",
                mode="lines+markers",
                line=dict(color=th.BLACK, width=2.5),
                hovertemplate=_hover(th.INR_PER_KWH),
            )
        fig.add_scatter(
            x=fys,
            y=row("imported_cell_replaced_landed"),
            name="Imported cell it replaces, landed",
            mode="lines+markers",
            line=dict(color=th.VERMILLION, width=3, dash="dash"),
            marker=dict(symbol="diamond", size=7),
            hovertemplate=_hover(th.INR_PER_KWH),
        )
        crossover = result.kpis.get("crossover_fy")
        if crossover is not None:
            label = th.fy_labels([crossover])[0]
            _fy_marker(fig, label, f"Local full cost at or below import from {label}")
    # relative: the cell chart's recycling credit stacks below zero, the costs above; a legend even for one line
    fig.update_layout(barmode="stack" if level == "pack" else "relative", yaxis_tickformat=",.0f", showlegend=True)
    return fig


def volumes_chart(result: Result) -> go.Figure:
    """Local cells, imported cells and bought-in packs [GWh] stacked; on a second axis the DVA share of sales
    (with the managing director's 30% yardstick) and the local cells' own DVA (with the ACC PLI thresholds,
    25% and 60%, which are tested on it), the latter only in years with local cells."""
    fys = result.fiscal_years
    fig = th.figure(
        "sourcing volumes and domestic value addition",
        result.name,
        f"Volume ({th.GWH} per year)",
        "Stacked areas: cells by origin and finished packs bought in; lines: DVA of sales and of local cells (right axis)",
    )
    for key, label, colour in VOLUME_ROWS:
        fig.add_scatter(
            x=fys,
            y=_row(result.statement, key, fys),
            name=label,
            mode="lines",
            stackgroup="volume",
            line=dict(color=colour, width=1),
            fillcolor=colour,
            hovertemplate=_hover(th.GWH, 2),
        )
    dva = _row(result.statement, "dva_share", fys)
    local = _row(result.statement, "local_cells_gwh", fys) > 0
    cell_dva = np.where(local, _row(result.statement, "cell_dva_share", fys), np.nan)
    fig.add_scatter(
        x=fys,
        y=dva,
        name="DVA of sales (right axis)",
        mode="lines+markers",
        yaxis="y2",
        line=dict(color=th.BLACK, width=3),
        marker=dict(size=6),
        hovertemplate="%{fullData.name}: %{y:.1%}<extra></extra>",
    )
    if local.any():
        fig.add_scatter(
            x=fys,
            y=cell_dva,
            name="DVA of local cells, the ACC PLI test (right axis)",
            mode="lines+markers",
            yaxis="y2",
            line=dict(color=CELL_DVA_COLOUR, width=3, dash="dot"),
            marker=dict(size=7, symbol="square", color=CELL_DVA_COLOUR, line=dict(color=th.BLACK, width=1)),
            hovertemplate="%{fullData.name}: %{y:.1%}<extra></extra>",
        )
    shown = np.concatenate([dva[np.isfinite(dva)], cell_dva[np.isfinite(cell_dva)]])
    top = max(0.7, float(shown.max()) + 0.05) if shown.size else 0.7
    for share, label, line, applies in DVA_LINES:
        if applies == "cell" and not local.any():
            continue
        fig.add_shape(type="line", xref="paper", x0=0, x1=1, yref="y2", y0=share, y1=share, line=line, layer="above")
        fig.add_annotation(
            xref="paper",
            x=0.005,
            xanchor="left",
            yref="y2",
            y=share,
            yanchor="bottom",
            text=label,
            showarrow=False,
            font=dict(size=12, color=line["color"]),
            bgcolor="rgba(255,255,255,0.75)",
        )
    fig.update_layout(
        yaxis2=dict(
            title=dict(text="DVA share (of sales; of local cells)"),
            overlaying="y",
            side="right",
            range=[0, top],
            tickformat=".0%",
            dtick=0.1,
            showgrid=False,
            zeroline=False,
        ),
        yaxis_rangemode="tozero",
        margin=dict(r=80),
    )
    return fig


def capex_chart(result: Result) -> go.Figure:
    """Capex spend by phase over FY [INR crore] (positive: the statement's outflow with its sign flipped)."""
    fys = result.fiscal_years
    statement = result.statement
    fig = th.figure(
        "capex by phase",
        result.name,
        f"Capex spend ({th.INR_CRORE})",
        f"Phase capex, INR {th.fmt_number(result.kpis.get('total_capex_inr_cr'))} crore in all; "
        "maintenance capex not included",
    )
    phases = [k for k in statement.index if k.startswith("capex_") and k != "capex_total"]
    shown = 0
    for key in phases:
        spend = -_row(statement, key, fys) + 0.0
        if not np.any(spend):
            continue
        label = str(statement.loc[key, "label"]).removeprefix("Capex: ")
        fig.add_bar(
            x=fys,
            y=spend,
            name=th.plot_text(label),
            marker_color=th.colour(shown),
            marker_pattern_shape=th.pattern(shown),
            hovertemplate=_hover(th.INR_CRORE),
        )
        shown += 1
    fig.update_layout(barmode="stack", yaxis_tickformat=",.0f", showlegend=True)  # a legend even for one line
    return fig


def all_figures(result: Result) -> dict[str, go.Figure]:
    """Every chart of one result by its stable name (:data:`FIGURE_NAMES`)."""
    return {
        "cash_flow": cash_flow_chart(result),
        "unit_cost_pack": unit_cost_chart(result, "pack"),
        "unit_cost_cell": unit_cost_chart(result, "cell"),
        "volumes_dva": volumes_chart(result),
        "capex_by_phase": capex_chart(result),
        "levelized_pack": levelized_waterfall(result, "pack"),
        "levelized_cell": levelized_waterfall(result, "cell"),
    }


def render_charts(result: Result, png: bool = True) -> dict[str, bytes]:
    """See :func:`tem.exports.charts.files.render_charts`."""
    from tem.exports.charts.files import render_charts as render

    return render(result, png)

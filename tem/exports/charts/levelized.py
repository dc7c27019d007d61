"""The levelized cost waterfall of one result: the levelized pack or cell cost per kWh split by component
(``result.levelized``), components in the catalogue's order, the total with its USD equivalent."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import plotly.graph_objects as go

from tem.exports.charts import theme as th
from tem.model.results import Result

LEVELIZED_LABELS = th.LEVELIZED_LABELS


def _ordered(keys: Iterable[str]) -> list[str]:
    known = [k for k in LEVELIZED_LABELS if k in keys]
    return known + [k for k in keys if k not in LEVELIZED_LABELS]


def levelized_waterfall(result: Result, level: str = "pack") -> go.Figure:
    """Levelized cost by component [INR/kWh] as a waterfall whose total bar is the KPI.

    Components are PV(component cost) / PV(kWh) with the statement's discount factors; they sum to
    ``levelized_<level>_cost_inr_per_kwh``. Components that are zero or do not apply are left out.
    """
    if level not in ("pack", "cell"):
        raise ValueError(f"level must be 'pack' or 'cell', not {level!r}")
    column = result.levelized[f"{level}_inr_per_kwh"]
    column = column[np.isfinite(column.to_numpy(dtype=float)) & (column != 0.0)]
    keys = _ordered(list(column.index))
    total = result.kpis.get(f"levelized_{level}_cost_inr_per_kwh")
    usd = result.kpis.get(f"levelized_{level}_cost_usd_per_kwh")
    what = "delivered pack" if level == "pack" else "cell used"
    fig = th.figure(
        f"levelized {level} cost by component",
        result.name,
        "",
        f"PV of costs / PV of kWh per {what}; nominal, at the discount rate",
    )
    labels = [th.plot_text(LEVELIZED_LABELS.get(k, k.replace("_", " "))) for k in keys]
    values = [float(column[k]) for k in keys]
    total_text = f"{th.fmt_number(total)} {th.INR_PER_KWH}"
    if usd is not None:
        total_text += f" (USD {th.fmt_number(usd, 1)}/kWh)"
    fig.add_trace(
        go.Waterfall(
            orientation="h",
            y=[*labels, "<b>Levelized cost</b>"],
            x=[*values, total],
            measure=["relative"] * len(values) + ["total"],
            name="Levelized cost",
            text=[th.fmt_number(v) for v in values] + [total_text],
            textposition="outside",
            cliponaxis=False,
            increasing=dict(marker=dict(color=th.BLUE)),
            decreasing=dict(marker=dict(color=th.GREEN)),
            totals=dict(marker=dict(color=th.ORANGE)),
            connector=dict(line=dict(color="#bbb", width=1)),
            hovertemplate="%{y}: %{x:,.0f} INR/kWh<extra></extra>",
        )
    )
    running = np.cumsum([0.0, *values])  # the bars' ends; room on the right for the total's label
    low, high = min(0.0, float(running.min())), float(running.max())
    span = max(high - low, 1.0)
    fig.update_layout(
        xaxis=dict(
            type="linear",
            title=dict(text=f"Levelized cost ({th.INR_PER_KWH})"),
            tickformat=",.0f",
            range=[low - 0.02 * span, high + 0.3 * span],
            showgrid=True,
            gridcolor="#e5e5e5",
        ),
        yaxis=dict(type="category", autorange="reversed", title=dict(text=""), automargin=True),
        margin=dict(l=40, r=40, b=70),
        showlegend=False,
        hovermode="closest",
    )
    return fig

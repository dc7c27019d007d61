"""Chart files for a run folder: one HTML page per chart sharing ``charts/plotly.min.js`` (offline, no CDN),
and PNGs for slides."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from tem.exports.charts.png import PngUnavailableError, png_available, pngs_in_background
from tem.model.results import Result

PNG_WIDTH, PNG_HEIGHT, PNG_SCALE = 1200, 700, 1
PLOTLY_JS = "plotly.min.js"


def figure_html(fig: go.Figure) -> bytes:
    """A whole HTML page that loads plotly.js from ``plotly.min.js`` beside it (so it works offline)."""
    return pio.to_html(fig, include_plotlyjs="directory", full_html=True, config={"displaylogo": False}).encode("utf-8")


def html_files(figures: Mapping[str, go.Figure]) -> dict[str, bytes]:
    """``charts/plotly.min.js`` and ``charts/<name>.html`` for every figure."""
    out: dict[str, bytes] = {f"charts/{PLOTLY_JS}": get_plotlyjs().encode("utf-8")}
    for name, fig in figures.items():
        out[f"charts/{name}.html"] = figure_html(fig)
    return out


def start_pngs(figures: Mapping[str, go.Figure | Mapping[str, Any]]) -> Future[dict[str, bytes]]:
    """Start drawing ``charts/<name>.png`` (1200 x 700) of every figure (or ``Figure.to_dict()``) on a helper
    thread; see
    :func:`merge_charts` for the files in order. Raises :class:`PngUnavailableError` at once when no
    Chromium-based browser is installed."""
    ok, why = png_available()
    if not ok:
        raise PngUnavailableError(why)
    return pngs_in_background(figures, PNG_WIDTH, PNG_HEIGHT, PNG_SCALE)


def merge_charts(html: Mapping[str, bytes], pngs: Mapping[str, bytes] | None) -> dict[str, bytes]:
    """The chart files in their usual order: plotly.min.js, then each figure's HTML followed by its PNG."""
    out: dict[str, bytes] = {}
    for key, content in html.items():
        out[key] = content
        name = key.removeprefix("charts/").removesuffix(".html")
        if pngs is not None and key.endswith(".html") and name in pngs:
            out[f"charts/{name}.png"] = pngs[name]
    return out


def render_charts(result: Result, png: bool = True, figures: Mapping[str, go.Figure] | None = None) -> dict[str, bytes]:
    """File contents by relative path: ``charts/<name>.html`` for every figure, ``charts/plotly.min.js``
    once, and ``charts/<name>.png`` (1200 x 700) when ``png`` is true (drawn by the browser while the HTML
    is written). ``figures``: the result's figures when the caller already made them.

    Raises :class:`PngUnavailableError` (a :class:`tem.TemError`) before rendering anything when PNGs are asked
    for and no Chromium-based browser is installed; call with ``png=False``, or check :func:`png_available`
    first, to write the HTML anyway.
    """
    from tem.exports.charts.figures import all_figures

    figs = all_figures(result) if figures is None else figures
    job = start_pngs(figs) if png else None
    html = html_files(figs)
    return merge_charts(html, job.result() if job is not None else None)

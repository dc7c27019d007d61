"""Chart files for a run folder: one HTML page per chart sharing ``charts/plotly.min.js`` (offline, no CDN),
and PNGs for slides."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from tem.exports.charts.png import PngUnavailableError, figure_png, png_available
from tem.model.results import Result

PNG_WIDTH, PNG_HEIGHT, PNG_SCALE = 1200, 700, 1
PLOTLY_JS = "plotly.min.js"


def figure_html(fig: go.Figure) -> bytes:
    """A whole HTML page that loads plotly.js from ``plotly.min.js`` beside it (so it works offline)."""
    return pio.to_html(fig, include_plotlyjs="directory", full_html=True, config={"displaylogo": False}).encode("utf-8")


def render_charts(result: Result, png: bool = True) -> dict[str, bytes]:
    """File contents by relative path: ``charts/<name>.html`` for every figure, ``charts/plotly.min.js``
    once, and ``charts/<name>.png`` (1200 x 700) when ``png`` is true.

    Raises :class:`PngUnavailableError` (a :class:`tem.TemError`) before rendering anything when PNGs are asked
    for and no Chromium-based browser is installed; call with ``png=False``, or check :func:`png_available`
    first, to write the HTML anyway.
    """
    from tem.exports.charts.figures import all_figures

    if png:
        ok, why = png_available()
        if not ok:
            raise PngUnavailableError(why)
    out: dict[str, bytes] = {f"charts/{PLOTLY_JS}": get_plotlyjs().encode("utf-8")}
    for name, fig in all_figures(result).items():
        out[f"charts/{name}.html"] = figure_html(fig)
        if png:
            out[f"charts/{name}.png"] = figure_png(fig, PNG_WIDTH, PNG_HEIGHT, PNG_SCALE)
    return out

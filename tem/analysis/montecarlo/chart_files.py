"""The chart files of a Monte Carlo run: ``charts/plotly.min.js``, an HTML page per figure and PNGs of some.

The figures the browser draws are made first and handed to it (:func:`tem.exports.charts.png.pngs_in_background`),
so it draws them while this process makes the other figures, their HTML pages and the other files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from functools import partial

import plotly.graph_objects as go

from tem.analysis.montecarlo.charts import convergence_figure, histogram_figure, s_curve_figure, sobol_figure
from tem.analysis.montecarlo.flex_export import flexibility_figure
from tem.analysis.montecarlo.run import MonteCarloResult
from tem.exports.charts.files import PLOTLY_JS, PNG_HEIGHT, PNG_SCALE, PNG_WIDTH, figure_html
from tem.exports.charts.png import pngs_in_background

NO_PNG = ("convergence_", "flexibility_")  # figures drawn as HTML only


def safe_name(name: str) -> str:
    """A file-name part: letters, digits, ``_`` and ``-``; anything else becomes ``_``."""
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)


class ChartFiles:
    """The figures of ``result`` (made at once) and the PNGs of ``png_kpis``' figures (drawn from now on, with
    ``png``; default: every KPI's histogram and S-curve)."""

    def __init__(self, result: MonteCarloResult, png: bool, png_kpis: Sequence[str] | None = None) -> None:
        # (KPI, file name, how to draw it), in the order of the files
        plan: list[tuple[str, str, Callable[[], go.Figure]]] = []
        for kpi in map(str, result.summary.index):
            if result.summary.loc[kpi, "n_valid"] == 0:
                continue
            plan.append((kpi, f"histogram_{safe_name(kpi)}", partial(histogram_figure, result, kpi)))
            plan.append((kpi, f"s_curve_{safe_name(kpi)}", partial(s_curve_figure, result, kpi)))
            plan.append((kpi, f"convergence_{safe_name(kpi)}", partial(convergence_figure, result, kpi)))
            if result.sobol is not None and kpi in set(result.sobol.indices["kpi"]):
                plan.append((kpi, f"sobol_{safe_name(kpi)}", partial(sobol_figure, result, kpi)))
        if result.flexibility is not None:
            plan.append(("npv_inr_cr", "flexibility_npv", partial(flexibility_figure, result)))
        wanted = set(result.summary.index if png_kpis is None else png_kpis)
        drawn = [name for kpi, name, _ in plan if png and kpi in wanted and not name.startswith(NO_PNG)]
        figures = {name: make() for _, name, make in plan if name in drawn}
        self._pngs: Future[dict[str, bytes]] | None = (
            pngs_in_background(figures, PNG_WIDTH, PNG_HEIGHT, PNG_SCALE) if drawn else None
        )
        figures |= {name: make() for _, name, make in plan if name not in figures}
        self.names = [name for _, name, _make in plan]
        self.figures = figures

    def html(self) -> dict[str, bytes]:
        """Each figure's HTML page, by name."""
        return {name: figure_html(self.figures[name]) for name in self.names}

    def files(
        self, html: dict[str, bytes], png_skipped: Callable[[str], None] | None = None
    ) -> dict[str, bytes | str]:
        """``charts/plotly.min.js``, then each figure's HTML followed by its PNG (waits for the browser).
        ``png_skipped``: PNGs are a default, not asked for: when the browser cannot draw them it is told why
        and the files come without PNGs (else :class:`~tem.exports.charts.png.PngUnavailableError`)."""
        from plotly.offline import get_plotlyjs

        from tem.exports.charts.png import drawn_or_why

        files: dict[str, bytes | str] = {f"charts/{PLOTLY_JS}": get_plotlyjs().encode("utf-8")}
        done: dict[str, bytes] = {}
        if self._pngs is not None:
            drawn, failed = drawn_or_why(self._pngs.result) if png_skipped else (self._pngs.result(), None)
            if failed is not None and png_skipped is not None:
                png_skipped(failed)
            done = drawn or {}
        for name in self.names:
            files[f"charts/{name}.html"] = html[name]
            if name in done:
                files[f"charts/{name}.png"] = done[name]
        return files

"""Charts: every trace plots the statement / unit-cost rows it names; HTML offline; PNG through kaleido.

PNG tests need a Chromium-based browser (`apt-get install chromium`). Without one they are skipped with that
reason, unless TEM_REQUIRE_BROWSER=1, in which case they fail (CI sets it where the browser is installed).
"""

from __future__ import annotations

import html
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.offline
import pytest

import tem
from tem.exports.charts import figures as charts
from tem.exports.charts import png as chart_png
from tem.exports.charts import theme as th

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
IMPORT_ONLY = ROOT / "assumptions" / "scenarios" / "import_only.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def need_browser() -> None:
    ok, why = charts.png_available()
    if ok:
        return
    if os.environ.get("TEM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TEM_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def base() -> tem.Result:
    return tem.run(tem.load(BASE))


@pytest.fixture(scope="module")
def import_only() -> tem.Result:
    return tem.run(tem.load(IMPORT_ONLY))


@pytest.fixture(scope="module")
def figures(base: tem.Result) -> dict[str, go.Figure]:
    return charts.all_figures(base)


def row(table, key: str, result: tem.Result) -> np.ndarray:
    return table.loc[key, result.fiscal_years].to_numpy(dtype=float)


def traces(fig: go.Figure) -> dict[str, go.BaseTraceType]:
    out = {t.name: t for t in fig.data}
    assert len(out) == len(fig.data), "trace names must be unique"
    return out


def ys(trace: go.BaseTraceType) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in trace.y], dtype=float)


def test_all_figures_names_and_titles(figures: dict[str, go.Figure], base: tem.Result) -> None:
    assert list(figures) == list(charts.FIGURE_NAMES)
    assert list(figures) == [
        "cash_flow",
        "unit_cost_pack",
        "unit_cost_cell",
        "volumes_dva",
        "capex_by_phase",
        "levelized_pack",
        "levelized_cell",
    ]
    for name, fig in figures.items():
        assert isinstance(fig, go.Figure), name
        assert base.name in fig.layout.title.text, name
        assert fig.data, name


def test_cash_flow_bars_and_line_are_the_statement_rows(figures: dict[str, go.Figure], base: tem.Result) -> None:
    fig = figures["cash_flow"]
    t = traces(fig)
    assert set(t) == {"Free cash flow", "Cumulative free cash flow"}
    assert t["Free cash flow"].type == "bar"
    assert list(t["Free cash flow"].x) == base.fiscal_years
    np.testing.assert_array_equal(ys(t["Free cash flow"]), row(base.statement, "free_cash_flow", base))
    np.testing.assert_array_equal(ys(t["Cumulative free cash flow"]), row(base.statement, "cumulative_free_cash_flow", base))
    assert fig.layout.xaxis.type == "category"
    assert "INR crore" in fig.layout.yaxis.title.text


def test_cash_flow_marks_peak_funding(figures: dict[str, go.Figure], base: tem.Result) -> None:
    k = base.kpis
    (note,) = [a for a in figures["cash_flow"].layout.annotations if "Peak funding" in a.text]
    assert "INR 9,257 crore" in note.text  # README base case: peak funding 9,257 INR crore
    assert f"{k['peak_funding_inr_cr']:,.0f}" in note.text
    assert note.x == "FY34" == f"FY{k['peak_funding_fy'] % 100}"
    assert note.y == pytest.approx(-k["peak_funding_inr_cr"])
    assert note.y == pytest.approx(min(row(base.statement, "cumulative_free_cash_flow", base)))


def test_unit_cost_pack_stacks_the_pack_components(figures: dict[str, go.Figure], base: tem.Result) -> None:
    fig = figures["unit_cost_pack"]
    t = traces(fig)
    u = base.unit_costs
    assert fig.layout.barmode == "stack"
    assert "INR/kWh" in fig.layout.yaxis.title.text
    bars = [tr for tr in fig.data if tr.type == "bar"]
    assert len(bars) == len(charts.PACK_COMPONENTS)
    made = np.isfinite(row(u, "pack_variable_inr_per_kwh", base))
    for (key, label), bar in zip(charts.PACK_COMPONENTS, bars, strict=True):
        assert bar.name == label
        expected = np.where(made, row(u, f"{key}_inr_per_kwh", base), np.nan)
        np.testing.assert_array_equal(ys(bar), expected)
    stacked = np.sum([ys(b) for b in bars], axis=0)
    np.testing.assert_allclose(stacked[made], row(u, "pack_variable_inr_per_kwh", base)[made], rtol=1e-12)
    alternative = t["Bought-in pack, landed (the alternative)"]
    np.testing.assert_array_equal(ys(alternative), row(u, "bought_in_pack_landed_inr_per_kwh", base))


def test_unit_cost_cell_components_sum_to_full_cost_and_mark_crossover(
    figures: dict[str, go.Figure], base: tem.Result
) -> None:
    fig = figures["unit_cost_cell"]
    t = traces(fig)
    u = base.unit_costs
    bars = [tr for tr in fig.data if tr.type == "bar"]
    assert [b.name for b in bars] == [label for _, label, _ in charts.CELL_COMPONENTS]
    for (key, _, _), bar in zip(charts.CELL_COMPONENTS, bars, strict=True):
        np.testing.assert_array_equal(ys(bar), row(u, f"{key}_inr_per_kwh", base))
    full = row(u, "local_cell_full_inr_per_kwh", base)
    np.testing.assert_array_equal(ys(t["Local cell, full cost"]), full)
    np.testing.assert_array_equal(
        ys(t["Imported cell it replaces, landed"]), row(u, "imported_cell_replaced_landed_inr_per_kwh", base)
    )
    has = np.isfinite(full)
    np.testing.assert_allclose(np.sum([ys(b) for b in bars], axis=0)[has], full[has], rtol=1e-12)
    # Crossover: README base case says local cells are cheaper on full cost from FY36.
    assert base.kpis["crossover_fy"] == 2036
    lines = [s for s in fig.layout.shapes if s.xref == "x" and s.x0 == s.x1]
    assert [s.x0 for s in lines] == ["FY36"]
    assert any("FY36" in a.text for a in fig.layout.annotations)


def test_no_crossover_line_when_local_cells_never_start(import_only: tem.Result) -> None:
    assert import_only.kpis["crossover_fy"] is None
    fig = charts.unit_cost_chart(import_only, level="cell")
    assert not [s for s in fig.layout.shapes if s.xref == "x"]
    # no empty bars and no legend entries for components that do not exist; the one line keeps its legend
    assert [tr.name for tr in fig.data] == ["Imported cell it replaces, landed"]
    assert fig.layout.showlegend is True
    assert "No cells are made in India" in fig.layout.title.text


def test_crossover_in_the_last_year_keeps_the_fy_axis() -> None:
    """A crossover late in the horizon (issue 14 saw FY45 in cell_price_war; on the recalibrated base of issue 11
    slow_ramp crosses in FY41 and cell_price_war never) keeps the FY axis at FY26-FY45 and puts the marker's label
    left of the line; a marker in the last year does too."""
    r = tem.run(tem.load(ROOT / "assumptions" / "scenarios" / "slow_ramp.yaml"))
    crossover = r.kpis["crossover_fy"]
    assert crossover is not None
    assert crossover >= 2040
    fig = charts.unit_cost_chart(r, level="cell")
    assert list(fig.layout.xaxis.range) == [-0.5, len(r.fiscal_years) - 0.5]
    label = f"FY{crossover % 100:02d}"
    assert next(a for a in fig.layout.annotations if label in a.text).xanchor == "right"
    fys = r.fiscal_years
    last = go.Figure(go.Bar(x=fys, y=np.ones(len(fys))))
    th.fy_marker(last, fys[-1], f"from {fys[-1]}")
    assert list(last.layout.xaxis.range) == [-0.5, len(fys) - 0.5]
    assert last.layout.annotations[0].xanchor == "right"
    first = go.Figure(go.Bar(x=fys, y=np.ones(len(fys))))
    th.fy_marker(first, fys[1], "early")
    assert first.layout.annotations[0].xanchor == "left"


def test_unit_cost_chart_rejects_unknown_level(base: tem.Result) -> None:
    with pytest.raises(ValueError, match="'pack' or 'cell'"):
        charts.unit_cost_chart(base, level="module")
    with pytest.raises(ValueError, match="'pack' or 'cell'"):
        charts.levelized_waterfall(base, level="module")


def test_volumes_stack_and_dva_with_thresholds(figures: dict[str, go.Figure], base: tem.Result) -> None:
    fig = figures["volumes_dva"]
    t = traces(fig)
    s = base.statement
    for key, label, _ in charts.VOLUME_ROWS:
        assert t[label].stackgroup == "volume"
        np.testing.assert_array_equal(ys(t[label]), row(s, key, base))
    dva = t["DVA of sales (right axis)"]
    assert dva.yaxis == "y2"
    assert dva.stackgroup is None
    np.testing.assert_array_equal(ys(dva), row(s, "dva_share", base))
    # the ACC PLI thresholds apply to the local cells' own DVA: that line is drawn, only in years with local cells
    cell = t["DVA of local cells, the ACC PLI test (right axis)"]
    local = row(s, "local_cells_gwh", base) > 0
    np.testing.assert_array_equal(ys(cell), np.where(local, row(s, "cell_dva_share", base), np.nan))
    pli = [sh for sh in fig.layout.shapes if sh.yref == "y2" and sh.y0 in (0.25, 0.60)]
    assert {sh.line.color for sh in pli} == {cell.line.color}
    assert "GWh" in fig.layout.yaxis.title.text
    assert fig.layout.yaxis2.tickformat == ".0%"
    levels = sorted(sh.y0 for sh in fig.layout.shapes if sh.yref == "y2")
    assert levels == [0.25, 0.30, 0.60]
    texts = " | ".join(a.text for a in fig.layout.annotations)
    for text in ("25%", "60%", "30%", "yardstick", "local cells' DVA", "DVA of sales"):
        assert text in texts
    assert fig.layout.yaxis2.range[1] >= 0.6  # the 60% line is inside the plot


def test_capex_bars_are_phase_spend(figures: dict[str, go.Figure], base: tem.Result) -> None:
    fig = figures["capex_by_phase"]
    s = base.statement
    phases = [k for k in s.index if k.startswith("capex_") and k != "capex_total"]
    assert fig.layout.barmode == "stack"
    assert "INR crore" in fig.layout.yaxis.title.text
    by_label = {str(s.loc[k, "label"]).removeprefix("Capex: "): k for k in phases}
    assert len(fig.data) == len(phases)  # every base phase spends something
    for bar in fig.data:  # legend names are plotly text: "R&D centre" is written "R&amp;D centre"
        np.testing.assert_array_equal(ys(bar), -row(s, by_label[html.unescape(bar.name)], base))
        assert (ys(bar) >= 0).all()
    total = sum(ys(b).sum() for b in fig.data)
    assert total == pytest.approx(base.kpis["total_capex_inr_cr"], rel=1e-12)
    assert total == pytest.approx(base.kpis["total_capex_inr_cr"])  # README: Rs 7,818 crore (7,150 in FY26 prices)
    assert total == pytest.approx(7818.199743147143, rel=1e-9)


@pytest.mark.parametrize("level", ["pack", "cell"])
def test_levelized_waterfall_sums_to_the_kpi(level: str, base: tem.Result) -> None:
    fig = charts.levelized_waterfall(base, level=level)
    (w,) = fig.data
    assert w.type == "waterfall"
    measures = list(w.measure)
    assert measures == ["relative"] * (len(measures) - 1) + ["total"]
    kpi = base.kpis[f"levelized_{level}_cost_inr_per_kwh"]
    parts = np.array(w.x[:-1], dtype=float)
    assert parts.sum() == pytest.approx(kpi, rel=1e-12)
    assert w.x[-1] == pytest.approx(kpi, rel=1e-15)
    column = base.levelized[f"{level}_inr_per_kwh"].dropna()
    column = column[column != 0]
    assert sorted(parts) == sorted(column.to_list())
    assert f"{kpi:,.0f}" in w.text[-1]


def test_user_text_is_literal_in_plotly(tmp_path: Path) -> None:
    result = tem.run(tem.load(BASE, overrides={"name": "<b>x</b> & co"}))
    for fig in charts.all_figures(result).values():
        assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in fig.layout.title.text
        assert "<b>x</b>" not in fig.layout.title.text


def test_render_charts_html_only_is_offline(base: tem.Result) -> None:
    files = charts.render_charts(base, png=False)
    assert set(files) == {f"charts/{n}.html" for n in charts.FIGURE_NAMES} | {"charts/plotly.min.js"}
    # one copy of plotly.js beside the pages; each page loads it from its own folder (offline, no CDN)
    assert files["charts/plotly.min.js"].decode("utf-8") == plotly.offline.get_plotlyjs()
    for path, content in files.items():
        if not path.endswith(".html"):
            continue
        page = content.decode("utf-8")
        assert page.lstrip().lower().startswith("<html") or page.lstrip().lower().startswith("<!doctype"), path
        assert "cdn.plot.ly" not in page, path
        sources = re.findall(r"<script[^>]*\bsrc\s*=\s*\"([^\"]+)\"", page)
        assert sources == ["plotly.min.js"], path


def test_png_available_reports_a_missing_browser(monkeypatch: pytest.MonkeyPatch, base: tem.Result) -> None:
    monkeypatch.setattr(chart_png, "find_browser", lambda: None)
    ok, why = charts.png_available()
    assert ok is False
    assert "apt-get install chromium" in why
    with pytest.raises(charts.PngUnavailableError, match="apt-get install chromium") as err:
        charts.render_charts(base, png=True)
    assert isinstance(err.value, tem.TemError)
    assert all(p.endswith((".html", ".js")) for p in charts.render_charts(base, png=False))  # HTML still works


def test_render_charts_png(base: tem.Result) -> None:
    need_browser()
    files = charts.render_charts(base, png=True)
    pages = {f"charts/{n}.{ext}" for n in charts.FIGURE_NAMES for ext in ("html", "png")}
    assert set(files) == pages | {"charts/plotly.min.js"}
    pil = pytest.importorskip("PIL.Image")
    for name in charts.FIGURE_NAMES:
        data = files[f"charts/{name}.png"]
        assert data.startswith(PNG_SIGNATURE), name
        assert 20_000 < len(data) < 2_000_000, (name, len(data))
        image = pil.open(io.BytesIO(data)).convert("RGB")
        assert image.size == (charts.PNG_WIDTH, charts.PNG_HEIGHT), name
        colours = image.getcolors(maxcolors=1_000_000)
        assert colours is not None, name
        assert len(colours) > 20, name  # not blank: text, bars and lines drawn
        white = sum(count for count, rgb in colours if rgb == (255, 255, 255))
        assert white < 0.97 * image.size[0] * image.size[1], name


def test_a_browser_that_cannot_start_raises_instead_of_hanging(tmp_path: Path) -> None:
    """kaleido's server thread dies quietly when the browser fails; rendering must then fail fast, HTML still work.

    Run in a child process: the failed kaleido server is per process and would spoil this session's PNG tests.
    """
    pytest.importorskip("kaleido")
    script = tmp_path / "broken.py"
    script.write_text(
        "import tem\n"
        "from tem.exports.charts import figures as charts, png as chart_png\n"
        "chart_png.START_TIMEOUT_S = 5\n"
        f"r = tem.run(tem.load({str(BASE)!r}))\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        charts.render_charts(r)\n"
        "    except charts.PngUnavailableError as exc:\n"
        "        print('RAISED', exc)\n"
        "print('HTML', len(charts.render_charts(r, png=False)))\n"
    )
    env = {**os.environ, "BROWSER_PATH": "/bin/false"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["RAISED", "RAISED", "HTML"], proc.stdout
    assert "did not render a test figure" in lines[0]
    assert "apt-get install chromium" in lines[0]
    assert lines[2] == f"HTML {len(charts.FIGURE_NAMES) + 1}"  # the pages and the shared plotly.min.js

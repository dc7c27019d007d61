"""The Monte Carlo files as the fast paths of issue 15 make them (figures for PNG made and drawn first, while the
other files render; the command's default chunks and its warm-up thread) against the reference: each figure made
on its own and drawn on its own, and the library run with its defaults."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import zipfile
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tem
from tem.analysis.montecarlo.export import (
    convergence_figure,
    figure_html,
    histogram_figure,
    render_montecarlo_files,
    s_curve_figure,
)
from tem.analysis.montecarlo.flex_export import flexibility_figure
from tem.analysis.montecarlo.run import montecarlo
from tem.cli import app
from tem.cli.forked import Forked, fork_available
from tem.exports.charts.files import PNG_HEIGHT, PNG_SCALE, PNG_WIDTH
from tem.exports.charts.png import figure_png
from tests.exports.charts.test_charts import need_browser

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
SPEC = ROOT / "assumptions" / "montecarlo.yaml"
DIV_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def result() -> tem.analysis.montecarlo.run.MonteCarloResult:
    return montecarlo(tem.load(BASE), SPEC, n=400, seed=11)


def reference_charts(result, png_kpis: list[str] | None) -> dict[str, bytes]:
    """The chart files as made before: every figure in the files' order, then each drawn PNG, one by one."""
    made = []
    for kpi in map(str, result.summary.index):
        if result.summary.loc[kpi, "n_valid"] == 0:
            continue
        safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in kpi)
        made += [
            (kpi, f"histogram_{safe}", histogram_figure(result, kpi)),
            (kpi, f"s_curve_{safe}", s_curve_figure(result, kpi)),
            (kpi, f"convergence_{safe}", convergence_figure(result, kpi)),
        ]
    if result.flexibility is not None:
        made.append(("npv_inr_cr", "flexibility_npv", flexibility_figure(result)))
    out: dict[str, bytes] = {}
    for kpi, name, fig in made:
        out[f"charts/{name}.html"] = figure_html(fig)
        if png_kpis is not None and kpi in png_kpis and name.startswith(("histogram_", "s_curve_")):
            out[f"charts/{name}.png"] = figure_png(fig.to_dict(), PNG_WIDTH, PNG_HEIGHT, PNG_SCALE)
    return out


def same_page(a: bytes | str, b: bytes | str) -> bool:
    """Equal HTML pages up to plotly's random div id."""
    as_bytes = [x.encode() if isinstance(x, str) else x for x in (a, b)]
    return DIV_ID.sub(b"ID", as_bytes[0]) == DIV_ID.sub(b"ID", as_bytes[1])


def charts_of(files: dict[str, bytes | str]) -> dict[str, bytes | str]:
    return {k: v for k, v in files.items() if k.startswith("charts/") and not k.endswith(".js")}


def test_html_charts_equal_the_figures_made_one_by_one_in_the_same_order(result) -> None:
    got = charts_of(render_montecarlo_files(result, png=False))
    want = reference_charts(result, None)
    assert list(got) == list(want)
    assert all(same_page(got[k], want[k]) for k in want)


def test_pngs_drawn_first_equal_each_figure_drawn_alone(result) -> None:
    need_browser()
    kpis = list(map(str, result.summary.index[:2]))
    files = render_montecarlo_files(result, png=True, png_kpis=kpis)
    got, want = charts_of(files), reference_charts(result, kpis)
    assert list(got) == list(want)  # each PNG right after its page, as before
    assert sum(k.endswith(".png") for k in got) == 4
    for name, content in want.items():
        assert same_page(got[name], content) if name.endswith(".html") else got[name] == content, name
    manifest = json.loads(files["manifest.json"])
    assert set(manifest["outputs"]) == set(files) - {"manifest.json"}


def test_command_equals_the_library_run_with_its_default_chunks(tmp_path: Path) -> None:
    """The command evaluates with the library's chunks (40,000 scenarios per engine call, over the engine's threads)
    and loads its exports on a helper thread meanwhile: the same numbers as the library."""
    args = ["montecarlo", str(BASE), "--spec", str(SPEC), "--n", "300", "--seed", "5", "--out", str(tmp_path)]
    res = CliRunner().invoke(app, [*args, "--no-png", "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    library = montecarlo(tem.load(BASE), SPEC, n=300, seed=5, chunk_size=7)
    assert json.loads(res.stdout)["summary"] == json.loads(json.dumps(library.document()))["summary"]
    assert json.loads(res.stdout)["headline"] == json.loads(json.dumps(library.document()))["headline"]


def test_command_with_pngs_in_a_fresh_process(tmp_path: Path) -> None:
    """The browser starts before the analysis loads, the exports warm up on its thread once the analysis is loaded:
    every file, the PNGs of the first three KPIs, nothing on stderr."""
    need_browser()
    args = ["montecarlo", "--n", "500", "--seed", "4", "--quiet", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, "-m", "tem", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == ""
    folder = tmp_path / "base" / "montecarlo"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sum(name.endswith(".png") for name in manifest["outputs"]) == 6
    assert all((folder / name).is_file() for name in manifest["outputs"])


def _parts(data: bytes | str) -> dict[str, bytes]:
    assert isinstance(data, bytes)
    z = zipfile.ZipFile(io.BytesIO(data))
    # the package's creation/modification times
    return {n: re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[0-9:+.Z]*", b"", z.read(n)) for n in z.namelist()}


def test_files_rendered_beside_the_charts_in_a_forked_child_equal_the_in_process_files(result) -> None:
    """The command renders the workbook, Parquet and CSV files in a forked child while it makes the charts: the
    same files, in the same order, and the same manifest (which lists them in that order)."""
    if not fork_available():
        pytest.skip("no os.fork here: the files are rendered in-process")
    forked_steps: list[bool] = []

    def beside(fn, *args):  # Forked, noting that it forked
        step = Forked(fn, *args)
        forked_steps.append(step.forked)
        return step

    forked = render_montecarlo_files(result, png=False, samples_csv=True, beside=beside)
    here = render_montecarlo_files(result, png=False, samples_csv=True)
    assert forked_steps == [True]
    assert list(forked) == list(here)
    assert {"montecarlo.xlsx", "samples.parquet", "samples.csv", "manifest.json"} <= set(here)
    for name, content in here.items():
        if name.endswith(".xlsx"):
            assert _parts(forked[name]) == _parts(content)
        elif name.endswith(".html"):
            assert same_page(forked[name], content), name
        elif name != "manifest.json":  # it holds the digests of the workbook (times) and the pages (div ids)
            assert forked[name] == content, name
    assert list(json.loads(forked["manifest.json"])["outputs"]) == list(json.loads(here["manifest.json"])["outputs"])


def test_an_error_in_the_charts_stops_the_child(result, monkeypatch: pytest.MonkeyPatch) -> None:
    if not fork_available():
        pytest.skip("no os.fork here: the files are rendered in-process")
    import tem.analysis.montecarlo.chart_files as chart_files

    started: list[Forked[dict[str, bytes | str]]] = []

    def beside(fn, *args):
        started.append(Forked(time.sleep, 60))
        return started[-1]

    def broken(*args, **kwargs):
        raise RuntimeError("no figure")

    monkeypatch.setattr(chart_files, "histogram_figure", broken)
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="no figure"):
        render_montecarlo_files(result, png=False, beside=beside)
    assert time.monotonic() - began < 10
    pid = started[0]._pid
    assert pid is None  # killed and reaped


def test_figures_made_the_fast_way_equal_figures_made_plotly_s_way(result, monkeypatch: pytest.MonkeyPatch) -> None:
    """charts.new_figure copies the registered template in without validating it, charts.add_vlines adds every
    vertical line and its annotation in one layout update: the same JSON text, the same pages, as setting the
    template through update_layout (validated) and calling add_vline line by line, for every Monte Carlo figure."""
    import plotly.graph_objects as go

    import tem.analysis.montecarlo.charts as charts
    import tem.analysis.montecarlo.flex_export as flex_export
    from tem.analysis.montecarlo.gate_sweep import gate_threshold_sweep

    a = tem.load(BASE)
    path = "capex.phases.cell_plant_1.gate.when.0.threshold"
    sweep = gate_threshold_sweep(a, SPEC, path, [5000.0, 6000.0], n=200, seed=3)
    makers = [
        *(partial(f, result, k) for k in map(str, result.summary.index) for f in (histogram_figure, s_curve_figure)),
        *(partial(convergence_figure, result, k) for k in map(str, result.summary.index)),
        partial(flexibility_figure, result),
        partial(flex_export.threshold_figure, sweep, "base"),
    ]
    fast = [make() for make in makers]
    assert sum(len(fig.layout.shapes) for fig in fast) >= 4 * len(result.summary.index)  # the lines are compared

    def validated(data=None):
        return go.Figure(data).update_layout(template="plotly_white")

    def one_by_one(fig, lines):
        for x, line, annotation, position in lines:
            fig.add_vline(x=x, line=line, annotation=annotation, annotation_position=position)

    monkeypatch.setattr(charts, "new_figure", validated)
    monkeypatch.setattr(flex_export, "new_figure", validated)
    monkeypatch.setattr(charts, "add_vlines", one_by_one)
    monkeypatch.setattr(flex_export, "add_vlines", one_by_one)
    reference = [make() for make in makers]
    assert len(fast) == 2 * len(result.summary.index) + len(result.summary.index) + 2
    for got, want in zip(fast, reference, strict=True):
        assert got.layout.template.layout.plot_bgcolor == "white"  # plotly_white, not plotly's default
        assert got.to_json() == want.to_json()
        assert len(want.layout.shapes) == len(got.layout.shapes)
        assert same_page(figure_html(got), figure_html(want))

"""The Monte Carlo files as the fast paths of issue 15 make them (figures for PNG made and drawn first, while the
other files render; the command's default chunks and its warm-up thread) against the reference: each figure made
on its own and drawn on its own, and the library run with its defaults."""

from __future__ import annotations

import json
import re
import subprocess
import sys
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

"""PNGs drawn one after another on the same browser page (no reload between drawings, png.keep_page_between_drawings)
are the bytes kaleido draws on a freshly reloaded page: the figures of `tem run` and of `tem montecarlo`, in the
commands' order and in reverse.

Needs a Chromium-based browser: skipped without one, unless TEM_REQUIRE_BROWSER=1 (then it fails).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tem
from tem.exports.charts import png
from tem.exports.charts.files import PNG_HEIGHT, PNG_SCALE, PNG_WIDTH

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
SPEC = ROOT / "assumptions" / "montecarlo.yaml"


@pytest.fixture(scope="module")
def browser() -> Iterator[None]:
    ok, why = png.png_available()
    if not ok:
        if os.environ.get("TEM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TEM_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    png._start_server()
    yield
    png.keep_page_between_drawings(True)  # as every command runs


@pytest.fixture(scope="module")
def figures() -> dict[str, dict[str, Any]]:
    from tem.analysis.montecarlo.charts import histogram_figure, s_curve_figure
    from tem.analysis.montecarlo.run import montecarlo
    from tem.exports.charts.figures import all_figures

    assumptions = tem.load(BASE)
    out = {name: fig.to_dict() for name, fig in all_figures(tem.run(assumptions)).items()}
    result = montecarlo(assumptions, SPEC, n=2_000)
    for kpi in map(str, result.summary.index[:3]):
        out[f"histogram_{kpi}"] = histogram_figure(result, kpi).to_dict()
        out[f"s_curve_{kpi}"] = s_curve_figure(result, kpi).to_dict()
    return out


def draw(figures: dict[str, dict[str, Any]], names: list[str]) -> dict[str, bytes]:
    return {name: png.figure_png(figures[name], PNG_WIDTH, PNG_HEIGHT, PNG_SCALE) for name in names}


def test_the_start_keeps_the_page(browser: None) -> None:
    from kaleido.kaleido import Kaleido

    assert hasattr(Kaleido._return_kaleido_tab, "reloading")  # kaleido's own method, kept to go back to


def test_same_bytes_without_reloading_the_page(browser: None, figures: dict[str, dict[str, Any]]) -> None:
    names = list(figures)
    assert len(names) >= 12
    assert png.keep_page_between_drawings(False)
    try:
        reloaded = draw(figures, names)  # kaleido's way: each figure on a freshly reloaded page
    finally:
        png.keep_page_between_drawings(True)
    kept = draw(figures, names)
    kept_reversed = draw(figures, names[::-1])
    assert all(b.startswith(b"\x89PNG\r\n\x1a\n") for b in reloaded.values())
    assert len(set(reloaded.values())) == len(names)  # the figures differ: the comparison can fail
    for name in names:
        assert kept[name] == reloaded[name], name
        assert kept_reversed[name] == reloaded[name], name


WIRE = """
import logging
from tem.exports.charts import png
png._start_server()
from choreographer.channels import pipe
assert pipe.__name__.startswith(png.WIRE_LOGGER + ".")
try:
    raise ValueError("a message the wire could not decode")
except ValueError:
    logging.getLogger(pipe.__name__).exception("JSONError decoding message. Ignoring")
print("drawn", len(png.figure_png({"data": [], "layout": {}}, 20, 20)) > 0)
"""


def test_the_start_keeps_the_browser_wire_log_off_the_console(browser: None) -> None:
    """choreographer logs a browser message it cannot decode (and then ignores) with a traceback on stderr; seen
    under load in `tem montecarlo` with every file written. After the start nothing of it reaches the console
    (a fresh process: pytest would capture the log itself)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", WIRE], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "drawn True\n"
    assert proc.stderr == ""

"""The HTML report: KPI values formatted, user text escaped, plotly.js embedded once, and a real browser renders it
without JavaScript errors.

The browser tests need a Chromium-based browser (`apt-get install chromium`); without one they are skipped with
that reason, unless TEM_REQUIRE_BROWSER=1, in which case they fail.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
from pathlib import Path

import plotly.offline
import pytest

import tem
from tem.exports.charts import png as chart_png
from tem.exports.charts.figures import FIGURE_NAMES
from tem.exports.report.page import render_report

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
EVIL = "<script>alert(1)</script>"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
)


def browser() -> str:
    path = chart_png.find_browser()
    if path is not None:
        return path
    why = "no Chromium-based browser found: apt-get install chromium"
    if os.environ.get("TEM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TEM_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


def screenshot(page: Path, out_dir: Path, size: str = "1200,900") -> tuple[Path, str]:
    """Render ``page`` in headless Chromium; (screenshot path, the browser's stderr log)."""
    exe = browser()
    png = out_dir / f"{page.stem}.png"
    cmd = [
        exe,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={out_dir / 'profile'}",
        f"--window-size={size}",
        f"--screenshot={png}",
        page.as_uri(),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the browser and its helpers, nothing else
        proc.communicate()
        pytest.fail(f"{exe} did not finish rendering {page} within 60 s")
    return png, err


def assert_not_blank(png: Path) -> None:
    assert png.is_file(), "no screenshot written"
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000
    pil = pytest.importorskip("PIL.Image")
    image = pil.open(io.BytesIO(data)).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert len(colours) > 50, "the page rendered as (nearly) one colour"
    top = max(count for count, _ in colours)
    assert top < 0.95 * image.size[0] * image.size[1], "the page is almost all one colour"


@pytest.fixture(scope="module")
def base() -> tem.Result:
    return tem.run(tem.load(BASE))


@pytest.fixture(scope="module")
def page(base: tem.Result) -> str:
    return render_report(base).decode("utf-8")


def test_report_shows_kpis_formatted(page: str, base: tem.Result) -> None:
    k = base.kpis
    # README base case: NPV -3,269; peak funding 9,257 in FY34 (statement); capex 7,818 at the prices of the years
    # spent; levelized pack 9,618 INR/kWh = USD 81.2; cell 6,856 = USD 57.4; localizing adds -2,531; crossover FY36;
    # forex saved 2,255.
    expected = {
        "npv_inr_cr": "-3,269",
        "peak_funding_inr_cr": "9,257",
        "total_capex_inr_cr": "7,818",
        "levelized_pack_cost_inr_per_kwh": "9,618",
        "levelized_cell_cost_inr_per_kwh": "6,856",
        "incremental_npv_vs_import_inr_cr": "-2,531",
        "cumulative_forex_saved_usd_m": "2,255",
    }
    for key, text in expected.items():
        assert f"{k[key]:,.0f}" == text, key
        assert f'<div class="value">{text}</div>' in page, key
    assert f"{100 * k['irr']:.1f}%" == "3.3%"
    assert '<div class="value">3.3%</div>' in page
    assert "USD 81.2/kWh" in page
    assert "USD 57.4/kWh" in page
    assert '<div class="value">FY36</div>' in page
    assert "in FY34" in page
    for fy, share in k["dva_share_by_fy"].items():
        assert f"<tr><th>{fy}</th><td>{100 * share:.1f}%</td></tr>" in page
    assert "<th>FY33</th><td>41.8%</td>" in page  # README: DVA 42% in FY33


def test_report_has_conventions_charts_and_tables(page: str, base: tem.Result) -> None:
    for text in ("INR crore", "FY = April-March", "end-of-year discounting", "Outflows are negative", "discount rate 12.5%"):
        assert text in page
    for name in FIGURE_NAMES:
        assert f'id="chart-{name}"' in page
    assert page.count("Plotly.newPlot(") == len(FIGURE_NAMES)
    fcf = base.statement.loc["free_cash_flow", "FY29"]
    assert f"{fcf:,.0f}" == "-1,698"
    assert re.search(r'id="statement-free_cash_flow">.*?<td class="neg">-1,698</td>', page)
    assert re.search(r'id="statement-dva_share">.*?<td>2.0%</td>', page)  # FY27 DVA as a percentage
    assert 'id="unit-costs-imported_cell_landed_inr_per_kwh"' in page
    assert 'id="unit-costs-local_cell_full_usd_per_kwh"' in page


def test_report_embeds_plotly_once_and_loads_nothing(page: str) -> None:
    bundle = plotly.offline.get_plotlyjs()
    assert page.count(bundle[:200]) == 1
    assert page.count(bundle) == 1
    rest = page.replace(bundle, "")
    assert "cdn.plot.ly" not in rest
    assert re.search(r"<script[^>]*\bsrc\s*=", rest) is None
    assert re.search(r"<link[^>]*\bhref\s*=", rest) is None


def test_report_escapes_user_text() -> None:
    result = tem.run(tem.load(BASE, overrides={"name": EVIL}))
    manifest = {
        "assumption_files": [{"path": "assumptions/<evil>.yaml", "sha256": "ab" * 32}],
        "overrides": {"name": EVIL},
        "tem_version": tem.__version__,
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "timestamp": "2026-01-01T00:00:00Z",
    }
    page = render_report(result, manifest).decode("utf-8")
    bundle = plotly.offline.get_plotlyjs()
    rest = page.replace(bundle, "")
    assert EVIL not in rest
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rest
    assert "<title>Battery localization program: &lt;script&gt;alert(1)&lt;/script&gt;, modified: name=" in rest
    assert "assumptions/&lt;evil&gt;.yaml" in rest
    # Inline scripts: only the bundle and one Plotly.newPlot per chart; none opened by user text.
    assert rest.count("<script") == 1 + len(FIGURE_NAMES)


def test_report_renders_the_manifest_keys(base: tem.Result) -> None:
    manifest = {
        "assumption_files": [{"path": "assumptions/base.yaml", "sha256": "7c69" + "0" * 60}],
        "overrides": {"timeline.discount_rate": 0.13},
        "tem_version": "9.9.9",
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "timestamp": "2026-01-01T00:00:00Z",
        "custom_key": "whatever is present",
    }
    page = render_report(base, manifest).decode("utf-8")
    section = page[page.index('id="provenance"') :]
    for text in (
        "assumption_files",
        "assumptions/base.yaml",
        "7c69" + "0" * 60,
        "timeline.discount_rate",
        "0.13",
        "tem_version",
        "9.9.9",
        "git_commit",
        "0123456789abcdef0123456789abcdef01234567",
        "2026-01-01T00:00:00Z",
        "custom_key",
        "whatever is present",
    ):
        assert text in section, text
    assert "No run manifest was given" not in section


def test_report_without_manifest_shows_what_the_result_records(page: str, base: tem.Result) -> None:
    section = page[page.index('id="provenance"') :]
    assert "No run manifest was given" in section
    ((path, sha),) = base.meta["sources"]
    assert path in section
    assert sha in section


def test_report_renders_in_headless_chromium(tmp_path: Path, page: str) -> None:
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    png, log = screenshot(report, tmp_path)
    assert_not_blank(png)
    assert "Uncaught" not in log, log[-3000:]


def test_the_browser_check_sees_javascript_errors(tmp_path: Path) -> None:
    """The check above would catch a broken page: an uncaught error shows in the browser log."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><h1>x</h1><script>Plotly.newPlot('x', []);</script></body></html>")
    _, log = screenshot(broken, tmp_path)
    assert "Uncaught" in log


def test_report_lists_an_inverted_duty() -> None:
    r = tem.run(tem.load(BASE, overrides={"demand.captive.product.cell_bcd_rate": 0.2}))
    page = render_report(r).decode("utf-8")
    assert '<h2 id="warnings">Warnings</h2>' in page
    assert "inverted duty for captive vehicles" in page

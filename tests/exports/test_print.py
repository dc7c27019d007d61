"""Print-ready board pages (issue 14 items 6, 8): the workbooks printed to PDF by LibreOffice and the report printed
by headless Chromium are A4 landscape, every workbook page has a footer with the scenario, sheet and page number,
the Monte Carlo samples do not print (a few pages, not hundreds), and the report prints all twenty years."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.libreoffice import recalculate, require_soffice

ROOT = Path(__file__).parents[2]
A4_LANDSCAPE = (842, 595)  # points


def need(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        msg = f"{tool} is not installed (apt-get install poppler-utils chromium)"
        if os.environ.get("TEM_REQUIRE_LIBREOFFICE") == "1" or os.environ.get("TEM_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


def pdf_pages(pdf: Path) -> tuple[int, list[tuple[int, int]]]:
    """Number of pages and each page's size in points, from pdfinfo."""
    info = subprocess.run([need("pdfinfo"), "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True, check=True)
    n = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]
    sizes = [
        (round(float(w)), round(float(h))) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info.stdout)
    ]
    return n, sizes


def pdf_text(pdf: Path) -> list[str]:
    text = subprocess.run([need("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def tem_cli(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "tem", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_soffice()
    out = tmp_path_factory.mktemp("print")
    tem_cli("run", "assumptions/base.yaml", "--out", str(out), "--no-png")
    tem_cli("montecarlo", "--n", "3000", "--out", str(out), "--quiet", "--no-png")
    return out


def test_workbooks_print_a4_landscape_with_footers(outputs: Path, tmp_path: Path) -> None:
    files = [outputs / "base" / "base.xlsx", outputs / "base" / "montecarlo" / "montecarlo.xlsx"]
    pdfs = recalculate(files, tmp_path / "pdf", tmp_path / "profile", to="pdf")
    for pdf in pdfs:
        n, sizes = pdf_pages(pdf)
        assert sizes
        assert all(size == A4_LANDSCAPE for size in sizes), (pdf.name, set(sizes))
        pages = pdf_text(pdf)[:n]
        missing = [i + 1 for i, p in enumerate(pages) if f"Page {i + 1} of {n}" not in p]
        assert not missing, (pdf.name, n, missing[:10])
        assert all("base" in p for p in pages), pdf.name  # the scenario on every page
    base_pages = pdf_text(pdfs[0])
    assert any("Calculations" in p and "FY45" in p for p in base_pages)  # sheet name in the footer, FY header repeated
    assert sum("Calculations" in p for p in base_pages) > 1
    footer = {i: next(line for line in p.splitlines() if f"Page {i + 1} of" in line) for i, p in enumerate(base_pages[:-1])}
    calc_pages = [i for i, line in footer.items() if re.search(r"\bCalculations\b", line)]
    assert len(calc_pages) > 1
    assert all("FY26" in base_pages[i] and "FY45" in base_pages[i] for i in calc_pages)  # FY header on every page
    n_mc, _ = pdf_pages(pdfs[1])
    assert n_mc <= 30, n_mc  # the 3,000 sample rows do not print


def test_report_prints_a4_landscape_all_years_without_toolbars(outputs: Path, tmp_path: Path) -> None:
    browser = need("chromium")
    page = outputs / "base" / "report.html"
    html = page.read_text(encoding="utf-8")
    assert "@page{size:A4 landscape" in html
    assert ".modebar,.modebar-container{display:none!important}" in html
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            "--virtual-time-budget=20000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    n, sizes = pdf_pages(pdf)
    assert all(size == A4_LANDSCAPE for size in sizes), set(sizes)
    text = "\f".join(pdf_text(pdf))
    assert "Battery localization program: base" in text
    # the statement table prints every year, FY26 to FY45, on the same line (not cut at the page edge)
    header = next(line for line in text.splitlines() if "Line item" in line and "FY26" in line)
    assert all(f"FY{y}" in header for y in range(26, 46))
    assert n < 40

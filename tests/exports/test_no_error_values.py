"""No error values anywhere a reader looks (issue 14 item 4): every workbook that `tem run`, `sweep`, `compare` and
`montecarlo` export, recalculated by LibreOffice, holds no #N/A, #VALUE!, #DIV/0!, #REF!, #NAME?, #NUM! or Err:nnn;
nor does the file as saved (its cached values)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.support.libreoffice import recalculate, require_soffice

ROOT = Path(__file__).parents[2]
ERRORS = ("#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!")


def tem_cli(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "tem", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


def error_cells(path: Path) -> list[tuple[str, str, str]]:
    """Every cell of the workbook holding an error value (cached or recalculated), read once, streamed."""
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    try:
        return [
            (ws.title, c.coordinate, c.value)
            for ws in wb
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) and (c.value in ERRORS or c.value.startswith("Err:"))
        ]
    finally:
        wb.close()


def errors_by_file(paths: list[Path]) -> dict[str, list[tuple[str, str, str]]]:
    """The first error cells of each workbook that has any, each file read once (it was read twice: once to
    filter, once to report)."""
    found = {}
    for path in paths:
        cells = error_cells(path)
        if cells:
            found[str(path)] = cells[:5]
    return found


def test_each_workbook_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """By hand: two small workbooks, one holding #N/A in Sheet!B2: reported once, each file loaded once."""
    paths = []
    for name, value in (("clean.xlsx", 1.0), ("broken.xlsx", "#N/A")):
        wb = openpyxl.Workbook()
        wb.active["B2"] = value
        wb.save(tmp_path / name)
        paths.append(tmp_path / name)
    loads: list[Path] = []
    load = openpyxl.load_workbook

    def counting(path: Path, **kwargs: object) -> openpyxl.Workbook:
        loads.append(Path(path))
        return load(path, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    assert errors_by_file(paths) == {str(tmp_path / "broken.xlsx"): [("Sheet", "B2", "#N/A")]}
    assert sorted(loads) == sorted(paths)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    require_soffice()
    out = tmp_path_factory.mktemp("outputs")
    scenarios = sorted(str(p) for p in (ROOT / "assumptions" / "scenarios").glob("*.yaml"))
    tem_cli("run", "assumptions/base.yaml", *scenarios, "--out", str(out), "--no-charts")
    tem_cli(
        "sweep",
        "--out",
        str(out),
        "--quiet",
        "--x",
        "timeline.discount_rate:0.08:0.16:4",
        "--y",
        "cells.imported.fob_price_usd_per_kwh:40:70:4",
    )
    tem_cli("compare", "assumptions/base.yaml", *scenarios, "--out", str(out), "--no-png")
    tem_cli("montecarlo", "--n", "500", "--out", str(out), "--quiet", "--no-png")
    files = sorted(out.rglob("*.xlsx"))
    kinds = {f.name for f in files}
    assert {"base.xlsx", "import_only.xlsx", "sensitivity.xlsx", "comparison.xlsx", "montecarlo.xlsx"} <= kinds
    return files


def test_no_error_value_as_saved(exported: list[Path]) -> None:
    found = errors_by_file(exported)
    assert not found, found


def test_no_error_value_after_libreoffice_recalculates(exported: list[Path], tmp_path: Path) -> None:
    copies = []
    for i, f in enumerate(exported):  # unique names: LibreOffice writes each result under the input's name
        copy = tmp_path / "in" / f"{i}_{f.name}"
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(f, copy)
        copies.append(copy)
    outs = recalculate(copies, tmp_path / "recalculated", tmp_path / "profile")
    found = errors_by_file(outs)
    assert not found, found

"""One text-safe writer for every workbook cell and CSV field (issue 10, item 12).

A scenario name, description, phase-free label or file path that starts with ``=`` must never become a formula:
not in any sheet of any workbook tem writes (run, sweep, compare, Monte Carlo), not in any CSV when a spreadsheet
program opens it. Characters an .xlsx file cannot hold never crash an export.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

import tem
from tem.exports.safe_text import clean_text, csv_field, csv_text, put_text

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"
MARK = "EVIL"
HOSTILE_NAME = f'={MARK}("1")+@x'
HOSTILE_DESCRIPTION = f"-2+3 ={MARK}(2)\n+second line"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("-30%", "-30%"),  # a number as Excel reads it: left alone
        ("+10%", "+10%"),
        ("-1.5e3", "-1.5e3"),
        ("base", "base"),
        ("a=b", "a=b"),
        ("", ""),
        ("a\x01b", "a\\x01b"),
    ],
)
def test_csv_field(text: str, expected: str) -> None:
    assert csv_field(text) == expected


def test_clean_text_escapes_what_xlsx_cannot_hold() -> None:
    assert clean_text("a\x00b\x0bc\x1fd\ufffee\ud800") == "a\\x00b\\x0bc\\x1fd\\ufffee\\ud800"
    assert clean_text("tab\tline\nend\r") == "tab\tline\nend\r"
    assert clean_text(None) == ""
    assert clean_text(12) == "12"


def test_put_text_is_never_a_formula_and_never_crashes() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for i, text in enumerate(["=1+1", "a\x01b", "-3", None], start=1):
        put_text(ws, i, 1, text)
    buffer = io.BytesIO()
    wb.save(buffer)
    back = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert back is not None
    cells = [c for (c,) in back.iter_rows(max_col=1)]
    assert [(c.value, c.data_type) for c in cells[:3]] == [("=1+1", "s"), ("a\\x01b", "s"), ("-3", "s")]
    assert cells[3].value in ("", None)


def test_csv_text_makes_text_safe_and_leaves_numbers_and_the_frame_alone() -> None:
    frame = pd.DataFrame(
        {"scenario": ["=HYPERLINK(1)", "ok"], "value": [-1.5, 2.0], "mixed": ["-x", 3]},
        index=pd.Index(["=a", "b"], name="@idx"),
    )
    frame.columns.name = "=cols"
    before = frame.copy()
    rows = list(csv.reader(io.StringIO(csv_text(frame))))
    assert rows[0] == ["'@idx", "scenario", "value", "mixed"]
    assert rows[1] == ["'=a", "'=HYPERLINK(1)", "-1.5", "'-x"]
    assert rows[2] == ["b", "ok", "2.0", "3"]
    pd.testing.assert_frame_equal(frame, before)


# ------------------------------------------------------------------------------------- end to end


def _formula_cells_with(data: bytes, mark: str) -> list[str]:
    wb = load_workbook(io.BytesIO(data))
    return [
        f"{ws.title}!{cell.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f" and mark in str(cell.value)
    ]


def _text_cells_with(data: bytes, mark: str) -> list[str]:
    wb = load_workbook(io.BytesIO(data))
    return [
        f"{ws.title}!{cell.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "s" and mark in str(cell.value)
    ]


def _unsafe_csv_fields(text: str) -> list[str]:
    return [f for row in csv.reader(io.StringIO(text)) for f in row if f.startswith(("=", "@")) or f.startswith("+=")]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tem.Assumptions:
    folder = tmp_path_factory.mktemp("=hostile\x01folder")  # a path with a control character, shown in Provenance
    shutil.copy(BASE, folder / "base.yaml")
    path = folder / "scenario.yaml"
    path.write_text(
        f"extends: base.yaml\nname: '{HOSTILE_NAME}'\ndescription: \"{HOSTILE_DESCRIPTION}\"\n".replace("\n+", "\\n+", 1)
    )
    return tem.load(path, {"timeline.discount_rate": 0.13})


def test_run_outputs_never_turn_user_text_into_formulas(hostile: tem.Assumptions) -> None:
    from tem.cli.run import OutputOptions, render_outputs

    assert hostile.name == HOSTILE_NAME
    files, _ = render_outputs(tem.run(hostile), hostile, OutputOptions(excel=True, charts=False))
    xlsx = next(v for k, v in files.items() if k.endswith(".xlsx"))
    assert isinstance(xlsx, bytes)
    assert _formula_cells_with(xlsx, MARK) == []
    titles = _text_cells_with(xlsx, MARK)
    # the list: the titles of Calculations, Statement, Unit costs and KPIs, plus the Cover
    for sheet in ("Calculations!A1", "Statement!A1", "Unit costs!A1", "KPIs!A1"):
        assert sheet in titles
    assert any(t.startswith("Cover!") for t in titles)
    for name, content in files.items():
        if name.endswith(".csv"):
            assert isinstance(content, str)
            assert _unsafe_csv_fields(content) == [], name
    tidy = pd.read_csv(io.StringIO(str(files["tidy.csv"])))
    assert set(tidy["scenario"]) == {"'" + HOSTILE_NAME}


def test_sweep_workbook_and_csvs_never_turn_labels_into_formulas(hostile: tem.Assumptions) -> None:
    from tem.analysis.sensitivity.export import render_sensitivity_workbook
    from tem.analysis.sensitivity.spec import SweepParameter, SweepSpec
    from tem.analysis.sensitivity.sweeps import axis, data_table, spider, tornado

    spec = SweepSpec(
        kpis=["npv_inr_cr"],
        parameters=[
            SweepParameter(path="timeline.discount_rate", label=f"={MARK}(3)", low=0.11, high=0.15),
            SweepParameter(path="tax.corporate_rate", label="@label", low="-10%", high="+10%"),
        ],
    )
    tornadoes = tornado(hostile, spec)
    spiders = {"npv_inr_cr": spider(hostile, spec, "npv_inr_cr")}
    x = axis("timeline.discount_rate", low=0.1, high=0.12, steps=2)
    y = axis("tax.corporate_rate", low=0.2, high=0.25, steps=2)
    grids = {"npv_inr_cr": data_table(hostile, x, y, "npv_inr_cr")}
    data = render_sensitivity_workbook(hostile.name, tornadoes, spiders, grids)
    assert _formula_cells_with(data, MARK) == []
    assert _formula_cells_with(data, "@label") == []
    assert _text_cells_with(data, MARK)
    for frame in (tornadoes["npv_inr_cr"].table, spiders["npv_inr_cr"]):
        assert _unsafe_csv_fields(csv_text(frame, index=False)) == []


def test_comparison_outputs_never_turn_names_into_formulas(hostile: tem.Assumptions) -> None:
    from tem.analysis.scenarios.compare import compare
    from tem.analysis.scenarios.export import render_comparison_files

    comparison = compare([tem.load(BASE), hostile])
    files = render_comparison_files(comparison)
    xlsx = files["comparison.xlsx"]
    assert isinstance(xlsx, bytes)
    assert _formula_cells_with(xlsx, MARK) == []
    assert _text_cells_with(xlsx, MARK)
    for name, content in files.items():
        if name.endswith(".csv"):
            assert _unsafe_csv_fields(str(content)) == [], name

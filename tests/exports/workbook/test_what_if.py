"""A workbook that stays right under what-ifs (issue 14 item 2): a director edits one blue input, recalculates, and
every KPI, including the increments against the import-only counterfactual, equals `tem run --set` of the same
change (rel 1e-9). The integrity checks still say OK; the Python-parity status says the inputs changed."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import openpyxl

import tem
from tem import catalogue
from tem.exports.workbook.build import render_workbook
from tem.exports.workbook.grid import FIRST_COL
from tem.finance import IRR_STATUS_SHORT
from tests.support.libreoffice import recalculate

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
# (dotted path, new value): one at a time; scalars in column E, text inputs as text
EDITS: list[tuple[str, float | str]] = [
    ("timeline.discount_rate", 0.13),  # the example: NPV minus import-only -1,460, not -1,317
    ("transition.local_cells_start_fy", 2031),
    ("capex.phases.cell_plant_1.capex_inr_cr", 3300.0),
    ("cells.local.conversion_learning_rate", 0.2),
    ("pack.pack_yield", 0.97),
    ("opex.sga_revenue_share", 0.035),
    ("tax.corporate_rate", 0.3),
    ("transition.overflow_policy", "unmet"),
    # price rules (issue 11): the captive transfer price's markup (every year) and basis, the OEM packs' premium
    ("demand.captive.markup", 0.2),
    ("demand.captive.cost_basis", "full"),
    ("demand.external_oem.price_premium", 0.02),
    # the price rule itself (issue 14, fourth wave, item 7): a drop-down on Inputs that the price formulas follow
    ("demand.external_oem.price_rule", "cost_plus"),
    ("demand.captive.price_rule", "import_parity"),
]


def tem_run_set(path: str, value: float | str, out: Path) -> dict[str, object]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tem",
            "run",
            str(BASE),
            "--set",
            f"{path}={value}",
            "--json",
            "--no-excel",
            "--no-charts",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return dict(data["kpis"])


def edited_copy(source: Path, path: str, value: float | str, target: Path) -> None:
    wb = openpyxl.load_workbook(source)
    ws = wb["Inputs"]
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == path]
    assert len(rows) == 1, path
    yearly = [c for c in range(FIRST_COL, ws.max_column + 1) if ws.cell(rows[0], c).value is not None]
    if ws.cell(rows[0], 5).value is None and yearly:  # a yearly input: the same value in every year
        for c in yearly:
            ws.cell(rows[0], c).value = value
    else:
        ws.cell(rows[0], 5).value = value
    wb.save(target)


def test_edits_recalculate_to_tem_run_set(tmp_path: Path) -> None:
    a = tem.load(BASE)
    source = tmp_path / "base.xlsx"
    result = tem.run(a)
    base_npv = result.kpis["npv_inr_cr"]
    source.write_bytes(render_workbook(result, a))
    files = []
    for i, (path, value) in enumerate(EDITS):
        target = tmp_path / f"edit_{i}.xlsx"
        edited_copy(source, path, value, target)
        files.append(target)
    outs = recalculate(files, tmp_path / "recalculated", tmp_path / "profile")
    for (path, value), out in zip(EDITS, outs, strict=True):
        want = tem_run_set(path, value, tmp_path / f"run_{out.stem}")
        wb = openpyxl.load_workbook(out, data_only=True)
        kpis = wb["KPIs"]
        got = {kpis.cell(r, 4).value: kpis.cell(r, 2).value for r in range(4, kpis.max_row + 1) if kpis.cell(r, 4).value}
        compared = 0
        for key, x in got.items():
            if key not in want:
                continue
            w = want[key]
            if w is None and key in ("irr", "equity_irr"):  # the IRR block shows why there is none
                assert x == IRR_STATUS_SHORT[int(want[f"{key}_status"])], (path, key, x)  # type: ignore[call-overload]
            elif w is None:
                assert x == "none", (path, key, x)
            elif catalogue.kpi(key).kind == "fy":  # a fiscal year reads FY36 (issue 14)
                assert x == catalogue.format_value(key, int(w)), (path, key, x, w)  # type: ignore[call-overload]
            else:
                assert isinstance(x, (int, float)), (path, key, x)
                assert math.isclose(x, float(w), rel_tol=1e-9, abs_tol=1e-9), (path, key, x, w)  # type: ignore[arg-type]
            compared += 1
        assert compared >= 15, (path, sorted(got))
        assert {"incremental_npv_vs_import_inr_cr", "npv_import_only_inr_cr", "cumulative_forex_saved_usd_m"} <= set(got)
        checks = wb["Checks"]
        assert checks["E3"].value == "OK", path  # integrity holds under any edit
        if want["npv_inr_cr"] != base_npv:  # parity is for the inputs as exported (some edits change nothing)
            assert checks["E4"].value.startswith("DIFFERS"), path


def test_the_price_rule_is_a_list_the_formulas_follow() -> None:
    """Each switchable price rule has a drop-down of the two rules; its segment's price row reads the cell."""
    a = tem.load(BASE)
    wb = openpyxl.load_workbook(io.BytesIO(render_workbook(tem.run(a), a)))
    ws = wb["Inputs"]
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    for s in ("captive", "external_oem", "ess"):
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == f"demand.{s}.price_rule")
        assert lists[f"E{row}"] == '"import_parity,cost_plus"'
        calc = wb["Calculations"]
        price = next(r for r in range(1, calc.max_row + 1) if calc.cell(r, 1).value == f"price_{s}")
        assert f"Inputs!$E${row}" in str(calc.cell(price, FIRST_COL).value)

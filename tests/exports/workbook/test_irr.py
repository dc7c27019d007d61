"""The workbook's IRR block (tem/exports/workbook/irr.py) gives tem's answer and status at the edges.

Each case writes its flows on a sheet, the IRR block below them (the same writer the workbook uses), and
LibreOffice recalculates all the cases in one call; the status cell must equal ``tem.finance.irr``'s status, the
IRR cell its rate (1e-9), and the shown cell the rate or the status text. The cases are the edges that issue 10
found (an IRR above 100%, a root outside the range, several roots, close and double roots, roots on the bounds,
invalid flows, long flows) and random rows with several sign changes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from tem.exports.workbook.irr import write_irr
from tem.finance import IRR_STATUS_SHORT, irr
from tests.support.libreoffice import recalculate


def _three_roots(ys: list[float]) -> list[float]:
    """Flows with IRRs at 1 + r = ys: sum_t c_t y**-t = 0 <=> sum_t c_t y**(n - t) = 0, so c = poly(ys)."""
    return [-float(v) for v in np.poly(ys)]


EDGE_CASES: dict[str, list[float]] = {
    "above_100pct": [0.0] * 17 + [-260, 190, 540, 530, 600, 530, 540, 480, 420, 360, 340] + [0.0] * 15,
    "outside_range": [-100.0, 1600.0],
    "three_roots": _three_roots([1 - 0.7275, 1 - 0.3833, 1.0125]),
    "other_root_below_range": [-100.0, 250.0, -1.0],
    "final_year_cost": [-1000.0, 300.0, 300.0, 300.0, 300.0, 300.0, -10.0],
    "only_root_outside": [-1.0, 1.0, -40.0, 1.0],
    "double_root": [-1.0, 2.0, -1.0],
    "close_roots": [-1.0, 2.202, -1.2122],
    "triple_root": [-1.0, 3.3, -3.63, 1.331],
    "near_touch": [-1.0, 2.0, -1.0000000001],
    "complex_pair_only": [-1.0, 2.0, -1.01],
    "on_upper_bound": [-1.0, 11.0],
    "on_lower_bound": [-1.0, 0.05],
    "no_sign_change": [5.0, 0.0, 3.0],
    "two_roots_apart": [-100.0, 230.0, -132.0],
    "long_flows": [-100.0, 110.0] + [0.0] * 40,
    "nan_flow": [-100.0, math.nan, 60.0, 60.0],
}


def _random_rows(n: int, n_years: int, seed: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    rows = np.round(rng.normal(size=(n, n_years)) * 100) / 100
    rows[:, 0] = -np.abs(rows[:, 0]) - 0.5
    return {f"random_{seed}_{i}": row.tolist() for i, row in enumerate(rows)}


def _write_case(wb: openpyxl.Workbook, name: str, flows: list[float]) -> dict[str, str]:
    ws = wb.create_sheet(name[:31])
    n = len(flows)
    for t, v in enumerate(flows):
        ws.cell(1, 2 + t, t)
        ws.cell(2, 2 + t, "=NA()" if math.isnan(v) else v)
    last = get_column_letter(1 + n)
    cells = write_irr(ws, 4, f"$B$2:${last}$2", f"$B$1:${last}$1", n)
    return {"status": cells.status, "rate": cells.rate, "shown": cells.shown}


def test_edge_cases_and_random_rows_match_python(tmp_path: Path) -> None:
    cases = EDGE_CASES | _random_rows(8, 6, seed=1) | _random_rows(4, 20, seed=2)
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    refs = {name: _write_case(wb, name, flows) for name, flows in cases.items()}
    path = tmp_path / "irr_cases.xlsx"
    wb.save(path)
    [out] = recalculate([path], tmp_path / "recalculated", tmp_path / "profile")
    values = openpyxl.load_workbook(out, data_only=True)
    seen: set[int] = set()
    bad = []
    for name, flows in cases.items():
        ws = values[name[:31]]
        result = irr(np.array(flows))
        status, rate = int(result.status[0]), float(result.rate[0])
        seen.add(status)
        got_status = ws[refs[name]["status"].replace("$", "")].value
        got_rate = ws[refs[name]["rate"].replace("$", "")].value
        shown = ws[refs[name]["shown"].replace("$", "")].value
        if got_status != status:
            bad.append((name, "status", status, got_status))
        elif status == 0 and not (
            isinstance(got_rate, (int, float)) and math.isclose(got_rate, rate, rel_tol=1e-9, abs_tol=1e-12)
        ):
            bad.append((name, "rate", rate, got_rate))
        elif status == 0 and shown != got_rate:
            bad.append((name, "shown", rate, shown))
        elif status != 0 and shown != IRR_STATUS_SHORT[status]:
            bad.append((name, "text", IRR_STATUS_SHORT[status], shown))
    assert not bad, bad
    assert seen >= {0, 1, 2, 3, 4, 5}  # every status that flows can produce is exercised


@pytest.mark.parametrize(
    ("name", "status", "rate"),
    [
        ("above_100pct", 0, 1.31518155916717),
        ("outside_range", 2, math.nan),
        ("three_roots", 3, math.nan),
        ("other_root_below_range", 0, 1.49599357943771),
        ("final_year_cost", 0, 0.150561667381574),
        ("only_root_outside", 2, math.nan),
        ("double_root", 4, math.nan),
        ("close_roots", 4, math.nan),
        ("on_upper_bound", 0, 10.0),
        ("on_lower_bound", 0, -0.95),
    ],
)
def test_python_side_of_the_edge_cases(name: str, status: int, rate: float) -> None:
    """The expected answers of the cases above (worked out in tests/test_finance.py), so the workbook test
    compares against the right numbers."""
    result = irr(np.array(EDGE_CASES[name]))
    assert result.status[0] == status
    if status == 0:
        assert result.rate[0] == pytest.approx(rate, rel=1e-13)

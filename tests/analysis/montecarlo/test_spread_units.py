"""A spread of a KPI (standard deviation, standard error) is a difference of its values: of a rate in percentage
points, never "%"; of years in years (review: montecarlo.xlsx's Summary showed the IRR's standard deviation as
6.7%, and the Convergence sheet its standard error as a bare fraction under raw column keys)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import tem
from tem.analysis.montecarlo.run import montecarlo
from tem.analysis.montecarlo.workbook import render_montecarlo_workbook

ROOT = Path(__file__).parents[3]


@pytest.fixture(scope="module")
def result():
    return montecarlo(tem.load(ROOT / "assumptions" / "base.yaml"), ROOT / "assumptions" / "montecarlo.yaml", n=120)


def test_spreads_of_rates_are_in_points_of_years_in_years(result) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(render_montecarlo_workbook(result)))
    ws = wb["Summary"]
    rows = {r[0].value: r for r in ws.iter_rows() if r[0].value}
    header = next(r for r in ws.iter_rows() if r[0].value == "KPI")
    col = [c.value for c in header].index("std")
    irr = rows["IRR"][col]
    assert irr.value == pytest.approx(100 * result.summary.loc["irr", "std"], rel=1e-12)  # points, x 100
    assert '" pts"' in irr.number_format
    assert "%" not in irr.number_format
    npv = rows["NPV"][col]
    assert npv.value == pytest.approx(result.summary.loc["npv_inr_cr", "std"], rel=1e-12)
    assert npv.number_format.startswith("#,##0")
    fy = rows[tem.catalogue.label("crossover_fy")][col]
    assert fy.number_format == '0.0" years"'

    conv = wb["Convergence"]
    head = [c.value for c in next(conv.iter_rows())]
    assert head == ["KPI", "first N scenarios", "with a value", "mean", "standard error of the mean", "P10", "P50", "P90"]
    c = result.convergence
    expected = c[c["kpi"] == "irr"]
    shown = [r for r in conv.iter_rows(min_row=2) if r[0].value == "IRR"]
    assert len(shown) == len(expected) > 0
    for r, (_, e) in zip(shown, expected.iterrows(), strict=True):
        assert r[4].value == pytest.approx(100 * e["mean_standard_error"], rel=1e-12)
        assert '" pts"' in r[4].number_format
        assert r[3].number_format == "0.0%"  # the mean is a level: in %
        assert np.isclose(r[3].value, e["mean"])

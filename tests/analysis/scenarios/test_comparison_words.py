"""comparison.xlsx in words (review D7): the Assumption diff with each input's label and its values in the input's
unit (rates in %), the Bridge's changed inputs by label, the KPIs sheet's IRR status as its words, not a code."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from tem.analysis.scenarios.bridge import bridge
from tem.analysis.scenarios.compare import compare
from tem.analysis.scenarios.diff_words import shown_value
from tem.analysis.scenarios.export import render_comparison_workbook
from tem.assumptions.input_kinds import input_label

ROOT = Path(__file__).parents[3]
DUTY = "cells.imported.bcd_rate_vehicle"


def test_values_in_the_inputs_unit() -> None:
    assert shown_value("transition.bought_in_pack_bcd_rate", 0.15) == "15.0%"
    assert shown_value(DUTY, {"FY26": 0.05, "FY29": 0.2}) == "FY26 5.0%, FY29 20.0%"
    fob = {"FY26": 42.0, "FY30": 34.0, "interpolation": "linear"}
    assert shown_value("cells.imported.fob_price_usd_per_kwh", fob) == (
        "FY26 42.0 USD/kWh, FY30 34.0 USD/kWh (linear between the years)"
    )
    assert shown_value(DUTY, "absent") == "absent"
    assert input_label(DUTY) == "Basic customs duty on cells for EV packs"


def test_comparison_workbook_in_words() -> None:
    names = ("base.yaml", "scenarios/duty_hike.yaml", "scenarios/cell_price_war.yaml")
    c = compare([ROOT / "assumptions" / n for n in names])
    bridges = [bridge(c.assumptions[0], c.assumptions[1], method="shapley")]
    wb = openpyxl.load_workbook(io.BytesIO(render_comparison_workbook(c, bridges)))
    diff = {row[1]: row for row in wb["Assumption diff"].iter_rows(min_row=5, values_only=True)}
    assert wb["Assumption diff"]["A4"].value == "input"
    assert diff["transition.bought_in_pack_bcd_rate"][0] == "Customs duty on finished packs"
    assert diff["transition.bought_in_pack_bcd_rate"][3:6] == ("15.0%", "FY26 15.0%, FY29 25.0%", "15.0%")
    assert diff[DUTY][3:6] == ("FY26 5.0%, FY29 10.0%", "FY26 5.0%, FY29 20.0%", "FY26 5.0%, FY29 10.0%")
    texts = [str(v) for row in wb["Bridge"].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert not [t for t in texts if DUTY in t]  # the changed inputs by label, not by path
    assert any("Basic customs duty on cells for EV packs" in t for t in texts)
    kpis = {row[1]: row for row in wb["KPIs"].iter_rows(min_row=5, values_only=True) if row[1]}
    assert kpis["irr_status"][3:6] == ("IRR found", "IRR found", "IRR found")  # code 0 in each scenario
    assert all(v is None for v in kpis["irr_status"][6:])  # no difference of two codes

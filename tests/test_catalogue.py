"""The catalogue of KPIs and statement lines: labels, units and formats a board sees (values worked out by hand)."""

from __future__ import annotations

import math

import pytest

import tem
from tem import catalogue

BASE = "assumptions/base.yaml"


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("npv_inr_cr", -5570.888891789114, "-5,571"),
        ("irr", -0.1205483214264923, "-12.1%"),
        ("irr", 0.025, "2.5%"),
        ("payback_years", 7.25, "7.2"),
        ("peak_funding_fy", 2044, "FY44"),
        ("crossover_fy", 2039.0, "FY39"),
        ("levelized_pack_cost_usd_per_kwh", 77.5598701464615, "77.6"),
        ("levelized_pack_cost_inr_per_kwh", 9179.503156619361, "9,180"),
        ("dva_share_fy30", 0.15506393680337205, "15.5%"),
        ("irr", None, "none"),
        ("irr", math.nan, "none"),
    ],
)
def test_format_value(key: str, value: float | None, text: str) -> None:
    assert catalogue.format_value(key, value) == text


def test_units_in_titles_and_text() -> None:
    assert catalogue.axis_title("npv_inr_cr") == "NPV (INR crore)"
    assert catalogue.axis_title("irr") == "IRR (%)"
    assert catalogue.axis_title("crossover_fy") == "Local cells cheaper from (full cost)"
    assert catalogue.format_value("npv_inr_cr", -1234.4, with_unit=True) == "-1,234 INR crore"
    assert catalogue.format_value("irr", 0.1, with_unit=True) == "10.0%"
    assert catalogue.plotly_axis("npv_inr_cr")["tickformat"] == ",.0f"  # no SI "k" ticks
    assert catalogue.plotly_axis("irr")["tickformat"] == ".1%"
    assert catalogue.excel_format("irr") == "0.0%"


def test_keys_made_per_segment_phase_and_fy_get_words_not_raw_keys() -> None:
    assert catalogue.label("dva_share_fy30") == "DVA share FY30"
    assert catalogue.label("revenue_ess") == "Revenue: energy storage"
    assert catalogue.label("demand_captive_gwh") == "Demand: captive vehicles"
    assert catalogue.unit("capex_cell_plant_1") == "INR crore"
    assert catalogue.label("some_new_total_inr_cr") == "Some new total"
    assert catalogue.unit("some_new_total_inr_cr") == "INR crore"


def test_every_kpi_and_statement_line_of_the_base_is_catalogued() -> None:
    """Every KPI key of a run and every fixed statement line has an entry written by hand (not a fallback)."""
    r = tem.run(tem.load(BASE))
    kpi_keys = [k for k in r.kpis if k != "dva_share_by_fy" and not k.startswith("gate_passed_")]
    assert set(kpi_keys) <= set(catalogue.KPIS), set(kpi_keys) - set(catalogue.KPIS)
    # one KPI per gated phase (the base gates cell plant 1), labelled from its pattern
    assert catalogue.label("gate_passed_cell_plant_1") == "Gate passes: cell plant 1"
    made_per_item = ("demand_", "revenue_", "cogs_", "capex_")
    fixed = [k for k in r.statement.index if not k.startswith(made_per_item) or k in catalogue.STATEMENT_LINES]
    assert set(fixed) <= set(catalogue.STATEMENT_LINES), set(fixed) - set(catalogue.STATEMENT_LINES)
    for k in r.statement.index:  # the statement's own unit column agrees with the catalogue
        unit = str(r.statement.loc[k, "unit"])
        expected = {"fraction": "%"}.get(unit, unit)
        assert catalogue.unit(k) == expected, (k, unit, catalogue.unit(k))

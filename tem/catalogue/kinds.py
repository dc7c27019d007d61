"""Kinds of KPI and statement line (unit and number formats in Python, Excel and plotly) and the catalogue entry
(key, label, kind, definition); the table of kinds is in :mod:`tem.catalogue`'s docstring."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    unit: str
    python: str  # str.format pattern, or "fy" / "status"
    excel: str
    plotly: str
    suffix: str = ""  # unit text after a value in running text ("INR crore", "years"); "" for rates and FYs
    in_format: bool = False  # the shown value carries the unit ("3.3%", "1.35x", "FY36"): no unit column beside it


KINDS: dict[str, Kind] = {
    "inr_cr": Kind("INR crore", "{:,.0f}", "#,##0;-#,##0", ",.0f", "INR crore"),
    "inr_kwh": Kind("INR/kWh", "{:,.0f}", "#,##0;-#,##0", ",.0f", "INR/kWh"),
    "usd_kwh": Kind("USD/kWh", "{:,.1f}", "#,##0.0;-#,##0.0", ",.1f", "USD/kWh"),
    "usd_m": Kind("USD million", "{:,.0f}", "#,##0;-#,##0", ",.0f", "USD million"),
    "gwh": Kind("GWh", "{:,.2f}", "#,##0.00", ",.2f", "GWh"),
    "rate": Kind("%", "{:.1%}", "0.0%", ".1%", in_format=True),
    "years": Kind("years", "{:,.1f}", "0.0", ",.1f", "years"),
    "fy": Kind("FY", "fy", '"FY"0', "d", in_format=True),  # shown as text FY36 (workbooks: :func:`fy_text_formula`)
    "factor": Kind("factor", "{:,.3f}", "0.000", ",.3f"),
    "status": Kind("code", "status", "0", "d"),
    "inr_per_usd": Kind("INR per USD", "{:,.2f}", "#,##0.00", ",.2f", "INR per USD"),
    "times": Kind("x", "{:,.2f}x", '0.00"x"', ",.2f", in_format=True),
    # a difference of two rates (a duty gap) as a level (a gate's threshold and value read): percentage points
    "pts": Kind("pts", "pts", '0.0" pts"', ".1f", in_format=True),
}


# a key's unit suffix and the kind it says (``npv_inr_cr`` -> inr_cr); the first that matches
SUFFIX_KINDS = (
    ("_inr_cr", "inr_cr"),
    ("_usd_m", "usd_m"),
    ("_inr_per_kwh", "inr_kwh"),
    ("_usd_per_kwh", "usd_kwh"),
    ("_gwh", "gwh"),
    ("_fy", "fy"),
    ("_years", "years"),
    ("_rate", "rate"),
    ("_share", "rate"),
)


@dataclass(frozen=True)
class Entry:
    """One KPI or statement line: ``key`` (stable, carries its unit), reader's ``label``, ``kind`` (fixes the unit and
    formats, see the module table) and a one-line ``definition``."""

    key: str
    label: str
    kind: str
    definition: str

    @property
    def unit(self) -> str:
        return KINDS[self.kind].unit

    @property
    def excel_format(self) -> str:
        return KINDS[self.kind].excel

    @property
    def unit_column(self) -> str:
        """The text of a unit column beside the value: the unit, or "" where the shown value carries it."""
        k = KINDS[self.kind]
        return "" if k.in_format else k.unit


def entries(rows: list[tuple[str, str, str, str]]) -> dict[str, Entry]:
    return {key: Entry(key, lab, kind, definition) for key, lab, kind, definition in rows}

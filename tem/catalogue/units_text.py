"""Units and kinds in words for the pages: a key's kind from its unit suffix, a kind's Excel format, a model unit
(``fraction``) and an input's description as a page shows them (never the word "fraction" as a unit)."""

from __future__ import annotations

import re

from tem.catalogue.kinds import KINDS, SUFFIX_KINDS


def suffix_kind(name: str) -> str | None:
    """The kind a key's unit suffix says (``_usd_per_kwh`` -> ``usd_kwh``, ``_fy`` -> ``fy``); None without one."""
    if name.endswith("inr_per_usd"):
        return "inr_per_usd"
    return next((k for suffix, k in SUFFIX_KINDS if name.endswith(suffix)), None)


def unit_text(unit: str) -> str:
    """A model unit (a statement line's or an input's: ``fraction``, ``INR crore``) as a unit column shows it:
    nothing for a fraction (its number format shows it as a percentage, as a rate's :attr:`Entry.unit_column`),
    never the word "fraction"; other units as they are."""
    return "" if unit == "fraction" else unit


def description_text(text: str) -> str:
    """An input's description as a page shows it beside its value: the schema's unit tag of a fraction
    (``[fraction]``, ``[fraction/yr]``) in the unit the page shows (``[%]``, ``[%/yr]``)."""
    return re.sub(r"\[fraction(?=[\]/ ])", "[%", text)


def kind_excel(kind: str | None) -> str:
    """The Excel number format of a value of ``kind`` (None: a plain number)."""
    return "#,##0.####" if kind is None else KINDS[kind].excel

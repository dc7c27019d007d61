"""The catalogue: every KPI and statement line once, with its label, unit, number formats and definition.

Everything a reader sees (the ``tem run`` table, chart titles and axes, the workbook, the report, the scenario and
Monte Carlo exports) takes its label, unit and number format from here, so a key such as ``npv_inr_cr`` never
reaches a board page and a rate is shown as a percentage, not as ``0.025``.

An :class:`Entry` has a *kind* that fixes its formats:

========== ================== ======================= ================= ==================
kind       unit shown         Python format           Excel format      plotly tickformat
========== ================== ======================= ================= ==================
inr_cr     INR crore          ``1,234``               ``#,##0``         ``,.0f``
inr_kwh    INR/kWh            ``1,234``               ``#,##0``         ``,.0f``
usd_kwh    USD/kWh            ``12.3``                ``#,##0.0``       ``,.1f``
usd_m      USD million        ``1,234``               ``#,##0``         ``,.0f``
gwh        GWh                ``1.23``                ``#,##0.00``      ``,.2f``
rate       %                  ``12.3%``               ``0.0%``          ``.1%``
years      years              ``3.4``                 ``0.0``           ``,.1f``
fy         FY                 ``FY31``                ``0``             ``d``
factor     factor             ``0.889``               ``0.000``         ``,.3f``
status     (code)             ``0``                   ``0``             ``d``
times      x                  ``1.35x``               ``0.00"x"``       ``,.2f``
========== ================== ======================= ================= ==================

Lowest layer (beside ``errors``, ``units``, ``arrays``): imports nothing from ``tem``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable

from tem.catalogue.entries import GATE_LINES, HEADLINE_KPIS, KPIS, SEGMENT_LABELS, STATEMENT_LINES
from tem.catalogue.kinds import KINDS, Entry, Kind
from tem.catalogue.kinds import SUFFIX_KINDS as _SUFFIX_KINDS
from tem.catalogue.units_text import description_text, kind_excel, suffix_kind, unit_text

__all__ = [
    "GATE_LINES",
    "HEADLINE_KPIS",
    "KINDS",
    "KPIS",
    "RATE_GAP_LINES",
    "SEGMENT_LABELS",
    "STATEMENT_LINES",
    "Entry",
    "Kind",
    "axis_title",
    "condition_text",
    "description_text",
    "difference_excel",
    "excel_format",
    "format_difference",
    "format_kind",
    "format_value",
    "fy_text_formula",
    "gate_reading",
    "group_label",
    "headroom",
    "kind_difference",
    "kind_excel",
    "kpi",
    "label",
    "level_kind",
    "line",
    "material_label",
    "phase_label",
    "phase_title",
    "plotly_axis",
    "row_title",
    "segment_label",
    "suffix_kind",
    "unit",
    "unit_column",
    "unit_text",
    "unknown_kpi",
]
OPERATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
# a gate condition that passes with less headroom than this "passes at the threshold" (said so on every page)
AT_THRESHOLD_SHARE = 0.01  # of the threshold's size
AT_THRESHOLD_RATE = 0.005  # for a rate: half a percentage point (its threshold is often 0)
# a difference of two rates (IRR, DVA share, a rate's gate headroom, a probability) is in percentage points, never
# "%": 3.3% to 6.7% is "+3.4 pts"; the one abbreviation every page uses
POINTS = "pts"
POINTS_TEXT = "percentage points"
AT_THRESHOLD_TEXT = f"headroom within 1% of the threshold (0.5 {POINTS_TEXT} for a rate)"
# words of a phase name that are not English as written (``rnd_centre`` -> ``R&D centre``)
PHASE_WORDS = {"rnd": "R&D", "ess": "ESS", "coe": "centre of excellence"}
# the default groups of assumptions a bridge switches (tem.analysis.scenarios.bridge.DEFAULT_GROUPS), in words
GROUP_LABELS = {
    "timeline": "Timeline and exchange rate",
    "demand": "Demand and prices",
    "cells.imported": "Imported cells",
    "cells.local": "Local cells",
    "pack": "Pack assembly",
    "transition": "Move to local cells",
    "capex": "Capex",
    "opex": "Opex",
    "working_capital": "Working capital",
    "tax": "Tax",
    "valuation": "Valuation",
    "recycling": "Recycling",
    "incentives": "Incentives",
    "funding": "Funding",
    "other": "Other inputs",
}


# keys made per segment, phase or cost part: (pattern, label template, kind)
_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"dva_share_(fy\d{2,4})"), "DVA share {0}", "rate"),
    (re.compile(r"gate_passed_(\w+)"), "Gate passes: {0}", "rate"),
    (re.compile(r"demand_(\w+)_gwh"), "Demand: {0}", "gwh"),
    (re.compile(r"price_(\w+)_inr_per_kwh"), "Selling price: {0}", "inr_kwh"),
    (re.compile(r"revenue_(\w+)"), "Revenue: {0}", "inr_cr"),
    (re.compile(r"variable_cost_(\w+)"), "Variable cost: {0}", "inr_cr"),
    (re.compile(r"contribution_margin_(\w+)"), "Contribution margin: {0}", "inr_cr"),
    (re.compile(r"cogs_(\w+)"), "Cost of goods: {0}", "inr_cr"),
    (re.compile(r"capex_(\w+)"), "Capex: {0}", "inr_cr"),
]

def _words(text: str) -> str:
    return SEGMENT_LABELS.get(text, text.replace("_", " "))


def kpi(key: str) -> Entry:
    """The entry of a KPI or statement line; keys made per segment, phase or FY (``dva_share_fy30``) and unknown keys
    get a label built from their words and a kind from their unit suffix (never the raw key)."""
    if key in KPIS:
        return KPIS[key]
    if key in STATEMENT_LINES:
        return STATEMENT_LINES[key]
    if key in GATE_LINES:
        return GATE_LINES[key]
    if "@" in key:  # one year of a line (a goal seek's KPI): "local_cell_..._inr_per_kwh@FY30"
        base, _, fy = key.partition("@")
        e = kpi(base)
        return Entry(key, f"{e.label} in {fy.upper()}", e.kind, e.definition)
    for pattern, template, kind in _PATTERNS:
        m = pattern.fullmatch(key)
        if m:
            part = m.group(1)
            text = part.upper() if kind == "rate" and part.startswith("fy") else _words(part)
            return Entry(key, template.format(text), kind, "")
    kind = next((k for suffix, k in _SUFFIX_KINDS if key.endswith(suffix)), "factor")
    stem = key
    for suffix, _ in _SUFFIX_KINDS:
        if kind != "rate" and stem.endswith(suffix):
            stem = stem.removesuffix(suffix)
            break
    text = stem.replace("_", " ").strip()
    return Entry(key, text[:1].upper() + text[1:], kind, "")


line = kpi  # statement lines and KPIs share one namespace of keys


def unknown_kpi(name: str, known: Iterable[str]) -> str:
    """The message for a KPI name that is not one of ``known``: the closest keys (by key or by label) as a
    did-you-mean, then the full list. ``npv`` -> ``did you mean 'npv_inr_cr'?``"""
    keys = list(known)
    by_label = {kpi(k).label.lower(): k for k in keys}
    close = difflib.get_close_matches(name, keys, n=3, cutoff=0.5)
    close += [by_label[m] for m in difflib.get_close_matches(name.lower(), list(by_label), n=3, cutoff=0.6)]
    close += [k for k in keys if k.startswith(name.lower() + "_")]
    hints = list(dict.fromkeys(close))[:3]
    hint = f"; did you mean {' or '.join(repr(h) for h in hints)}?" if hints else ""
    return f"unknown KPI {name!r}{hint}{' ' if hint else '; '}KPIs are: {', '.join(sorted(keys))}"


def label(key: str) -> str:
    """The reader's name of a KPI or line, without its unit (``NPV``)."""
    return kpi(key).label


def unit(key: str) -> str:
    """The unit shown for a KPI or line (``INR crore``, ``%``, ``FY``)."""
    return kpi(key).unit


def unit_column(key: str) -> str:
    """The text of a unit column beside a value shown in :func:`excel_format`: the unit, or "" where the shown value
    carries it (``3.3%``, ``1.35x``, ``FY36``), so a unit is never doubled."""
    return kpi(key).unit_column


def fy_text_formula(expr: str) -> str:
    """An Excel expression (no leading ``=``) showing the fiscal year ``expr`` (2036) as ``FY36``, text beyond
    ``"none"`` kept as is: how every FY reads, also in a workbook."""
    return f'IF(ISNUMBER({expr}),"FY"&TEXT(MOD({expr},100),"00"),{expr})'


def phase_label(name: str) -> str:
    """A capex phase (or phase kind) as a reader sees it: ``cell_plant_1`` -> ``cell plant 1``, ``rnd_centre`` ->
    ``R&D centre`` (:data:`PHASE_WORDS`)."""
    return " ".join(PHASE_WORDS.get(w, w) for w in name.split("_") if w)


def phase_title(name: str, kind: str) -> str:
    """A phase with its kind where the name does not already say it: ``pilot_cell_line`` (a cell plant) ->
    ``pilot cell line (cell plant)``; ``rnd_centre`` -> ``R&D centre``, never ``R&D centre (R&D centre)``;
    ``pack_line_1`` -> ``pack line 1``."""
    label, kind_label = phase_label(name), phase_label(kind)
    said = set(label.lower().split())
    return label if set(kind_label.lower().split()) <= said else f"{label} ({kind_label})"


def material_label(name: str) -> str:
    """A material group of the local cells (a key the assumption set names) in words: ``electrolyte_separator`` ->
    ``electrolyte separator``."""
    return phase_label(name)


def segment_label(name: str) -> str:
    """A demand segment as a reader sees it: ``external_oem`` -> ``external OEMs``."""
    return _words(name)


def group_label(name: str) -> str:
    """A bridge's group of assumptions in words: ``cells.imported`` -> ``Imported cells``; a group the user named
    reads as its words (``my_group`` -> ``My group``)."""
    if name in GROUP_LABELS:
        return GROUP_LABELS[name]
    text = re.sub(r"[._]+", " ", name).strip()
    return text[:1].upper() + text[1:]


def condition_text(line_key: str, op: str, threshold: float, fy: str = "") -> str:
    """A gate condition in words with the threshold in its unit: ``Imported cell FOB in FY28 ≥ 55.0 USD/kWh``."""
    where = f" in {fy}" if fy else ""
    return f"{label(line_key)}{where} {OPERATORS.get(op, op)} {format_value(line_key, threshold, with_unit=True)}"


def headroom(op: str, value: float | None, threshold: float) -> float | None:
    """How far a gate condition's value is on the passing side of its threshold, in the line's unit (negative: it
    fails by that much); None when there is no value (the condition fails)."""
    if value is None or math.isnan(value):
        return None
    return value - threshold if op in (">=", ">") else threshold - value


def at_threshold(line_key: str, op: str, value: float | None, threshold: float) -> bool:
    """A condition that passes, but with headroom within the stated tolerance (:data:`AT_THRESHOLD_TEXT`)."""
    h = headroom(op, value, threshold)
    tol = AT_THRESHOLD_RATE if kpi(line_key).kind == "rate" else AT_THRESHOLD_SHARE * abs(threshold)
    return h is not None and 0.0 <= h <= tol


def gate_reading(line_key: str, op: str, value: float | None, threshold: float, passes: bool) -> str:
    """The value read and the headroom in the line's unit: ``read 55.0 USD/kWh, headroom 0.0 USD/kWh: passes at the
    threshold``."""
    h = headroom(op, value, threshold)
    if h is None:
        return "no value read: fails"
    verdict = "passes" if passes else "fails"
    if passes and at_threshold(line_key, op, value, threshold):
        verdict = "passes at the threshold"
    return (
        f"read {format_value(line_key, value, with_unit=True)}, "
        f"headroom {format_difference(line_key, h, signed=False, with_unit=True)}: {verdict}"
    )


def axis_title(key: str) -> str:
    """Label with unit for an axis or column heading: ``NPV (INR crore)``, ``IRR (%)``; FYs without a unit."""
    e = kpi(key)
    if e.kind in ("fy", "status"):
        return e.label
    return f"{e.label} ({e.unit})"


def row_title(key: str) -> str:
    """A row's or column's title where the values carry no unit of their own beside them: the label, with the unit
    in parentheses only when the shown value does not carry it (``NPV (INR crore)``, ``IRR``, never ``IRR (%)``
    beside ``4.6%``)."""
    u = unit_column(key)
    return f"{label(key)} ({u})" if u else label(key)


def excel_format(key: str) -> str:
    """The Excel number format of a KPI or line."""
    return kpi(key).excel_format


def plotly_axis(key: str) -> dict[str, object]:
    """plotly axis settings for a KPI: title with unit and a tick format without SI prefixes (``-2,000``, not ``-2k``)."""
    e = kpi(key)
    return {"title": {"text": axis_title(key)}, "tickformat": KINDS[e.kind].plotly, "separatethousands": True}


# lines that are themselves a difference of two rates (cell duty minus pack duty): read in percentage points
RATE_GAP_LINES = frozenset({"cell_duty_minus_pack_duty_rate"})


def level_kind(key: str) -> str:
    """The kind a value of ``key`` is shown in as text: ``pts`` for a difference of two rates
    (:data:`RATE_GAP_LINES`: ``-10.0 pts``, never ``-10.0%``), else the KPI's kind."""
    return "pts" if key in RATE_GAP_LINES else kpi(key).kind


def format_value(key: str, value: float | int | None, *, with_unit: bool = False) -> str:
    """A value as a reader sees it: ``-5,571`` (``-5,571 INR crore`` with ``with_unit``), ``12.3%``, ``FY31``,
    a duty gap ``-10.0 pts``; ``none`` for a missing value (None or NaN: no IRR, never pays back)."""
    return format_kind(level_kind(key), value, with_unit=with_unit)


def format_kind(kind: str | None, value: float | int | None, *, with_unit: bool = False) -> str:
    """A value of a kind (:data:`KINDS`; None: a plain number, 4 significant digits) as :func:`format_value`
    shows it: an input's value in its kind (:func:`tem.assumptions.input_kinds.input_kind`) reads as a KPI's."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if kind is None:
        return _no_negative_zero(f"{value:,.4g}")
    k = KINDS[kind]
    if k.python == "fy":
        fy = math.floor(value + 0.5)  # a percentile of years between two years reads as the nearer (half up)
        return f"FY{fy % 100:02d}"
    if k.python == "status":
        return str(int(value))
    if k.python == "pts":
        return _no_negative_zero(f"{100.0 * value:.1f}") + f" {POINTS}"
    text = _no_negative_zero(k.python.format(value))
    return f"{text} {k.suffix}" if with_unit and k.suffix else text


def _no_negative_zero(text: str, zero_sign: str = "") -> str:
    """``-0.0%`` (a tiny negative rounded away) reads ``0.0%`` (``+0.0%`` with ``zero_sign="+"``)."""
    if text.startswith("-") and not re.search(r"[1-9]", text):
        return zero_sign + text[1:]
    return text


def format_difference(key: str, value: float | None, *, signed: bool = True, with_unit: bool = False) -> str:
    """A difference of two values of a KPI or line (scenario minus base, a step's increment, a gate's headroom):
    signed, in the KPI's format, never ``-0``; of two rates in percentage points (``+3.4 pts``, :data:`POINTS`),
    never ``%``; of two fiscal years in years (``-3 years``). ``with_unit`` adds the unit of money and quantities
    (points and years always carry theirs); ``signed=False`` for a size (a headroom)."""
    return kind_difference(kpi(key).kind, value, signed=signed, with_unit=with_unit)


def kind_difference(kind: str | None, value: float | None, *, signed: bool = True, with_unit: bool = False) -> str:
    """A difference of two values of ``kind`` as :func:`format_difference` shows it (None: a plain number)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    sign = "+" if signed else ""
    if kind is None:
        return _no_negative_zero(f"{value:{sign},.4g}", sign)
    k = KINDS[kind]
    if k.python == "fy":
        return _no_negative_zero(f"{value:{sign}.0f}", sign) + " years"
    if k.python == "status":
        return str(int(value))
    if kind in ("rate", "pts"):
        return _no_negative_zero(f"{100.0 * value:{sign}.1f}", sign) + f" {POINTS}"
    pattern = k.python.replace("{:", "{:" + sign, 1)
    text = _no_negative_zero(pattern.format(value), sign)
    return f"{text} {k.suffix}" if with_unit and k.suffix else text


def difference_excel(key: str, *, signed: bool = True) -> tuple[float, str]:
    """How a workbook shows a difference of two values of ``key``: the factor to write it with and its number
    format. Rates: points (x 100, ``+0.0" pts"``), as :func:`format_difference`; FYs: years; others signed.
    ``signed=False`` for a size (a standard error, a headroom): no ``+``."""
    kind = kpi(key).kind
    sign = "+" if signed else ""
    if kind == "rate":
        return 100.0, f'{sign}0.0" {POINTS}";-0.0" {POINTS}";0.0" {POINTS}"'
    if kind == "fy":
        return 1.0, f'{sign}0" years";-0" years";0" years"'
    fmt = KINDS[kind].excel.split(";")[0]
    return 1.0, f"{sign}{fmt};-{fmt};{fmt}"


def difference_cell(key: str, value: float, *, signed: bool = True) -> tuple[float, str]:
    """A difference of two values of ``key`` as a workbook cell holds it: the number to write (a rate's in points,
    x 100; ``0.0`` where it would show ``-0``, as :func:`format_difference` never does) and its number format
    (:func:`difference_excel`)."""
    scale, fmt = difference_excel(key, signed=signed)
    shown_zero = not re.search(r"[1-9]", format_difference(key, value, signed=signed))
    return (0.0 if shown_zero else value * scale), fmt


def difference_unit(key: str) -> str:
    """The unit of a difference of two values of ``key`` in words, where no number format shows it (a chart's
    axis, a column heading): ``percentage points`` for a rate, ``years`` for a fiscal year, else the KPI's unit."""
    kind = kpi(key).kind
    return {"rate": POINTS_TEXT, "fy": "years"}.get(kind, unit(key))

"""HTML pieces for the report: number formats by unit, the FY tables, the provenance block.

Every piece of text that is not a number goes through :func:`html.escape` here (labels, phase names, file
paths, override values), so callers can insert the returned strings as they are.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from tem import catalogue
from tem.exports.charts.theme import fmt_number

# Decimals by the statement's unit column; "fraction" shows as a percentage.
DECIMALS = {
    "INR crore": 0,
    "GWh": 2,
    "INR/kWh": 0,
    "USD/kWh": 2,
    "USD million": 1,
    "INR per USD": 2,
    "factor": 4,
}
NOT_DEFINED = "&ndash;"
_HASH = re.compile(r"^[0-9a-f]{7,64}$")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt_value(x: float, unit: str) -> str:
    """One table cell: thousands separators, decimals by unit, percentages for fractions; '-' undefined."""
    if not math.isfinite(x):
        return NOT_DEFINED
    if unit == "fraction":
        return fmt_number(100.0 * x, 1) + "%"
    return fmt_number(x, DECIMALS.get(unit, 2))


def fy_table(frame: pd.DataFrame, fys: list[str], emphasis: Iterable[str] = (), table_id: str = "") -> str:
    """A wide table: label, unit, one column per FY; rows named in ``emphasis`` in bold."""
    bold = set(emphasis)
    head = "".join(f"<th>{esc(fy)}</th>" for fy in fys)
    rows = []
    for key, rec in frame.iterrows():
        unit = str(rec["unit"])
        cells = []
        for fy in fys:
            text = fmt_value(float(rec[fy]), unit)
            cells.append(f'<td class="neg">{text}</td>' if text.startswith("-") else f"<td>{text}</td>")
        tr = ' class="total"' if key in bold else ""
        rows.append(
            f'<tr{tr} id="{esc(table_id)}-{esc(key)}"><th scope="row" title="{esc(key)}">{esc(rec["label"])}</th>'
            f'<td class="unit">{esc(catalogue.unit_text(unit))}</td>{"".join(cells)}</tr>'
        )
    return (
        f'<div class="table-wrap"><table class="fy" id="{esc(table_id)}"><thead><tr><th>Line item</th><th>Unit</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _scalar_html(value: Any) -> str:
    if value is None:
        return '<span class="muted">none</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return esc(repr(value)) if not value.is_integer() else esc(fmt_number(value))
    text = str(value)
    if _HASH.match(text):
        return f"<code>{esc(text)}</code>"
    return esc(text)


def value_html(value: Any) -> str:
    """Any JSON-like value as HTML: mappings as key/value tables, lists of mappings as tables, lists as lists."""
    if isinstance(value, Mapping):
        if not value:
            return '<span class="muted">none</span>'
        rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{value_html(v)}</td></tr>' for k, v in value.items())
        return f'<table class="kv">{rows}</table>'
    if isinstance(value, (list, tuple)):
        if not value:
            return '<span class="muted">none</span>'
        if all(isinstance(v, Mapping) for v in value):
            cols: list[str] = []
            for v in value:
                cols += [str(k) for k in v if str(k) not in cols]
            head = "".join(f"<th>{esc(c)}</th>" for c in cols)
            body = "".join("<tr>" + "".join(f"<td>{value_html(_get(v, c))}</td>" for c in cols) + "</tr>" for v in value)
            return f'<table class="list"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        if isinstance(value, tuple) and not any(isinstance(v, (Mapping, list, tuple)) for v in value):
            return " &middot; ".join(_scalar_html(v) for v in value)
        return "<ul>" + "".join(f"<li>{value_html(v)}</li>" for v in value) + "</ul>"
    return _scalar_html(value)


def _get(mapping: Mapping[Any, Any], key: str) -> Any:
    for k, v in mapping.items():
        if str(k) == key:
            return v
    return None


def provenance_html(manifest: Mapping[str, Any] | None, fallback: Mapping[str, Any]) -> str:
    """The manifest's keys in its own order (whatever they are); without one, what the result itself records."""
    if manifest is None:
        note = '<p class="muted">No run manifest was given; this is what the result records.</p>'
        return note + value_html(fallback)
    folded = {"resolved_assumptions"}  # long: shown folded, also written as resolved.yaml
    shown = {k: v for k, v in manifest.items() if k not in folded}
    html_out = value_html(shown)
    for key in folded & set(manifest):
        html_out += (
            f"<details><summary>{html.escape(key.replace('_', ' '))} (also in resolved.yaml)</summary>"
            f"{value_html(manifest[key])}</details>"
        )
    return html_out

"""The report's first section: the board summary (:class:`tem.exports.board.BoardSummary`) on one page."""

from __future__ import annotations

from html import escape as esc

from tem import catalogue
from tem.exports.board import BoardSummary, Breakeven, Decision

CSS = """
.summary{background:#fff;border:1px solid #dde1e6;border-left:6px solid #1F3864;border-radius:6px;padding:12px 18px}
.summary .verdict{font-size:18px;font-weight:bold;margin:0 0 10px}
.summary table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums;margin:6px 0 10px}
.summary th,.summary td{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
.summary th:first-child,.summary td:first-child{text-align:left}
.summary td.bad{color:#b03000}.summary td.good{color:#00795a}
.summary .cols{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media print{.summary{break-after:page;border:0}}
"""


def _v(key: str, x: float | None) -> str:
    return esc(catalogue.format_value(key, x))


def _tone(x: float | None, good_if_positive: bool = True) -> str:
    if x is None:
        return ""
    return ' class="good"' if (x >= 0) == good_if_positive else ' class="bad"'


def _decision_row(s: BoardSummary, d: Decision) -> str:
    sign = "+" if d.name == "Cell localization" and (d.dva_share or 0) >= 0 else ""
    return (
        f"<tr><td><b>{esc(d.name)}</b><br><span class=muted>{esc(d.what)}</span></td>"
        f"<td{_tone(d.npv_inr_cr)}>{_v('npv_inr_cr', d.npv_inr_cr)}</td>"
        f"<td{_tone(None if d.irr is None else d.irr - s.hurdle_rate)}>{_v('irr', d.irr)}</td>"
        f"<td>{_v('peak_funding_inr_cr', d.peak_funding_inr_cr)}</td>"
        f"<td>{sign}{_v('dva_share', d.dva_share)}</td></tr>"
    )


def _breakeven_row(b: Breakeven) -> str:
    lo, hi = b.searched
    value = f"none between {lo:,.4g} and {hi:,.4g}" if b.value is None else f"{b.value:,.1f}"
    return (
        f"<tr><td>{esc(b.question)}</td><td>{esc(value)} {esc(b.unit)}</td>"
        f"<td class=muted>base {esc(f'{b.base_value:,.1f}')}</td></tr>"
    )


def summary_html(s: BoardSummary) -> str:
    """The verdict, the decisions apart, price against cost, the peak funding split and the breakevens."""
    decisions = (
        "<table><thead><tr><th>Decision</th><th>NPV (INR crore)</th>"
        f"<th>IRR (hurdle {s.hurdle_rate:.1%})</th><th>Peak funding (INR crore)</th><th>DVA {esc(s.dva_fy)}</th></tr>"
        f"</thead><tbody>{''.join(_decision_row(s, d) for d in s.decisions)}</tbody></table>"
    )
    kwh = "levelized_pack_cost_inr_per_kwh"
    lines = (
        ("Levelized selling price", s.levelized_price_inr_per_kwh),
        ("Levelized pack cost", s.levelized_cost_inr_per_kwh),
        ("Levelized pack cost, import-only", s.levelized_cost_import_only_inr_per_kwh),
    )
    price = (
        "<table><tbody>"
        + "".join(f"<tr><td>{esc(name)}</td><td>{_v(kwh, x)} INR/kWh</td></tr>" for name, x in lines)
        + "</tbody></table>"
    )
    fy = "" if s.peak_funding_fy is None else f" in FY{s.peak_funding_fy % 100:02d}"
    split = "".join(f"<tr><td>{esc(name)}</td><td>{_v('npv_inr_cr', x)}</td></tr>" for name, x in s.funding_split_inr_cr)
    funding = (
        f"<table><thead><tr><th>Peak funding{esc(fy)} (INR crore)</th>"
        f"<th>{_v('peak_funding_inr_cr', s.peak_funding_inr_cr)}</th></tr></thead><tbody>{split}</tbody></table>"
    )
    seeks = "".join(_breakeven_row(b) for b in s.breakevens) or "<tr><td>none computed</td></tr>"
    breakevens = (
        "<table><thead><tr><th>Breakeven (goal seek in this run)</th><th>value</th><th></th></tr></thead>"
        f"<tbody>{seeks}</tbody></table>"
    )
    return (
        f'<section class="summary" id="summary"><p class="verdict">{esc(s.verdict)}</p>{decisions}'
        f'<div class="cols"><div>{price}{funding}</div><div>{breakevens}</div></div></section>'
    )

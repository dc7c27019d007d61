"""The report's first section: the board summary (:class:`tem.exports.board.BoardSummary`) on one page.

Every number is formatted by the KPI catalogue (:func:`tem.catalogue.format_value`) under the catalogue's label
and unit."""

from __future__ import annotations

from html import escape as esc

from tem import catalogue
from tem.exports.board import BoardSummary, Breakeven, Decision, GateLine, breakeven_text

CSS = """
.summary{background:#fff;border:1px solid #dde1e6;border-left:6px solid #1F3864;border-radius:6px;padding:12px 18px}
.summary .verdict{font-size:17px;font-weight:bold;margin:0 0 10px;line-height:1.35}
.summary table{border-collapse:collapse;font-size:13.5px;font-variant-numeric:tabular-nums;margin:6px 0 10px}
.summary th,.summary td{padding:3px 9px;border-bottom:1px solid #eee;text-align:right;vertical-align:top}
.summary th:first-child,.summary td:first-child{text-align:left}
.summary td.bad{color:#b03000}.summary td.good{color:#00795a}
.summary tr.total td{border-top:2px solid #1F3864;font-weight:bold}
.summary .cols{display:grid;grid-template-columns:1fr 1.35fr;gap:18px}
.summary .muted{color:#666;font-size:12px}
@media print{.summary{break-after:page;border:0;padding:0}.summary .verdict{font-size:15px}
.summary table{font-size:11.5px;margin:3px 0 6px}.summary th,.summary td{padding:2px 6px}}
"""


def _v(key: str, x: float | None) -> str:
    return esc(catalogue.format_value(key, x))


def _h(key: str) -> str:
    """A column head from the catalogue: label and unit."""
    unit = catalogue.unit(key)
    return esc(catalogue.label(key) + (f" ({unit})" if unit and unit != "%" else ""))


def _tone(x: float | None) -> str:
    if x is None:
        return ""
    return ' class="good"' if x >= 0 else ' class="bad"'


def _decision_row(s: BoardSummary, d: Decision, total: bool = False) -> str:
    increment = "" if total else f"<td{_tone(d.npv_increment_inr_cr)}>{_v('npv_inr_cr', d.npv_increment_inr_cr)}</td>"
    increment_irr = "" if total else f"<td>{_v('irr', d.irr_increment)}</td>"
    if total:
        increment, increment_irr = "<td></td>", "<td></td>"
    return (
        f"<tr{' class=total' if total else ''}><td><b>{esc(d.name)}</b><br><span class=muted>{esc(d.what)}</span></td>"
        f"{increment}{increment_irr}"
        f"<td{_tone(d.npv_inr_cr)}>{_v('npv_inr_cr', d.npv_inr_cr)}</td>"
        f"<td{_tone(None if d.irr is None else d.irr - s.hurdle_rate)}>{_v('irr', d.irr)}</td>"
        f"<td>{_v('peak_funding_inr_cr', d.peak_funding_inr_cr)}</td>"
        f"<td>{_v('dva_share', d.dva_share)}</td></tr>"
    )


def _breakeven_rows(items: tuple[Breakeven, ...]) -> str:
    rows, last = [], None
    for b in items:
        if b.input_label != last:
            base = breakeven_text(Breakeven(**{**b.__dict__, "value": b.base_value}))
            note = f"; {b.note}" if b.note else ""
            about = f"<span class=muted>base {esc(base)}{esc(note)}</span>"
            rows.append(f"<tr><td colspan=2><b>{esc(b.input_label)}</b> {about}</td></tr>")
            last = b.input_label
        rows.append(f"<tr><td>&nbsp;&nbsp;{esc(b.target_label)}</td><td>{esc(breakeven_text(b))}</td></tr>")
    return "".join(rows)


def _gate_rows(gates: tuple[GateLine, ...]) -> str:
    """Each gate with every condition: the threshold in its unit, the value read and the headroom."""
    rows = []
    for g in gates:
        close = " (at the threshold)" if g.go and any(c.at_threshold for c in g.conditions) else ""
        conditions = "<br>".join(f"{esc(c.text)}: {esc(c.reading)}" for c in g.conditions)
        rows.append(
            f"<tr><td>{esc(g.title)}</td><td><b>{'GO' if g.go else 'NO GO'}</b>{esc(close)}</td>"
            f"<td class=muted style='text-align:left'>{conditions}</td></tr>"
        )
    return "".join(rows)


def summary_html(s: BoardSummary) -> str:
    """The verdict, the decisions apart, price against cost, the peak funding split, the breakevens and the gates."""
    head = (
        "<tr><th>Decision (each step adds to the one before)</th><th>Step adds: NPV (INR crore)</th><th>Step adds: IRR</th>"
        f"<th>Program: {_h('npv_inr_cr')}</th><th>Program: IRR (hurdle {s.hurdle_rate:.1%})</th>"
        f"<th>{_h('peak_funding_inr_cr')}</th><th>DVA {esc(s.dva_fy)}</th></tr>"
    )
    rows = "".join(_decision_row(s, d) for d in s.decisions) + _decision_row(s, s.as_run, total=True)
    if s.committed_npv_inr_cr is not None:  # the steps add up to the run; the gates' value reconciles the committed
        rows += (
            "<tr><td>Committed program<br><span class=muted>every phase built, no gate</span></td><td></td><td></td>"
            f"<td>{_v('npv_inr_cr', s.committed_npv_inr_cr)}</td><td></td><td></td><td></td></tr>"
            "<tr><td><b>Value of the gates</b><br><span class=muted>program as run minus committed</span></td>"
            f"<td></td><td></td><td{_tone(s.gates_value_inr_cr)}><b>{_v('npv_inr_cr', s.gates_value_inr_cr)}</b></td>"
            "<td></td><td></td><td></td></tr>"
        )
    decisions = f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"
    kwh = "levelized_pack_cost_inr_per_kwh"
    lines = (
        ("Levelized selling price", s.levelized_price_inr_per_kwh),
        (catalogue.label(kwh), s.levelized_cost_inr_per_kwh),
        (catalogue.label("levelized_pack_cost_import_only_inr_per_kwh"), s.levelized_cost_import_only_inr_per_kwh),
    )
    p, c = s.levelized_price_inr_per_kwh, s.levelized_cost_inr_per_kwh
    margin = None if p is None or c is None else p - c
    price = (
        f"<table><thead><tr><th>Price against cost</th><th>{esc(catalogue.unit(kwh))}</th></tr></thead><tbody>"
        + "".join(f"<tr><td>{esc(name)}</td><td>{_v(kwh, x)}</td></tr>" for name, x in lines)
        + f"<tr class=total><td>Selling price minus pack cost</td><td{_tone(margin)}>{_v(kwh, margin)}</td></tr>"
        + "</tbody></table>"
    )
    fy = "" if s.peak_funding_fy is None else f" in FY{s.peak_funding_fy % 100:02d}"
    split = "".join(f"<tr><td>{esc(name)}</td><td>{_v('npv_inr_cr', x)}</td></tr>" for name, x in s.funding_split_inr_cr)
    funding = (
        f"<table><thead><tr><th>{_h('peak_funding_inr_cr')}{esc(fy)}</th>"
        f"<th>{_v('peak_funding_inr_cr', s.peak_funding_inr_cr)}</th></tr></thead><tbody>{split}</tbody></table>"
    )
    why = f": {s.breakevens_not_computed}" if s.breakevens_not_computed else ""
    seeks = _breakeven_rows(s.breakevens) or f"<tr><td colspan=2>none computed{esc(why)}</td></tr>"
    breakevens = (
        "<table><thead><tr><th>Breakeven (goal seek in this run)</th><th>input value</th></tr></thead>"
        f"<tbody>{seeks}</tbody></table>"
    )
    gates = (
        "<table><thead><tr><th>Gate</th><th>decision</th><th>conditions (value read, headroom)</th></tr></thead>"
        f"<tbody>{_gate_rows(s.gates)}</tbody></table>"
        f"<p class=muted>Passes at the threshold: {esc(catalogue.AT_THRESHOLD_TEXT)}.</p>"
        if s.gates
        else ""
    )
    return (
        f'<section class="summary" id="summary"><p class="verdict">{esc(s.verdict)}</p>{decisions}'
        f'<div class="cols"><div>{price}{funding}{gates}</div><div>{breakevens}</div></div></section>'
    )

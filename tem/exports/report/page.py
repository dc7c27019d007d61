"""One self-contained HTML page per run: KPI cards, conventions, the charts, the tables, provenance.

The page works offline when opened by double-click: plotly.js is embedded once in the page head and every chart
is a ``<div>`` drawn by it; no file or network access is needed. All user text (scenario name, phase names,
manifest values) is escaped.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

import tem
from tem import catalogue
from tem.assumptions.yearly import fy_label
from tem.exports.board import BoardSummary
from tem.exports.charts.figures import FIGURE_NAMES, all_figures
from tem.exports.charts.theme import fmt_number
from tem.exports.labels import overrides_text, run_caption
from tem.exports.report.gates import gates_html
from tem.exports.report.summary import CSS as SUMMARY_CSS
from tem.exports.report.summary import summary_html
from tem.exports.report.tables import esc, fy_table, provenance_html
from tem.finance import IRR_STATUS_SHORT
from tem.model.results import Result

STATEMENT_EMPHASIS = (
    "demand_total_gwh",
    "revenue_total",
    "cogs_total",
    "gross_margin",
    "ebitda",
    "ebit",
    "capex_total",
    "free_cash_flow",
    "cumulative_free_cash_flow",
    "dva_share",
)
UNIT_COST_EMPHASIS = tuple(
    f"{k}_{u}"
    for k in ("imported_cell_landed", "local_cell_variable", "local_cell_full", "pack_variable", "bought_in_pack_landed")
    for u in ("inr_per_kwh", "usd_per_kwh")
)
CHART_CAPTIONS = {
    "cash_flow": "Free cash flow by year and the cumulative cash position; the low point is the peak funding need.",
    "unit_cost_pack": "Variable cost of a pack made in India by component, against the landed price of a bought-in pack.",
    "unit_cost_cell": "Full cost of a local cell by component, against the landed imported cell.",
    "volumes_dva": "Where the cells come from, and the domestic value addition against the policy thresholds.",
    "capex_by_phase": "Capex spend of each phase by year.",
    "levelized_pack": "Levelized pack cost: each component's present value per present-value kWh.",
    "levelized_cell": "Levelized cell cost by component.",
}
PROGRAM = "Battery localization program"
CSS = """
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;margin:0;color:#222;background:#f6f7f9}
main{max-width:1280px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:28px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 10px;border-bottom:2px solid #0072B2;padding-bottom:4px}
.sub{color:#555;margin:0 0 18px}.muted{color:#777}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px}
.card{background:#fff;border:1px solid #dde1e6;border-left:5px solid #0072B2;border-radius:6px;padding:10px 14px}
.card h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#555;margin:0 0 6px}
.card .value{font-size:26px;font-weight:bold;font-variant-numeric:tabular-nums}.card .unit{font-size:14px;color:#444}
.card .note{font-size:12.5px;color:#555;margin-top:4px}
.card.bad{border-left-color:#D55E00}.card.good{border-left-color:#009E73}
.card.wide{grid-column:span 2}.card table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
.card table td,.card table th{padding:1px 10px 1px 0;text-align:right}
.conventions{background:#fff8e1;border:1px solid #e6c35c;border-radius:6px;padding:10px 16px;font-size:14px}
.conventions ul{margin:4px 0;padding-left:20px}
figure{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:0 0 16px;padding:8px}
figcaption{font-size:13px;color:#555;padding:4px 8px}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #dde1e6;border-radius:6px}
table.fy{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums;white-space:nowrap}
table.fy th,table.fy td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
table.fy thead th{position:sticky;top:0;background:#eef2f6}
table.fy th[scope=row]{text-align:left;position:sticky;left:0;background:#fff;font-weight:normal}
table.fy td.unit{text-align:left;color:#666}table.fy td.neg{color:#b03000}
table.fy tr.total th,table.fy tr.total td{font-weight:bold;border-top:1px solid #999}
table.kv,table.list{border-collapse:collapse;font-size:13.5px;background:#fff}
table.kv th,table.kv td,table.list th,table.list td{border:1px solid #dde1e6;padding:3px 8px;text-align:left;
vertical-align:top}
table.kv th{background:#f1f3f5;font-weight:normal;color:#333}code{font-size:12px;word-break:break-all}
footer{margin-top:40px;font-size:12px;color:#777}
.modified{background:#fdecea;border:1px solid #D55E00;border-radius:6px;padding:6px 12px;font-size:14px}
@page{size:A4 landscape;margin:10mm}
@media print{body{background:#fff}main{max-width:none;padding:0}.table-wrap{overflow:visible;border:0}
figure{break-inside:avoid;border:0}h2{break-after:avoid}.cards{grid-template-columns:repeat(4,1fr)}
.modebar,.modebar-container{display:none!important}
table.fy{font-size:7.5px;white-space:nowrap}table.fy th,table.fy td{padding:1px 2px}
table.fy thead th,table.fy th[scope=row]{position:static}table.fy thead{display:table-header-group}
tr{break-inside:avoid}}
"""


def _timeline(result: Result) -> tuple[float | None, bool]:
    """(discount rate, mid-year discounting?) as the engine used them."""
    arrays = result.outcome.inputs.arrays
    rate = arrays.get("timeline.discount_rate")
    mid = arrays.get("timeline.mid_year_discounting")
    return (None if rate is None else float(rate.reshape(-1)[0]), False if mid is None else bool(mid.reshape(-1)[0] > 0.5))


def _pct(x: float | None, decimals: int = 1) -> str:
    return "n/a" if x is None or not math.isfinite(x) else fmt_number(100.0 * x, decimals) + "%"


def _card(title: str, value: str, unit: str = "", note: str = "", tone: str = "", wide: bool = False) -> str:
    """A KPI card; ``value``, ``unit`` and ``note`` are HTML the caller has escaped or built from numbers."""
    cls = " ".join(c for c in ("card", tone, "wide" if wide else "") if c)
    return (
        f'<div class="{cls}"><h3>{esc(title)}</h3><div class="value">{value}</div>'
        f'<div class="unit">{unit}</div><div class="note">{note}</div></div>'
    )


def _fy(fy: int | None) -> str:
    return "none" if fy is None else fy_label(int(fy))


def _rate(x: float | None) -> str:
    """12.5% rather than 12.50%: a rate as typed, up to two decimals."""
    return "n/a" if x is None or not math.isfinite(x) else f"{100.0 * x:.2f}".rstrip("0").rstrip(".") + "%"


def _tone(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) else ("good" if x >= 0 else "bad")


def kpi_cards(result: Result) -> str:
    k = result.kpis
    rate, mid_year = _timeline(result)
    timing = "mid-year" if mid_year else "year-end"
    at = f"at {_rate(rate)}, {timing} flows"
    irr_note = f"MIRR {_pct(k.get('mirr'))}"
    if k.get("irr") is None:
        irr_note = esc(IRR_STATUS_SHORT.get(int(k.get("irr_status") or 0), "undefined")) + "; " + irr_note
    payback = k.get("payback_years")
    peak_fy = k.get("peak_funding_fy")
    crossover = k.get("crossover_fy")
    dva = k.get("dva_share_by_fy") or {}
    dva_rows = "".join(f"<tr><th>{esc(fy)}</th><td>{_pct(x)}</td></tr>" for fy, x in dva.items())
    def title(key: str) -> str:
        return catalogue.label(key)

    def value(key: str) -> str:
        return esc(catalogue.format_value(key, k.get(key)))

    def unit(key: str, extra: str = "") -> str:
        return esc(catalogue.unit(key) + (f", {extra}" if extra else ""))

    cards = [
        _card(title("npv_inr_cr"), value("npv_inr_cr"), unit("npv_inr_cr"), esc(at), _tone(k.get("npv_inr_cr"))),
        _card(title("irr"), value("irr"), "of free cash flow", irr_note, ""),
        _card(
            title("equity_irr"),
            value("equity_irr"),
            "of the equity cash flow (funded)",
            f"minimum DSCR {esc(catalogue.format_value('min_dscr', k.get('min_dscr')))} in {_fy(k.get('min_dscr_fy'))}; "
            f"peak equity need {fmt_number(k.get('peak_equity_inr_cr'))} INR crore in {_fy(k.get('peak_equity_fy'))}",
            "",
        ),
        _card(
            title("peak_funding_inr_cr"),
            value("peak_funding_inr_cr"),
            unit("peak_funding_inr_cr"),
            f"deepest cumulative cash in {_fy(peak_fy)}; payback "
            + ("never within the horizon" if payback is None else f"after {fmt_number(payback, 1)} years"),
        ),
        _card(
            title("total_capex_inr_cr"),
            value("total_capex_inr_cr"),
            unit("total_capex_inr_cr"),
            f"plus {fmt_number(k.get('maintenance_capex_inr_cr'))} maintenance capex",
        ),
        _card(
            title("levelized_pack_cost_inr_per_kwh"),
            value("levelized_pack_cost_inr_per_kwh"),
            unit("levelized_pack_cost_inr_per_kwh"),
            f"USD {fmt_number(k.get('levelized_pack_cost_usd_per_kwh'), 1)}/kWh; import-only "
            f"{fmt_number(k.get('levelized_pack_cost_import_only_inr_per_kwh'))} INR/kWh",
        ),
        _card(
            title("levelized_cell_cost_inr_per_kwh"),
            value("levelized_cell_cost_inr_per_kwh"),
            unit("levelized_cell_cost_inr_per_kwh"),
            f"USD {fmt_number(k.get('levelized_cell_cost_usd_per_kwh'), 1)}/kWh",
        ),
        _card(
            title("incremental_npv_vs_import_inr_cr"),
            value("incremental_npv_vs_import_inr_cr"),
            unit("incremental_npv_vs_import_inr_cr"),
            f"against import-only (NPV {fmt_number(k.get('npv_import_only_inr_cr'))})",
            _tone(k.get("incremental_npv_vs_import_inr_cr")),
        ),
        _card(
            title("crossover_fy"),
            value("crossover_fy"),
            "full cost at or below landed import",
            "never within the horizon" if crossover is None else "first such year",
        ),
        _card(
            title("cumulative_forex_saved_usd_m"),
            value("cumulative_forex_saved_usd_m"),
            unit("cumulative_forex_saved_usd_m"),
            "cumulative, against import-only",
        ),
        f'<div class="card"><h3>Domestic value addition</h3><div class="note">share of sales, ACC PLI basis</div>'
        f"<table>{dva_rows or '<tr><td>n/a</td></tr>'}</table></div>",
    ]
    return '<div class="cards">' + "".join(cards) + "</div>"


def _warnings(result: Result) -> str:
    """Findings beside the numbers (an inverted duty structure), or nothing."""
    if not result.warnings:
        return ""
    items = "".join(f"<li>{esc(w)}</li>" for w in result.warnings)
    return f'<h2 id="warnings">Warnings</h2>\n<ul class="warnings">{items}</ul>'


def conventions(result: Result) -> str:
    rate, mid_year = _timeline(result)
    first, last = result.fiscal_years[0], result.fiscal_years[-1]
    timing = (
        "mid-year discounting: flows of year t (t = 0 first) are discounted by (1 + r)^-(t + 0.5)"
        if mid_year
        else "end-of-year discounting: flows of year t (t = 0 first) are discounted by (1 + r)^-(t + 1)"
    )
    items = [
        "Money in <b>INR crore</b> (1 crore = 10<sup>7</sup> rupees); unit costs in INR/kWh and USD/kWh; "
        "volumes in GWh per year; nominal terms.",
        f"<b>FY = April-March</b>: FY26 runs April 2025 to March 2026. Horizon {esc(first)} to {esc(last)}.",
        f"Valuation at the start of {esc(first)}, {timing}; discount rate {_rate(rate)}.",
        "<b>Outflows are negative</b> in the statement (costs, tax, capex, increase in working capital); charts "
        "of capex show spend as positive.",
    ]
    return '<div class="conventions"><ul>' + "".join(f"<li>{i}</li>" for i in items) + "</ul></div>"


def _charts(result: Result, figures: Mapping[str, go.Figure] | None = None) -> str:
    figs = all_figures(result) if figures is None else figures
    parts = []
    for name in FIGURE_NAMES:
        div = pio.to_html(
            figs[name],
            include_plotlyjs=False,
            full_html=False,
            div_id=f"chart-{name}",
            default_height="600px",
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(f'<figure id="{name}">{div}<figcaption>{esc(CHART_CAPTIONS.get(name, ""))}</figcaption></figure>')
    return "".join(parts)


def _plotly_js() -> str:
    # An inline script ends at the first "</script"; the bundle has none today, and must never end the tag early.
    return plotly.offline.get_plotlyjs().replace("</script", "<\\/script")


def render_report(
    result: Result,
    manifest: Mapping[str, Any] | None = None,
    figures: Mapping[str, go.Figure] | None = None,
    summary: BoardSummary | None = None,
) -> bytes:
    """The report page as UTF-8 bytes (about 5 MB, almost all of it plotly.js).

    ``manifest`` (optional) is the run's provenance (assumption files and hashes, overrides, versions, git
    commit, time); every key present is shown in order, values escaped. Without it the page shows the
    assumption files, hashes and overrides the result records. ``figures``: the result's figures
    (:func:`tem.exports.charts.figures.all_figures`) when the caller already made them. ``summary``: the board
    summary (:func:`tem.analysis.summary.board_summary`), shown first when given.
    """
    name = esc(result.name)
    overrides = dict(result.meta.get("overrides", {}) or (manifest or {}).get("overrides", {}) or {})
    caption = esc(run_caption(result.name, overrides))
    modified = (
        f'<p class="modified">Modified run: {esc(overrides_text(overrides))} (set on the command line; the scenario '
        "file says otherwise).</p>"
        if overrides
        else ""
    )
    fallback = {
        "assumption files": [{"path": p, "sha256": h} for p, h in result.meta.get("sources", ())],
        "overrides": dict(result.meta.get("overrides", {})),
        "tem version": tem.__version__,
    }
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    fys = result.fiscal_years
    body = f"""<main>
<h1>{PROGRAM}: {caption}</h1>
<p class="sub">{PROGRAM}, {esc(fys[0])} to {esc(fys[-1])}. Scenario <b>{name}</b>.</p>
{modified}
{"" if summary is None else '<h2 id="decision">Decision summary</h2>' + summary_html(summary)}
<h2 id="kpis">Key results</h2>
{kpi_cards(result)}
{_warnings(result)}
{gates_html(result)}
<h2 id="conventions">Conventions</h2>
{conventions(result)}
<h2 id="charts">Charts</h2>
{_charts(result, figures)}
<h2 id="statement">Statement</h2>
{fy_table(result.statement, fys, STATEMENT_EMPHASIS, "statement")}
<h2 id="unit-costs">Unit costs</h2>
{fy_table(result.unit_costs, fys, UNIT_COST_EMPHASIS, "unit-costs")}
<h2 id="provenance">Provenance</h2>
{provenance_html(manifest, fallback)}
<footer>Made by tem {esc(tem.__version__)} on {esc(stamp)}. Open offline: everything this page needs is inside it.</footer>
</main>"""
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{PROGRAM}: {caption}</title>
<style>{CSS}{SUMMARY_CSS}</style>
<script type="text/javascript">{_plotly_js()}</script>
</head>
<body>
{body}
</body>
</html>
"""
    return page.encode("utf-8")

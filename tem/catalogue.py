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
from dataclasses import dataclass

__all__ = [
    "HEADLINE_KPIS",
    "KPIS",
    "STATEMENT_LINES",
    "Entry",
    "axis_title",
    "excel_format",
    "format_value",
    "kpi",
    "label",
    "line",
    "plotly_axis",
    "unit",
    "unknown_kpi",
]


@dataclass(frozen=True)
class Kind:
    unit: str
    python: str  # str.format pattern, or "fy" / "status"
    excel: str
    plotly: str
    suffix: str = ""  # unit text after a value in running text ("INR crore", "years"); "" for rates and FYs


KINDS: dict[str, Kind] = {
    "inr_cr": Kind("INR crore", "{:,.0f}", "#,##0;-#,##0", ",.0f", "INR crore"),
    "inr_kwh": Kind("INR/kWh", "{:,.0f}", "#,##0;-#,##0", ",.0f", "INR/kWh"),
    "usd_kwh": Kind("USD/kWh", "{:,.1f}", "#,##0.0;-#,##0.0", ",.1f", "USD/kWh"),
    "usd_m": Kind("USD million", "{:,.0f}", "#,##0;-#,##0", ",.0f", "USD million"),
    "gwh": Kind("GWh", "{:,.2f}", "#,##0.00", ",.2f", "GWh"),
    "rate": Kind("%", "{:.1%}", "0.0%", ".1%"),
    "years": Kind("years", "{:,.1f}", "0.0", ",.1f", "years"),
    "fy": Kind("FY", "fy", "0", "d"),
    "factor": Kind("factor", "{:,.3f}", "0.000", ",.3f"),
    "status": Kind("code", "status", "0", "d"),
    "inr_per_usd": Kind("INR per USD", "{:,.2f}", "#,##0.00", ",.2f", "INR per USD"),
    "times": Kind("x", "{:,.2f}x", '0.00"x"', ",.2f"),
}


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


def _entries(rows: list[tuple[str, str, str, str]]) -> dict[str, Entry]:
    return {key: Entry(key, lab, kind, definition) for key, lab, kind, definition in rows}


KPIS: dict[str, Entry] = _entries(
    [
        (
            "npv_inr_cr",
            "NPV",
            "inr_cr",
            "Sum of free cash flow x discount factor over the horizon (terminal value included)",
        ),
        (
            "npv_without_terminal_value_inr_cr",
            "NPV without terminal value",
            "inr_cr",
            "NPV if the programme stopped at the horizon (working capital released in the last year)",
        ),
        (
            "terminal_value_pv_inr_cr",
            "Terminal value (present value)",
            "inr_cr",
            "Terminal value x its discount factor (0 without a terminal value)",
        ),
        ("irr", "IRR", "rate", "Rate at which the NPV of free cash flow is zero (see README, finance contract)"),
        ("irr_status", "IRR status", "status", "0: IRR found; other codes say why there is none (README)"),
        ("mirr", "MIRR", "rate", "Modified IRR, discount rate as finance and reinvestment rate"),
        (
            "payback_years",
            "Payback",
            "years",
            "Years until cumulative FCF before terminal value turns non-negative for good",
        ),
        (
            "discounted_payback_years",
            "Discounted payback",
            "years",
            "Years until cumulative PV before terminal value turns non-negative for good",
        ),
        (
            "peak_funding_inr_cr",
            "Peak funding",
            "inr_cr",
            "-min(0, lowest cumulative free cash flow before terminal value)",
        ),
        ("peak_funding_fy", "Peak funding in", "fy", "The FY of the lowest cumulative FCF before terminal value"),
        ("total_capex_inr_cr", "Total capex (phases)", "inr_cr", "Phase spend at the prices of the years spent"),
        ("maintenance_capex_inr_cr", "Maintenance capex (total)", "inr_cr", "Sum of maintenance capex over the horizon"),
        ("replacement_capex_inr_cr", "Replacement capex (total)", "inr_cr", "Sum of replacement capex over the horizon"),
        (
            "state_subsidy_inr_cr",
            "State capital subsidy (total)",
            "inr_cr",
            "Sum of the state capital subsidy received over the horizon",
        ),
        ("levelized_pack_cost_inr_per_kwh", "Levelized pack cost", "inr_kwh", "PV(pack costs) / PV(pack kWh delivered)"),
        ("levelized_pack_cost_usd_per_kwh", "Levelized pack cost", "usd_kwh", "PV(pack costs in USD) / PV(kWh)"),
        ("levelized_cell_cost_inr_per_kwh", "Levelized cell cost", "inr_kwh", "PV(cell costs) / PV(cell kWh)"),
        ("levelized_cell_cost_usd_per_kwh", "Levelized cell cost", "usd_kwh", "PV(cell costs in USD) / PV(cell kWh)"),
        ("npv_import_only_inr_cr", "NPV of import-only", "inr_cr", "NPV of the import-only counterfactual"),
        ("incremental_npv_vs_import_inr_cr", "NPV vs import-only", "inr_cr", "NPV minus the import-only NPV"),
        (
            "levelized_pack_cost_import_only_inr_per_kwh",
            "Levelized pack cost, import-only",
            "inr_kwh",
            "Levelized pack cost of the import-only counterfactual",
        ),
        (
            "incremental_levelized_pack_cost_inr_per_kwh",
            "Pack cost vs import-only",
            "inr_kwh",
            "Levelized pack cost minus the import-only one",
        ),
        ("crossover_fy", "Local cells cheaper from (full cost)", "fy", "First FY from which local full cost < imported"),
        ("cumulative_forex_saved_usd_m", "Forex saved (cumulative)", "usd_m", "Import-only forex outflow minus ours"),
        ("forex_outflow_usd_m", "Forex outflow (total)", "usd_m", "Sum of yearly forex outflow"),
        (
            "forex_outflow_import_only_usd_m",
            "Forex outflow (total), import-only",
            "usd_m",
            "Sum of the import-only counterfactual's yearly forex outflow",
        ),
        ("revenue_inr_cr", "Revenue (total)", "inr_cr", "Sum of yearly revenue"),
        ("local_cells_gwh", "Local cells (total)", "gwh", "Sum of good local cells made"),
        ("committed_npv_inr_cr", "NPV, committed (every gate open)", "inr_cr", "NPV with every gate forced open"),
        (
            "value_of_flexibility_inr_cr",
            "Value of flexibility",
            "inr_cr",
            "Mean NPV with gates minus mean NPV committed (same draws)",
        ),
        ("equity_npv_inr_cr", "Equity NPV", "inr_cr", "Equity cash flow discounted at the cost of equity"),
        ("equity_irr", "Equity IRR", "rate", "Rate at which the NPV of the equity cash flow is zero"),
        ("equity_irr_status", "Equity IRR status", "status", "0: equity IRR found; other codes as for the IRR"),
        ("peak_equity_inr_cr", "Peak equity need", "inr_cr", "-min(0, lowest cumulative equity cash flow before TV)"),
        ("peak_equity_fy", "Peak equity need in", "fy", "The FY of the lowest cumulative equity cash flow"),
        ("min_dscr", "Minimum DSCR", "times", "Lowest CFADS / debt service over the years with debt service"),
        ("min_dscr_fy", "Minimum DSCR in", "fy", "The FY of the minimum DSCR"),
        ("avg_dscr", "Average DSCR", "times", "Mean of the yearly DSCR over the years with debt service"),
        ("llcr", "LLCR", "times", "PV(CFADS) / PV(debt service) over the loan life, at the loan rate"),
        ("term_debt_drawn_inr_cr", "Term debt drawn", "inr_cr", "Sum of term-loan drawdowns (debt share x capex)"),
        (
            "interest_during_construction_inr_cr",
            "Interest during construction",
            "inr_cr",
            "Term-loan interest of construction years, capitalised into the loan",
        ),
    ]
)

STATEMENT_LINES: dict[str, Entry] = _entries(
    [
        ("demand_total_gwh", "Demand: total", "gwh", "Sum of segment demand"),
        ("pack_capacity_gwh", "Pack capacity (ramped)", "gwh", "Commissioned pack capacity x utilization ramp"),
        ("pack_output_gwh", "Packs made in India", "gwh", "min(demand, pack capacity)"),
        ("bought_in_packs_gwh", "Packs bought in (imported)", "gwh", "Demand above pack capacity, when bought in"),
        ("unmet_demand_gwh", "Demand not met", "gwh", "Demand above pack capacity, when left unmet"),
        ("cells_required_gwh", "Cells required", "gwh", "Pack output / pack yield"),
        ("cell_nameplate_gwh", "Cell plant nameplate", "gwh", "Commissioned cell capacity"),
        ("local_cells_gwh", "Cells made in India (good)", "gwh", "Good local cells used"),
        ("imported_cells_gwh", "Cells imported", "gwh", "Cells required - local cells"),
        ("local_cell_share", "Local share of cells", "rate", "Local cells / cells required"),
        ("cell_yield", "Cell yield", "rate", "Good cells / cells started"),
        ("cell_plant_utilization", "Cell plant utilization", "rate", "Utilization ramp of the cell plants"),
        ("recycled_gwh", "Cells recycled", "gwh", "GWh processed by the recycling line"),
        ("revenue_total", "Revenue", "inr_cr", "Sum of segment revenue"),
        ("cogs_total", "Cost of goods", "inr_cr", "Sum of the cost-of-goods lines"),
        ("gross_margin", "Gross margin", "inr_cr", "Revenue - cost of goods"),
        ("fixed_opex", "Fixed opex of phases", "inr_cr", "Fixed opex of commissioned phases"),
        ("rnd", "R&D / centre of excellence", "inr_cr", "R&D share of revenue + centre spend"),
        ("sga", "SG&A", "inr_cr", "SG&A share of revenue"),
        ("warranty", "Warranty", "inr_cr", "Warranty share of revenue"),
        ("technology_fee", "Technology fee to partner", "inr_cr", "Yearly fee to the partner"),
        ("pli_incentive", "ACC PLI incentive", "inr_cr", "Rate x DVA factor x eligible GWh (README)"),
        ("ebitda", "EBITDA", "inr_cr", "Gross margin - opex + incentives"),
        ("book_depreciation", "Book depreciation", "inr_cr", "Straight line over book life"),
        ("ebit", "EBIT", "inr_cr", "EBITDA - book depreciation"),
        ("tax_depreciation", "Tax depreciation (memo)", "inr_cr", "Written-down value depreciation"),
        ("taxable_income_before_losses", "Taxable income before losses", "inr_cr", "EBITDA - tax depreciation"),
        ("losses_set_off", "Losses set off (memo)", "inr_cr", "Losses carried forward used this year"),
        ("losses_expired", "Business losses expired (memo)", "inr_cr", "Business losses whose last usable year ended"),
        (
            "business_loss_pool_end",
            "Business losses carried forward (memo)",
            "inr_cr",
            "Business losses still usable in a later year, at year end",
        ),
        (
            "unabsorbed_depreciation_pool_end",
            "Unabsorbed depreciation carried forward (memo)",
            "inr_cr",
            "Tax depreciation not yet absorbed by profits; no time limit",
        ),
        (
            "loss_pool_end",
            "Losses carried forward (memo)",
            "inr_cr",
            "Business losses still usable later + unabsorbed depreciation, at year end",
        ),
        (
            "tax",
            "Tax",
            "inr_cr",
            "Standalone: rate x taxable income after losses, never negative; within the parent: rate x taxable",
        ),
        ("maintenance_capex", "Maintenance capex", "inr_cr", "Rate x cumulative phase capex, escalated"),
        ("replacement_capex", "Replacement capex", "inr_cr", "Phases bought again at the end of their book life"),
        ("capex_total", "Capex total", "inr_cr", "Phase capex + maintenance capex + replacement capex"),
        ("capital_cost_index", "Capex price index", "factor", "Capex prices of the year relative to the base FY"),
        (
            "state_capital_subsidy",
            "State capital subsidy",
            "inr_cr",
            "Share of eligible capex paid in yearly instalments after commissioning (README)",
        ),
        (
            "state_subsidy_taxable",
            "State subsidy taxed when received (memo)",
            "inr_cr",
            "All of it (taxable), or the part above the asset's tax block (reduces_block)",
        ),
        ("working_capital", "Working capital (memo)", "inr_cr", "Receivables + inventory - payables"),
        ("change_in_working_capital", "Change in working capital", "inr_cr", "Minus the year's increase in working capital"),
        ("working_capital_release", "Working capital released", "inr_cr", "Release in the last year without terminal value"),
        ("terminal_value", "Terminal value", "inr_cr", "Value of the years after the horizon, in the last year (floored)"),
        (
            "normalised_free_cash_flow",
            "Normalised free cash flow (memo)",
            "inr_cr",
            "EBITDA - tax on it - maintenance capex - g/(1+g) x WC: the perpetuity's base",
        ),
        ("net_book_value", "Net book value of fixed assets (memo)", "inr_cr", "Assets put in service - book depreciation"),
        ("salvage_value", "Salvage value (memo)", "inr_cr", "Net book value + working capital: the terminal value's floor"),
        ("free_cash_flow", "Free cash flow", "inr_cr", "EBITDA - tax - capex - change in working capital (+ TV)"),
        (
            "free_cash_flow_before_terminal_value",
            "Free cash flow before terminal value",
            "inr_cr",
            "Free cash flow without the terminal value (the WC release included)",
        ),
        (
            "cumulative_free_cash_flow_before_terminal_value",
            "Cumulative FCF before terminal value",
            "inr_cr",
            "Running sum of FCF before terminal value: the basis of payback and peak funding",
        ),
        ("cumulative_free_cash_flow", "Cumulative free cash flow", "inr_cr", "Running sum of free cash flow"),
        ("discount_factor", "Discount factor", "factor", "(1 + r)^-(t + 1), or ^-(t + 0.5) mid-year"),
        (
            "terminal_value_discount_factor",
            "Discount factor, terminal value",
            "factor",
            "(1 + r)^-(t + 1); ^-(t + 0.5) for a perpetuity under mid-year discounting",
        ),
        (
            "present_value_before_terminal_value",
            "Present value before terminal value",
            "inr_cr",
            "FCF before terminal value x discount factor",
        ),
        (
            "cumulative_present_value_before_terminal_value",
            "Cumulative PV before terminal value",
            "inr_cr",
            "Running sum of PV before terminal value: the basis of discounted payback",
        ),
        (
            "present_value",
            "Present value",
            "inr_cr",
            "FCF before terminal value x discount factor + terminal value x its discount factor",
        ),
        ("cumulative_present_value", "Cumulative present value", "inr_cr", "Running sum of present value"),
        ("imported_content", "Imported content (landed)", "inr_cr", "Landed value of imported cells, materials and parts"),
        ("dva_share", "Domestic value addition (DVA)", "rate", "1 - imported content / revenue"),
        ("cell_dva_share", "DVA of local cells", "rate", "1 - imported content of local cells / their value"),
        ("forex_outflow_usd_m", "Forex outflow", "usd_m", "Imports paid in foreign currency"),
        ("inr_per_usd", "Exchange rate", "inr_per_usd", "INR per USD path"),
        (
            "pl_depreciation",
            "Depreciation (incl. capitalised borrowing costs)",
            "inr_cr",
            "Book depreciation + that of IDC and fees",
        ),
        ("pl_ebit", "EBIT (P&L)", "inr_cr", "EBITDA - depreciation (incl. capitalised borrowing costs)"),
        (
            "interest_expense",
            "Interest expense",
            "inr_cr",
            "Term interest after construction + working-capital loan interest",
        ),
        ("pbt", "Profit before tax", "inr_cr", "EBIT - interest expense"),
        ("pl_tax", "Tax (interest deducted)", "inr_cr", "Tax with interest and capitalised-cost depreciation deducted"),
        ("pat", "Profit after tax", "inr_cr", "PBT - tax"),
        ("term_debt_opening", "Term debt: opening", "inr_cr", "Closing balance of the year before"),
        ("term_debt_drawn", "Term debt: drawn", "inr_cr", "Debt share x capex spend"),
        (
            "interest_during_construction",
            "Term debt: interest capitalised (IDC)",
            "inr_cr",
            "Interest of construction years",
        ),
        ("term_debt_interest_paid", "Term debt: interest paid", "inr_cr", "Interest after construction"),
        ("term_debt_repaid", "Term debt: repaid (scheduled)", "inr_cr", "Equal principal or annuity principal"),
        ("term_debt_balloon", "Term debt: repaid at horizon end", "inr_cr", "Balance left in the last year"),
        ("term_debt_closing", "Term debt: closing", "inr_cr", "Opening + drawn + IDC - repaid"),
        ("upfront_fees", "Upfront fees (capitalised)", "inr_cr", "Fee rate x drawdown"),
        ("wc_loan_closing", "Working-capital loan: closing", "inr_cr", "Funded share x working capital; 0 in the last year"),
        ("wc_loan_interest", "Working-capital loan: interest", "inr_cr", "Rate x opening balance"),
        (
            "cfads",
            "Cash flow available for debt service",
            "inr_cr",
            "EBITDA - tax - maintenance capex - WC build net of its loan",
        ),
        ("debt_service", "Debt service (term)", "inr_cr", "Term interest paid + scheduled repayment"),
        ("dscr", "DSCR", "times", "CFADS / debt service"),
        ("equity_cash_flow", "Equity cash flow", "inr_cr", "FCF + tax saved by interest + debt drawn - debt service - fees"),
        ("cumulative_equity_cash_flow", "Cumulative equity cash flow", "inr_cr", "Running sum of equity cash flow"),
        (
            "equity_present_value",
            "Equity present value",
            "inr_cr",
            "Equity cash flow x discount factor at the cost of equity",
        ),
    ]
)

# the KPIs of `tem run`'s table and of the comparison table, in reading order
HEADLINE_KPIS = (
    "npv_inr_cr",
    "npv_without_terminal_value_inr_cr",
    "irr",
    "mirr",
    "payback_years",
    "discounted_payback_years",
    "peak_funding_inr_cr",
    "peak_funding_fy",
    "equity_irr",
    "min_dscr",
    "peak_equity_inr_cr",
    "total_capex_inr_cr",
    "levelized_pack_cost_inr_per_kwh",
    "levelized_pack_cost_usd_per_kwh",
    "levelized_cell_cost_inr_per_kwh",
    "levelized_cell_cost_usd_per_kwh",
    "incremental_npv_vs_import_inr_cr",
    "incremental_levelized_pack_cost_inr_per_kwh",
    "crossover_fy",
    "cumulative_forex_saved_usd_m",
)

SEGMENT_LABELS = {"captive": "captive vehicles", "external_oem": "external OEMs", "ess": "energy storage"}

# per segment: the price its rule sets, its variable cost and its contribution margin (README "Segments")
STATEMENT_LINES.update(
    _entries(
        [
            row
            for seg, name in SEGMENT_LABELS.items()
            for row in (
                (
                    f"price_{seg}_inr_per_kwh",
                    f"Selling price: {name}",
                    "inr_kwh",
                    "Set by the segment's price rule: path, import parity (landed imported pack x (1 + premium)) or "
                    "cost plus (own cost per kWh x (1 + markup))",
                ),
                (
                    f"variable_cost_{seg}",
                    f"Variable cost: {name}",
                    "inr_cr",
                    "Cells, non-cell parts, assembly and bought-in packs of the segment, less its share of the "
                    "recycling credit",
                ),
                (f"contribution_margin_{seg}", f"Contribution margin: {name}", "inr_cr", "Revenue - variable cost"),
            )
        ]
    )
)

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

_SUFFIX_KINDS = (
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


def _words(text: str) -> str:
    return SEGMENT_LABELS.get(text, text.replace("_", " "))


def kpi(key: str) -> Entry:
    """The entry of a KPI or statement line; keys made per segment, phase or FY (``dva_share_fy30``) and unknown keys
    get a label built from their words and a kind from their unit suffix (never the raw key)."""
    if key in KPIS:
        return KPIS[key]
    if key in STATEMENT_LINES:
        return STATEMENT_LINES[key]
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
    return f"unknown KPI {name!r}{hint} KPIs: {', '.join(sorted(keys))}"


def label(key: str) -> str:
    """The reader's name of a KPI or line, without its unit (``NPV``)."""
    return kpi(key).label


def unit(key: str) -> str:
    """The unit shown for a KPI or line (``INR crore``, ``%``, ``FY``)."""
    return kpi(key).unit


def axis_title(key: str) -> str:
    """Label with unit for an axis or column heading: ``NPV (INR crore)``, ``IRR (%)``; FYs without a unit."""
    e = kpi(key)
    if e.kind in ("fy", "status"):
        return e.label
    return f"{e.label} ({e.unit})"


def excel_format(key: str) -> str:
    """The Excel number format of a KPI or line."""
    return kpi(key).excel_format


def plotly_axis(key: str) -> dict[str, object]:
    """plotly axis settings for a KPI: title with unit and a tick format without SI prefixes (``-2,000``, not ``-2k``)."""
    e = kpi(key)
    return {"title": {"text": axis_title(key)}, "tickformat": KINDS[e.kind].plotly, "separatethousands": True}


def format_value(key: str, value: float | int | None, *, with_unit: bool = False) -> str:
    """A value as a reader sees it: ``-5,571`` (``-5,571 INR crore`` with ``with_unit``), ``12.3%``, ``FY31``;
    ``none`` for a missing value (None or NaN: no IRR, never pays back)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    e = kpi(key)
    k = KINDS[e.kind]
    if k.python == "fy":
        fy = int(value)
        return f"FY{fy % 100:02d}"
    if k.python == "status":
        return str(int(value))
    text = k.python.format(value)
    return f"{text} {k.suffix}" if with_unit and k.suffix else text

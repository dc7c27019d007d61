"""Calculations rows of the funded view (tem.model.funding): term loans, capitalised borrowing costs, the
working-capital loan, the P&L to PAT, tax with interest deducted, CFADS and DSCR, equity cash flow, sources
and uses [INR crore]. Same order as the engine: drawdowns follow capex; nothing refers to a row below it
except the previous column of a balance (opening = last year's closing)."""

from __future__ import annotations

import numpy as np

from tem.catalogue import phase_label
from tem.exports.workbook.calc import CalcSheet, first
from tem.exports.workbook.calc_tax import tax_rows
from tem.exports.workbook.gates import built
from tem.model.engine import Outcome
from tem.model.inputs import Inputs

TD = "funding.term_debt."
WCL = "funding.working_capital_loan."
# rows of one loan, in order; the closing row is referenced (previous column) by the opening row above it
LOAN_ROWS = ("draw", "end", "open", "int", "idc", "paid", "before", "n", "rep", "balloon", "close", "fee", "cap")
SUMMED = ("draw", "open", "int", "idc", "paid", "rep", "balloon", "close", "fee")


def _loan_rows(c: CalcSheet, k: str, label: str, draw: str, end: str, expect: dict[str, np.ndarray | None]) -> None:
    """The schedule of one loan ``k``: ``draw`` and ``end`` (construction end, a year index) are templates."""
    c.grid.rows[f"td_close_{k}"] = c.next_row + LOAN_ROWS.index("close")
    rate = f"{{in:{TD}interest_rate}}"
    first_rep = f"{{td_end_{k}}}+{{in:{TD}moratorium_years}}"
    before, n = f"{{td_before_{k}}}", f"{{td_n_{k}}}"
    rows = {
        "draw": ("drawn", draw),
        "end": ("construction ends (year index)", end),
        "open": ("opening", f"{{td_close_{k}:prev}}"),
        "int": ("interest on the opening balance", f"{rate}*{{td_open_{k}}}"),
        "idc": ("interest capitalised (construction)", f"IF({{t}}<{{td_end_{k}}},{{td_int_{k}}},0)"),
        "paid": ("interest paid", f"{{td_int_{k}}}-{{td_idc_{k}}}"),
        "before": ("balance before repayment", f"{{td_open_{k}}}+{{td_draw_{k}}}+{{td_idc_{k}}}"),
        "n": ("repayments left", f"MAX({first_rep}+{{in:{TD}tenor_years}}-{{t}},1)"),
        "rep": (
            "repaid (scheduled)",
            f'IF({{t}}>={first_rep},IF({n}=1,{before},IF(AND({{in:{TD}repayment}}="annuity",{rate}>0),'
            f"{before}*{rate}/((1+{rate})^{n}-1),{before}/{n})),0)",
        ),
        "balloon": ("repaid at the horizon end", f"({before}-{{td_rep_{k}}})*{{last_year}}"),
        "close": ("closing", f"{before}-{{td_rep_{k}}}-{{td_balloon_{k}}}"),
        "fee": ("upfront fee", f"{{in:{TD}upfront_fee_rate}}*{{td_draw_{k}}}"),
        "cap": (
            "borrowing costs put in service",
            f"IF({{t}}={{td_end_{k}}},SUM({{td_idc_{k}:upto}})+SUM({{td_fee_{k}:upto}}),"
            f"IF({{t}}>{{td_end_{k}}},{{td_idc_{k}}}+{{td_fee_{k}}},0))",
        ),
    }
    for key in LOAN_ROWS:
        text, template = rows[key]
        unit = "years" if key in ("end", "n") else "INR crore"
        c.row(f"td_{key}_{k}", f"Term loan {label}: {text}", unit, template, expect.get(key))


def funding_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    f = o.funding
    assert f is not None
    phases = inp.structure.phases
    c.section("Term debt [INR crore]: drawn with capex, interest on the opening balance, IDC capitalised")
    share = f"{{in:{TD}debt_share}}"
    first_fy = "{in:timeline.first_fy}"
    if "facility" in f.tranches:
        loans = ["facility"]
        starts = ",".join(
            f"IF({{in:capex.phases.{ph.name}.capex_inr_cr}}{built(c, ph.name)}>0,"
            f"{{in:capex.phases.{ph.name}.commissioning_fy}}-{first_fy},10000)"
            for ph in phases
        )
        terms = {"facility": ("facility", f"{share}*{{capex_spend}}", f"MIN({starts})")}
    else:
        loans = [ph.name for ph in phases]
        terms = {
            ph.name: (
                phase_label(ph.name),
                f"{share}*{{spend_{ph.name}}}",
                f"{{in:capex.phases.{ph.name}.commissioning_fy}}-{first_fy}",
            )
            for ph in phases
        }
    for k in loans:
        s = f.tranches[k]
        expect: dict[str, np.ndarray | None] = {
            "draw": first(s.drawdown),
            "open": first(s.opening),
            "idc": first(s.capitalised_interest),
            "paid": first(s.interest_paid),
            "rep": first(s.repaid),
            "balloon": first(s.balloon),
            "close": first(s.closing),
        }
        label, draw, end = terms[k]
        _loan_rows(c, k, label, draw, end, expect)
    totals = {
        "draw": ("Term debt drawn", f.term.drawdown),
        "open": ("Term debt: opening", f.term.opening),
        "int": ("Term debt: interest", f.term.interest),
        "idc": ("Term debt: interest capitalised (IDC)", f.term.capitalised_interest),
        "paid": ("Term debt: interest paid", f.term.interest_paid),
        "rep": ("Term debt: repaid (scheduled)", f.term.repaid),
        "balloon": ("Term debt: repaid at the horizon end", f.term.balloon),
        "close": ("Term debt: closing", f.term.closing),
        "fee": ("Upfront fees", f.upfront_fees),
    }
    for key in SUMMED:
        label, value = totals[key]
        c.row(f"td_{key}", label, "INR crore", "+".join(f"{{td_{key}_{k}}}" for k in loans), first(value), key == "close")

    c.section("Capitalised borrowing costs (IDC and fees) [INR crore]: depreciated with the phase's rates")
    # a phase a gate removes has no capex (workbook/gates.py: its built flag)
    total_capex = "+".join(f"{{in:capex.phases.{ph.name}.capex_inr_cr}}{built(c, ph.name)}" for ph in phases) or "0"
    for ph in phases:
        p = f"capex.phases.{ph.name}."
        rate = f"{{in:{p}tax_depreciation_rate}}"
        put = (
            f"IF(({total_capex})>0,{{in:{p}capex_inr_cr}}{built(c, ph.name)}/({total_capex}),0)*IF({{age_{ph.name}}}=0,"
            f"SUM({{td_idc_facility:upto}})+SUM({{td_fee_facility:upto}}),IF({{age_{ph.name}}}>0,{{td_idc_facility}}+{{td_fee_facility}},0))"
            if loans == ["facility"]
            else f"{{td_cap_{ph.name}}}"
        )
        in_service = first(f.capitalised_in_service[ph.name])
        c.row(f"cb_put_{ph.name}", f"Put in service: {phase_label(ph.name)}", "INR crore", put, in_service)
        c.row(
            f"cb_book_{ph.name}",
            f"Book depreciation: {phase_label(ph.name)}",
            "INR crore",
            f"SUMPRODUCT({{cb_put_{ph.name}:upto}},--({{t}}-{{t:upto}}<{{in:{p}book_life_years}}))"
            f"*(1-{{in:{p}residual_share}})/{{in:{p}book_life_years}}",
            None,
        )
        c.row(
            f"cb_tax_{ph.name}",
            f"Tax depreciation (WDV): {phase_label(ph.name)}",
            "INR crore",
            f"{rate}*SUMPRODUCT({{cb_put_{ph.name}:upto}},(1-{rate})^({{t}}-{{t:upto}}))"
            # half the rate on what entered in the commissioning year (as for the phase's capex, calc_costs)
            f"+{{in:{p}tax_half_rate_first_year}}/2*{rate}*SUMPRODUCT(({{age_{ph.name}:all}}=0)*{{cb_put_{ph.name}:all}})"
            f"*IF({{age_{ph.name}}}=0,-1,IF({{age_{ph.name}}}>0,{rate}*(1-{rate})^({{age_{ph.name}}}-1),0))",
            None,
        )
    for key, label, value in (
        ("book", "Book depreciation of capitalised borrowing costs", f.capitalised_book_depreciation),
        ("tax", "Tax depreciation of capitalised borrowing costs", f.capitalised_tax_depreciation),
    ):
        c.row(f"cb_{key}", label, "INR crore", "+".join(f"{{cb_{key}_{ph.name}}}" for ph in phases) or "0", first(value))

    c.section("Working-capital loan [INR crore]: a share of working capital, repaid in the last year")
    c.row(
        "wcl_target",
        "Working-capital loan before the horizon-end repayment",
        "INR crore",
        f"{{in:{WCL}funded_share}}*MAX({{wc}},0)",
        None,
    )
    c.row(
        "wcl_close",
        "Working-capital loan: closing",
        "INR crore",
        "IF({last_year}=1,0,{wcl_target})",
        first(f.wc_loan_closing),
    )
    c.row("wcl_open", "Working-capital loan: opening", "INR crore", "{wcl_close:prev}", first(f.wc_loan_opening))
    c.row(
        "wcl_int",
        "Working-capital loan: interest",
        "INR crore",
        f"{{in:{WCL}interest_rate}}*{{wcl_open}}",
        first(f.wc_loan_interest),
    )

    c.section("P&L to PAT [INR crore]")
    c.row(
        "pl_dep",
        "Depreciation (incl. capitalised borrowing costs)",
        "INR crore",
        "{book_dep}+{cb_book}",
        first(f.depreciation),
    )
    c.row("pl_ebit", "EBIT", "INR crore", "{ebitda}-{pl_dep}", first(f.ebit))
    c.row("interest", "Interest expense", "INR crore", "{td_paid}+{wcl_int}", first(f.interest_expense))
    c.row("pbt", "Profit before tax", "INR crore", "{pl_ebit}-{interest}", first(f.pbt))
    tax_rows(
        c,
        inp,
        o,
        prefix="lev_",
        pbd="{pbd}-{interest}",
        dep="({tax_dep}+{cb_tax})",
        result=f.tax,
        title="Tax with interest deducted [INR crore]: the tax rule with interest an expense and the capitalised "
        "borrowing costs' depreciation added to tax depreciation",
    )
    c.row("pat", "Profit after tax", "INR crore", "{pbt}-{lev_tax}", first(f.pat), True)

    c.section("Lenders and equity [INR crore]")
    c.row(
        "cfads",
        "Cash flow available for debt service",
        "INR crore",
        "{ebitda}-{lev_tax}-{capex_maint}-{d_wc}+({wcl_target}-{wcl_open})-{wcl_int}",
        first(f.cfads),
    )
    c.row(
        "ds",
        "Debt service (term interest paid + scheduled repayment)",
        "INR crore",
        "{td_paid}+{td_rep}",
        first(f.debt_service),
    )
    c.row("dscr", "DSCR", "x", 'IF({ds}>0,{cfads}/{ds},"")', first(f.dscr))
    ds_year = np.where(np.isfinite(first(f.dscr)), np.arange(inp.structure.n_years, dtype=float), np.nan)  # ds > 0
    c.row("ds_year", "Year index with debt service", "years", 'IF({ds}>0,{t},"")', ds_year)
    c.row(
        "ddf",
        "Discount factor at the term-loan rate",
        "factor",
        f"IF({{t}}=0,1,{{ddf:prev}})/(1+{{in:{TD}interest_rate}})",
        first(f.debt_discount_factor),
    )
    c.row(
        "eq_pre",
        "Equity cash flow before terminal value",
        "INR crore",
        "{fcf_before_tv}+(({tax}-{lev_tax})+({td_draw}-{td_fee}-{td_paid}-{td_rep}-{td_balloon}+({wcl_close}-{wcl_open})-{wcl_int}))",
        first(f.equity_flow_before_terminal),
    )
    c.row("eq", "Equity cash flow", "INR crore", "{eq_pre}+{terminal_value}", first(f.equity_flow), True)
    ke = "{in:funding.cost_of_equity}"
    c.row(
        "eq_df",
        "Discount factor at the cost of equity",
        "factor",
        f"(1+{ke})^-({{t}}+IF({{in:timeline.mid_year_discounting}}>0.5,0.5,1))",
        first(f.equity_discount_factor),
    )
    c.row(
        "eq_pv",
        "Equity present value",
        "INR crore",
        f"{{eq_pre}}*{{eq_df}}+{{terminal_value}}*(1+{ke})^-({{t}}+IF(AND({{in:timeline.mid_year_discounting}}>0.5,"
        '{in:valuation.terminal_value_method}="perpetuity"),0.5,1))',
        first(f.equity_present_value),
    )
    c.row("cum_eq", "Cumulative equity cash flow", "INR crore", "SUM({eq:upto})", np.cumsum(first(f.equity_flow)))
    c.row(
        "cum_eq_pre",
        "Cumulative equity cash flow before terminal value",
        "INR crore",
        "SUM({eq_pre:upto})",
        np.cumsum(first(f.equity_flow_before_terminal)),
    )

    c.section("Sources and uses of funds [INR crore]")
    sources = {
        "ebitda": ("Sources: EBITDA", "{ebitda}"),
        "state_capital_subsidy": ("Sources: state capital subsidy", "{subsidy}"),
        "term_debt_drawn": ("Sources: term debt drawn", "{td_draw}"),
        "interest_capitalised_into_debt": ("Sources: interest capitalised into the loan", "{td_idc}"),
        "wc_loan_drawn": ("Sources: working-capital loan drawn", "MAX({wcl_close}-{wcl_open},0)"),
        "working_capital_release": ("Sources: working capital released", "{wc_release}"),
        "terminal_value": ("Sources: terminal value", "{terminal_value}"),
        "equity_injected": ("Sources: equity injected", "MAX(-{eq},0)"),
    }
    uses = {
        "tax": ("Uses: tax", "{lev_tax}"),
        "capex": ("Uses: capex", "{capex_spend}"),
        "maintenance_capex": ("Uses: maintenance capex", "{capex_maint}"),
        "replacement_capex": ("Uses: replacement capex", "{capex_repl}"),
        "increase_in_working_capital": ("Uses: increase in working capital", "{d_wc}"),
        "interest_during_construction": ("Uses: interest during construction", "{td_idc}"),
        "upfront_fees": ("Uses: upfront fees", "{td_fee}"),
        "interest_paid": ("Uses: interest paid", "{interest}"),
        "term_debt_repaid": ("Uses: term debt repaid", "{td_rep}+{td_balloon}"),
        "wc_loan_repaid": ("Uses: working-capital loan repaid", "MAX({wcl_open}-{wcl_close},0)"),
        "equity_distributed": ("Uses: distributed to equity", "MAX({eq},0)"),
    }
    for side, table, values in (("src", sources, f.sources), ("use", uses, f.uses)):
        for key, (label, template) in table.items():
            c.row(f"{side}_{key}", label, "INR crore", template, first(values[key]))
    total_s = sum(f.sources.values(), start=np.zeros_like(f.equity_flow))
    total_u = sum(f.uses.values(), start=np.zeros_like(f.equity_flow))
    c.row("src_total", "Sources: total", "INR crore", "+".join(f"{{src_{k}}}" for k in sources), first(total_s))
    c.row("use_total", "Uses: total", "INR crore", "+".join(f"{{use_{k}}}" for k in uses), first(total_u))
    c.row("su_gap", "Sources - uses (0 by construction)", "INR crore", "{src_total}-{use_total}", 0.0)

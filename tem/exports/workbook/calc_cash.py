"""Calculations rows for operations, tax (loss set-off by vintage) and cash flow [INR crore] (see calc)."""

from __future__ import annotations

import numpy as np

from tem.exports.workbook.calc import CalcSheet, first
from tem.exports.workbook.calc_segments import K, contribution_rows, duty_check_rows, over, price_rows
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.kpis import local_cell_full_cost, pack_cost_parts
from tem.model.tax import TaxResult, set_off_by_vintage

LOCAL_PARTS = {
    "materials_imported": "loc_mat_imp",
    "materials_local": "loc_mat_loc",
    "labour": "loc_labour",
    "energy": "loc_energy",
    "overhead": "loc_overhead",
    "royalty": "loc_royalty",
}


def operation_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    ops, v = o.operations, o.volumes
    segs = inp.structure.segments
    duty_check_rows(c, inp, o)
    price_rows(c, inp, o)
    c.section("Revenue and costs [INR crore]")
    for s in segs:
        c.row(
            f"revenue_{s}", f"Revenue: {s}", "INR crore", f"{{met_{s}}}*{{price_{s}}}*{K}", first(ops.revenue_by_segment[s])
        )
    c.row(
        "revenue",
        "Revenue",
        "INR crore",
        "+".join(f"{{revenue_{s}}}" for s in segs),
        first(ops.revenue),
        True,
    )
    life = "{in:recycling.battery_life_years}"
    c.row(
        "returns",
        "End-of-life packs returned",
        "GWh",
        f"{{in:recycling.end_of_life_return_share}}*IF({{t}}>={life},INDEX({{delivered:all}},{{t}}-{life}+1),0)",
        None,
    )
    c.row(
        "recycled",
        "Cells recycled",
        "GWh",
        "MIN({recycling_capacity},{local_started}-{local_cells}+{returns})",
        first(ops.recycled_gwh),
    )
    parts = ops.cogs_parts
    c.row(
        "cogs_imported_cells",
        "Cost of goods: imported cells",
        "INR crore",
        over(segs, "imported", "imp_landed") + f"*{K}",
        first(parts["imported_cells"]),
    )
    for part, key in LOCAL_PARTS.items():
        c.row(
            f"cogs_{key}",
            f"Cost of goods: local cell {part.replace('_', ' ')}",
            "INR crore",
            f"{{local_cells}}*{{{key}}}*{K}",
            first(parts[f"local_cell_{part}"]),
        )
    c.row(
        "cogs_recycling_credit",
        "Cost of goods: recycling credit",
        "INR crore",
        f"-{{recycled}}*{{in:recycling.credit_usd_per_kwh}}*{{fx}}*{K}",
        first(parts["recycling_credit"]),
    )
    c.row(
        "cogs_non_cell_imp",
        "Cost of goods: non-cell imported",
        "INR crore",
        over(segs, "made", "non_cell_imp") + f"*{K}",
        first(parts["non_cell_imported"]),
    )
    c.row(
        "cogs_non_cell_loc",
        "Cost of goods: non-cell local",
        "INR crore",
        over(segs, "made", "non_cell_loc") + f"*{K}",
        first(parts["non_cell_local"]),
    )
    c.row(
        "cogs_assembly",
        "Cost of goods: assembly",
        "INR crore",
        f"{{pack_output}}*{{assembly}}*{K}",
        first(parts["assembly"]),
    )
    c.row(
        "cogs_bought_in",
        "Cost of goods: bought-in packs",
        "INR crore",
        over(segs, "bought", "pack_landed") + f"*{K}",
        first(parts["bought_in_packs"]),
    )
    cogs_keys = [
        "cogs_imported_cells",
        *(f"cogs_{k}" for k in LOCAL_PARTS.values()),
        "cogs_recycling_credit",
        "cogs_non_cell_imp",
        "cogs_non_cell_loc",
        "cogs_assembly",
        "cogs_bought_in",
    ]
    c.row("cogs", "Cost of goods", "INR crore", "+".join(f"{{{k}}}" for k in cogs_keys), first(ops.cogs), True)
    c.row(
        "purchases",
        "Purchases (working capital)",
        "INR crore",
        "{cogs_imported_cells}+{cogs_loc_mat_imp}+{cogs_loc_mat_loc}+{cogs_non_cell_imp}+{cogs_non_cell_loc}+{cogs_bought_in}",
        first(ops.purchases),
    )
    c.row("gross_margin", "Gross margin", "INR crore", "{revenue}-{cogs}", first(ops.gross_margin), True)
    contribution_rows(c, inp, o)
    c.row(
        "rnd",
        "R&D / centre of excellence",
        "INR crore",
        "{in:opex.rnd_inr_cr}+{in:opex.rnd_revenue_share}*{revenue}",
        first(ops.rnd),
    )
    c.row("sga", "SG&A", "INR crore", "{in:opex.sga_revenue_share}*{revenue}", first(ops.sga))
    c.row("warranty", "Warranty", "INR crore", "{in:opex.warranty_revenue_share}*{revenue}", first(ops.warranty))
    c.row(
        "tech_fee",
        "Technology fee",
        "INR crore",
        "{in:cells.local.technology_fee_usd_m}*{fx}/{c:usd_m_per_inr_cr_x_fx}",
        first(ops.technology_fee),
    )
    _pli_rows(c, inp, o)
    c.row(
        "ebitda",
        "EBITDA",
        "INR crore",
        "{gross_margin}-{fixed_opex}-{rnd}-{sga}-{warranty}-{tech_fee}+{pli}",
        first(ops.ebitda),
        True,
    )
    c.row(
        "imported_content",
        "Imported content (landed)",
        "INR crore",
        "{cogs_imported_cells}+{cell_imported}+{cogs_non_cell_imp}+{cogs_bought_in}+{tech_fee}",
        first(ops.imported_content),
    )
    c.row(
        "dva",
        "Domestic value addition (DVA)",
        "fraction",
        "IF({revenue}>0,1-{imported_content}/{revenue},NA())",
        first(ops.dva_share),
        True,
    )
    fr = "{in:cells.imported.freight_and_insurance_rate}"
    mat_cif = "+".join(
        f"(1-{{in:cells.local.materials.{g}.local_share}})*{{in:cells.local.materials.{g}.world_price_usd_per_kwh}}"
        for g in inp.structure.materials
    )
    c.row(
        "forex",
        "Forex outflow",
        "USD million",
        over(segs, "imported", "cell_fob_usd")
        + f"*(1+{fr})+{{local_cells}}*(({mat_cif})*(1+{fr})/{{cell_yield}}+{{in:cells.local.royalty_usd_per_kwh}})+("
        + "+".join(
            f"{{made_{s}}}*(1-{{in:pack.non_cell_local_share}})*{{in:{inp.structure.products[s].bom}}}*(1+{fr})"
            for s in segs
        )
        + ")+"
        + over(segs, "bought", "pack_fob_usd")
        + f"*(1+{fr})+{{in:cells.local.technology_fee_usd_m}}"
        "+{capex_abroad}*{c:usd_m_per_inr_cr_x_fx}/{fx}",
        first(ops.forex_outflow_usd_m),
        True,
    )
    del v


def _pli_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    p = "{in:cells.local.pli."
    segs = inp.structure.segments
    c.row(
        "cell_value",
        "Local cells at the landed price of the cells they replace",
        "INR crore",
        over(segs, "local", "imp_landed") + f"*{K}",
        None,
    )
    c.row("cell_imported", "Imported content of local cells", "INR crore", "{cogs_loc_mat_imp}+{cogs_loc_royalty}", None)
    c.row(
        "cell_dva",
        "DVA of local cells",
        "fraction",
        "IF({cell_value}>0,1-{cell_imported}/{cell_value},0)",
        first(o.operations.cell_dva_share),
    )
    c.row("pli_year", "Years since the PLI start", "years", f"{{fy}}-{p}start_fy}}", None)
    c.row(
        "pli_threshold",
        "DVA needed for the PLI",
        "fraction",
        f"IF({{pli_year}}>={p}second_dva_threshold_after_years}},{p}second_dva_threshold_share}},"
        f"IF({{pli_year}}>={p}first_dva_threshold_after_years}},{p}first_dva_threshold_share}},0))",
        None,
    )
    c.row(
        "pli_eligible",
        "PLI eligible",
        "factor",
        f"IF(AND({p}enabled}}>0.5,{{pli_year}}>=0,{{pli_year}}<{p}term_years}},{{cell_dva}}>={{pli_threshold}},{{local_cells}}>0),1,0)",
        None,
    )
    c.row(
        "pli_capped",
        "PLI before the cumulative cap",
        "INR crore",
        f"MIN({{local_cells}}*{p}rate_inr_per_kwh}}*{K}*MIN(MAX({{cell_dva}},0),1)*{{pli_eligible}},{p}revenue_cap_share}}*{{cell_value}})",
        None,
    )
    if "cells.local.pli.total_cap_inr_cr" in c.grid.inputs:
        cap = f"{p}total_cap_inr_cr}}"
        tmpl = f"MIN(SUM({{pli_capped:upto}}),{cap})-MIN(SUM({{pli_capped:upto}})-{{pli_capped}},{cap})"
    else:
        tmpl = "{pli_capped}"
    c.row("pli", "ACC PLI incentive", "INR crore", tmpl, first(o.operations.pli_incentive))


def tax_rows(
    c: CalcSheet,
    inp: Inputs,
    o: Outcome,
    prefix: str = "",
    pbd: str = "{ebitda}+{sub_taxable}",
    dep: str = "{tax_dep}",
    result: TaxResult | None = None,
    title: str = "Tax [INR crore]: business losses set off oldest first, each usable for N years; "
    "then unabsorbed depreciation",
) -> None:
    """The tax rows on profit before depreciation ``pbd`` and tax depreciation ``dep`` (formula templates);
    ``prefix`` names a second set of rows (the funded view's tax: interest and the depreciation of capitalised
    borrowing costs deducted), whose engine result is ``result``."""
    tx = o.tax if result is None else result
    p = prefix
    c.section(title)
    c.row(f"{p}pbd", "Profit before depreciation, for tax", "INR crore", pbd, None)
    c.row(f"{p}taxable", "Taxable income before losses", "INR crore", f"{{{p}pbd}}-{dep}", first(tx.taxable_before_losses))
    c.row(f"{p}profit", "Taxable profit", "INR crore", f"MAX({{{p}taxable}},0)", None)
    standalone = '{in:tax.structure}="standalone"'
    c.row(f"{p}loss", "Business loss", "INR crore", f"IF({standalone},MAX(-{{{p}pbd}},0),0)", first(tx.business_loss))
    c.row(
        f"{p}unabsorbed",
        "Unabsorbed depreciation",
        "INR crore",
        f"IF({standalone},{dep}-MIN(MAX({{{p}pbd}},0),{dep}),0)",
        first(tx.unabsorbed_depreciation),
    )
    n = inp.structure.n_years
    takes = set_off_by_vintage(
        first(tx.business_loss),
        first(np.maximum(tx.taxable_before_losses, 0.0)),
        int(first(inp["tax.loss_carry_forward_years"])[0]),
    )
    carry = "{in:tax.loss_carry_forward_years}"
    older: list[str] = []
    for v in range(n):
        r = c.next_row
        c.grid.rows[f"{p}cumtake_{v}"] = r + 1  # the running total sits just below
        c.ws.cell(r, 5, v)  # the vintage's year index, referenced by the formula
        vin = f"$E${r}"
        older_sum = "+".join(older) if older else "0"
        c.row(
            f"{p}take_{v}",
            f"Business loss of year {v} set off",
            "INR crore",
            f"IF(AND({{t}}>{vin},{{t}}-{vin}<={carry}),MIN(INDEX({{{p}loss:all}},{vin}+1)-{{{p}cumtake_{v}:prev}},"
            f"MAX(0,{{{p}profit}}-({older_sum}))),0)",
            takes[v],
        )
        c.row(
            f"{p}cumtake_{v}",
            f"Business loss of year {v} set off so far",
            "INR crore",
            f"{{{p}cumtake_{v}:prev}}+{{{p}take_{v}}}",
            np.cumsum(takes[v]),
        )
        older.append(f"{{{p}take_{v}}}")
    c.row(f"{p}bl_used", "Business losses set off", "INR crore", "+".join(older), first(tx.business_losses_used))
    c.grid.rows[f"{p}ud_pool"] = c.next_row + 1  # the corkscrew below, referenced a year back
    c.row(
        f"{p}ud_used",
        "Unabsorbed depreciation set off",
        "INR crore",
        f"MIN(0+{{{p}ud_pool:prev}},{{{p}profit}}-{{{p}bl_used}})",  # 0+: MIN skips the blank before the first year
        first(tx.unabsorbed_depreciation_used),
    )
    c.row(
        f"{p}ud_pool",
        "Unabsorbed depreciation carried forward",
        "INR crore",
        f"{{{p}ud_pool:prev}}-{{{p}ud_used}}+{{{p}unabsorbed}}",
        first(tx.unabsorbed_depreciation_pool_end),
    )
    c.row(f"{p}losses_used", "Losses set off", "INR crore", f"{{{p}bl_used}}+{{{p}ud_used}}", first(tx.losses_used))
    c.row(
        f"{p}tax",
        "Tax (negative within the parent: a saving)",
        "INR crore",
        f"IF({standalone},{{in:tax.corporate_rate}}*MAX({{{p}profit}}-{{{p}losses_used}},0),"
        f"{{in:tax.corporate_rate}}*{{{p}taxable}})",
        first(tx.tax),
        True,
    )


def cash_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    cash, v = o.cash, o.volumes
    c.section("Cash flow and value [INR crore]")
    days = "{c:days_per_year}"
    c.row(
        "wc",
        "Working capital",
        "INR crore",
        f"{{in:working_capital.receivable_days}}/{days}*{{revenue}}+{{in:working_capital.inventory_days}}/{days}*{{cogs}}"
        f"-{{in:working_capital.payable_days}}/{days}*{{purchases}}",
        first(cash.working_capital),
    )
    c.row("d_wc", "Increase in working capital", "INR crore", "{wc}-{wc:prev}", first(cash.change_in_working_capital))
    c.row("last_year", "Last year of the horizon", "factor", "IF({t}=MAX({t:all}),1,0)", None)
    method = "{in:valuation.terminal_value_method}"
    c.row(
        "wc_release",
        "Working capital released",
        "INR crore",
        f'IF({method}="none",{{wc}}*{{last_year}},0)',
        first(cash.working_capital_release),
    )
    c.row(
        "fcf_pre",
        "Free cash flow before WC release and terminal value",
        "INR crore",
        "{ebitda}-{tax}-{capex_spend}-{capex_maint}-{capex_repl}+{subsidy}-{d_wc}",
        None,
    )
    r = "{in:timeline.discount_rate}"
    g = "{in:valuation.terminal_growth_rate}"
    rate = "{in:tax.corporate_rate}"
    c.row(
        "norm_fcf",
        "Normalised free cash flow (perpetuity base)",
        "INR crore",
        f'{{ebitda}}-IF({{in:tax.structure}}="within_parent",{rate}*({{ebitda}}-{{tax_dep}}),{rate}*MAX({{ebitda}}-{{tax_dep}},0))'
        f"-{{capex_maint}}-{{capex_repl_annual}}-{g}/(1+{g})*{{wc}}",
        first(cash.normalised_free_cash_flow),
    )
    c.row("salvage", "Salvage value (net book value + WC)", "INR crore", "{nbv}+{wc}", first(cash.salvage_value))
    c.row(
        "tv_raw",
        "Terminal value before its floor",
        "INR crore",
        f'IF({method}="perpetuity",{{norm_fcf}}*(1+{g})/({r}-{g}),IF({method}="ebitda_multiple",'
        "{ebitda}*{in:valuation.terminal_ebitda_multiple},0))",
        None,
    )
    floor = "{in:valuation.terminal_value_floor}"
    c.row(
        "terminal_value",
        "Terminal value",
        "INR crore",
        f'IF({method}="none",0,IF({floor}="zero",MAX({{tv_raw}},0),IF({floor}="salvage",MAX({{tv_raw}},{{salvage}}),'
        "{tv_raw})))*{last_year}",
        first(cash.terminal_value),
    )
    c.row(
        "fcf_before_tv",
        "Free cash flow before terminal value",
        "INR crore",
        "{fcf_pre}+{wc_release}",
        first(cash.free_cash_flow_before_terminal),
    )
    c.row("fcf", "Free cash flow", "INR crore", "{fcf_before_tv}+{terminal_value}", first(cash.free_cash_flow), True)
    c.row(
        "df",
        "Discount factor",
        "factor",
        f"(1+{r})^-({{t}}+IF({{in:timeline.mid_year_discounting}}>0.5,0.5,1))",
        first(cash.discount_factor),
    )
    c.row(
        "df_tv",
        "Discount factor, terminal value",
        "factor",
        f'(1+{r})^-({{t}}+IF(AND({{in:timeline.mid_year_discounting}}>0.5,{method}="perpetuity"),0.5,1))',
        first(cash.terminal_value_discount_factor),
    )
    c.row(
        "pv_before_tv",
        "Present value before terminal value",
        "INR crore",
        "{fcf_before_tv}*{df}",
        first(cash.present_value_before_terminal),
    )
    c.row("pv", "Present value", "INR crore", "{pv_before_tv}+{terminal_value}*{df_tv}", first(cash.present_value), True)
    c.row("cum_fcf", "Cumulative free cash flow", "INR crore", "SUM({fcf:upto})", np.cumsum(first(cash.free_cash_flow)))
    c.row(
        "cum_fcf_pre",
        "Cumulative FCF before terminal value",
        "INR crore",
        "SUM({fcf_before_tv:upto})",
        np.cumsum(first(cash.free_cash_flow_before_terminal)),
    )
    c.row("cum_pv", "Cumulative present value", "INR crore", "SUM({pv:upto})", np.cumsum(first(cash.present_value)))
    c.row(
        "cum_pv_pre",
        "Cumulative PV before terminal value",
        "INR crore",
        "SUM({pv_before_tv:upto})",
        np.cumsum(first(cash.present_value_before_terminal)),
    )
    c.row("neg_fcf_year", "Year index while cumulative FCF < 0", "years", "IF({cum_fcf_pre}<0,{t},-1)", None)
    c.row("neg_pv_year", "Year index while cumulative PV < 0", "years", "IF({cum_pv_pre}<0,{t},-1)", None)
    c.section("Levelized cost inputs")
    pack = pack_cost_parts(o.operations, o.capex)
    c.row(
        "pack_costs",
        "Pre-tax costs of packs delivered",
        "INR crore",
        "{cogs}+{fixed_opex}+{rnd}+{sga}+{warranty}+{tech_fee}+{capex_spend}+{capex_maint}+{capex_repl}",
        first(np.sum(list(pack.values()), axis=0)),
    )
    c.row(
        "pack_costs_usd",
        "Pre-tax costs of packs delivered, USD",
        "USD million",
        "{pack_costs}/{fx}*{c:usd_m_per_inr_cr_x_fx}",
        None,
    )
    c.row(
        "cell_costs",
        "Cell costs",
        "INR crore",
        "{cogs_imported_cells}+"
        + "+".join(f"{{cogs_{k}}}" for k in LOCAL_PARTS.values())
        + "+{cogs_recycling_credit}+{cell_capex}+{cell_fixed}+{tech_fee}",
        None,
    )
    c.row("cell_costs_usd", "Cell costs, USD", "USD million", "{cell_costs}/{fx}*{c:usd_m_per_inr_cr_x_fx}", None)
    c.row(
        "cells_used", "Cells used", "GWh", "{local_cells}+{imported_cells}", first(v.local_cells_gwh + v.imported_cells_gwh)
    )
    full = first(np.broadcast_to(local_cell_full_cost(v, o.unit_costs, o.capex, o.operations), (1, inp.structure.n_years)))
    c.row(
        "local_full",
        "Local cell, full cost",
        "INR/kWh",
        "IF({local_cells}>0,{local_cell}+({cell_fixed}+{cell_book}+{cogs_recycling_credit})/{local_cells}*{c:inr_per_kwh_per_inr_cr_gwh},NA())",
        full,
    )
    local_cogs = "+".join(f"{{cogs_{k}}}" for k in LOCAL_PARTS.values())
    c.row(
        "pack_cells",
        "Pack: cells per kWh of packs made",
        "INR/kWh",
        f"IF({{pack_output}}>0,({{cogs_imported_cells}}+{local_cogs})/{{pack_output}}*{{c:inr_per_kwh_per_inr_cr_gwh}},NA())",
        None,
    )
    c.row(
        "crossover_flag",
        "FY when a local cell costs no more than an imported one",
        "FY",
        'IF({local_cells}>0,IF({local_full}<={replaced_landed},{fy},""),"")',
        None,
    )

"""Calculations rows for operations, tax (loss set-off by vintage) and cash flow [INR crore] (see calc)."""

from __future__ import annotations

import numpy as np

from tem.catalogue import segment_label
from tem.exports.workbook.calc import CalcSheet, first
from tem.exports.workbook.calc_levelized import LOCAL_PARTS, levelized_rows
from tem.exports.workbook.calc_segments import K, contribution_rows, duty_check_rows, over, price_rows
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.kpis import replaced_cell_landed
from tem.model.operations import lag_years
from tem.units import INR_CR_PER_GWH_X_INR_PER_KWH as KV


def operation_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    ops, v = o.operations, o.volumes
    segs = inp.structure.segments
    duty_check_rows(c, inp, o)
    price_rows(c, inp, o)
    c.section("Revenue and costs [INR crore]")
    for s in segs:
        c.row(
            f"revenue_{s}",
            f"Revenue: {segment_label(s)}",
            "INR crore",
            f"{{met_{s}}}*{{price_{s}}}*{K}",
            first(ops.revenue_by_segment[s]),
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
        first(inp["recycling.end_of_life_return_share"] * lag_years(v.delivered_gwh, inp["recycling.battery_life_years"])),
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
        'IF({revenue}>0,1-{imported_content}/{revenue},"")',
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


def _pli_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    p = "{in:cells.local.pli."
    ops, local = o.operations, first(o.volumes.local_cells_gwh)
    segs = inp.structure.segments
    cell_value = local * first(replaced_cell_landed(o.volumes, o.unit_costs)) * KV
    c.row(
        "cell_value",
        "Local cells at the landed price of the cells they replace",
        "INR crore",
        over(segs, "local", "imp_landed") + f"*{K}",
        cell_value,
    )
    c.row(
        "cell_imported",
        "Imported content of local cells",
        "INR crore",
        "{cogs_loc_mat_imp}+{cogs_loc_royalty}",
        first(ops.cogs_parts["local_cell_materials_imported"] + ops.cogs_parts["local_cell_royalty"]),
    )
    q = "cells.local.pli."
    pli_year = first(inp.fiscal_years[None, :].astype(float)) - first(inp[q + "start_fy"])
    threshold = np.where(
        pli_year >= first(inp[q + "second_dva_threshold_after_years"]),
        first(inp[q + "second_dva_threshold_share"]),
        np.where(
            pli_year >= first(inp[q + "first_dva_threshold_after_years"]), first(inp[q + "first_dva_threshold_share"]), 0.0
        ),
    )
    cell_dva = first(ops.cell_dva_share)
    eligible = (
        (first(inp[q + "enabled"]) > 0.5)
        & (pli_year >= 0)
        & (pli_year < first(inp[q + "term_years"]))
        & (cell_dva >= threshold)
        & (local > 0)
    ).astype(float)
    capped = np.minimum(
        local * first(inp[q + "rate_inr_per_kwh"]) * KV * np.clip(cell_dva, 0.0, 1.0) * eligible,
        first(inp[q + "revenue_cap_share"]) * cell_value,
    )
    c.row(
        "cell_dva",
        "DVA of local cells",
        "fraction",
        "IF({cell_value}>0,1-{cell_imported}/{cell_value},0)",
        first(o.operations.cell_dva_share),
    )
    c.row("pli_year", "Years since the PLI start", "years", f"{{fy}}-{p}start_fy}}", pli_year)
    c.row(
        "pli_threshold",
        "DVA needed for the PLI",
        "fraction",
        f"IF({{pli_year}}>={p}second_dva_threshold_after_years}},{p}second_dva_threshold_share}},"
        f"IF({{pli_year}}>={p}first_dva_threshold_after_years}},{p}first_dva_threshold_share}},0))",
        threshold,
    )
    c.row(
        "pli_eligible",
        "PLI eligible",
        "factor",
        f"IF(AND({p}enabled}}>0.5,{{pli_year}}>=0,{{pli_year}}<{p}term_years}},{{cell_dva}}>={{pli_threshold}},{{local_cells}}>0),1,0)",
        eligible,
    )
    c.row(
        "pli_capped",
        "PLI before the cumulative cap",
        "INR crore",
        f"MIN({{local_cells}}*{p}rate_inr_per_kwh}}*{K}*MIN(MAX({{cell_dva}},0),1)*{{pli_eligible}},{p}revenue_cap_share}}*{{cell_value}})",
        capped,
    )
    if "cells.local.pli.total_cap_inr_cr" in c.grid.inputs:
        cap = f"{p}total_cap_inr_cr}}"
        tmpl = f"MIN(SUM({{pli_capped:upto}}),{cap})-MIN(SUM({{pli_capped:upto}})-{{pli_capped}},{cap})"
    else:
        tmpl = "{pli_capped}"
    c.row("pli", "ACC PLI incentive", "INR crore", tmpl, first(o.operations.pli_incentive))


def cash_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    cash = o.cash
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
    n = inp.structure.n_years
    last_year = (np.arange(n) == n - 1).astype(float)
    c.row("last_year", "Last year of the horizon", "factor", "IF({t}=MAX({t:all}),1,0)", last_year)
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
        first(cash.free_cash_flow_before_terminal) - first(cash.working_capital_release),
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
    t = np.arange(n, dtype=float)
    neg_fcf = np.where(np.cumsum(first(cash.free_cash_flow_before_terminal)) < 0, t, -1.0)
    neg_pv = np.where(np.cumsum(first(cash.present_value_before_terminal)) < 0, t, -1.0)
    c.row("neg_fcf_year", "Year index while cumulative FCF < 0", "years", "IF({cum_fcf_pre}<0,{t},-1)", neg_fcf)
    c.row("neg_pv_year", "Year index while cumulative PV < 0", "years", "IF({cum_pv_pre}<0,{t},-1)", neg_pv)
    levelized_rows(c, inp, o)

"""Calculations rows for unit costs [INR/kWh] and capex phases [INR crore] (see calc)."""

from __future__ import annotations

import numpy as np

from tem.catalogue import material_label, phase_label, phase_title, segment_label
from tem.exports.workbook.calc import CalcSheet, first
from tem.exports.workbook.calc_capital import subsidy_and_tax_depreciation_rows
from tem.exports.workbook.gates import built, kept
from tem.model.capex import straight_line
from tem.model.engine import Outcome
from tem.model.inputs import Inputs

IMPORTED = "cells.imported."
LOCAL = "cells.local."


def unit_cost_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    uc = o.unit_costs
    c.section("Unit costs [INR/kWh]")
    c.row("fx", "Exchange rate", "INR per USD", "{in:timeline.inr_per_usd}", first(uc.inr_per_usd))
    if inp.structure.fob_by_learning_curve:
        lc = IMPORTED + "fob_learning_curve."
        fob = (
            f"MAX({{in:{lc}floor_usd_per_kwh}},{{in:{lc}start_usd_per_kwh}}*((1+{{in:{lc}cumulative_growth_rate}})^{{t}})"
            f"^LOG(1-{{in:{lc}learning_rate}},2))"
        )
    else:
        fob = f"{{in:{IMPORTED}fob_price_usd_per_kwh}}"
    c.row("fob_usd", "Imported cell FOB (reference)", "USD/kWh", fob, first(uc.fob_usd_per_kwh))
    segs = inp.structure.segments
    fr, sws = f"{{in:{IMPORTED}freight_and_insurance_rate}}", f"{{in:{IMPORTED}social_welfare_surcharge_rate}}"
    logistics = f"{{in:{IMPORTED}logistics_inr_per_kwh}}"
    c.row(
        "made_sum",
        "Packs made in India (sum of segments)",
        "GWh",
        "+".join(f"{{made_{s}}}" for s in segs),
        first(sum((o.volumes.pack_output_by_segment[s] for s in segs), start=np.zeros((1, 1)))),
    )
    for s in segs:
        c.row(
            f"w_{s}",
            f"Weight in the imported mix: {segment_label(s)}",
            "fraction",
            f"IF({{made_sum}}>0,{{made_{s}}}/{{made_sum}},IF({{demand_total}}>0,{{demand_{s}}}/{{demand_total}},1/{len(segs)}))",
            first(uc.segment_weight[s]),
        )
    for s in segs:
        pr = inp.structure.products[s]
        if pr.cell_fob is not None:
            seg_fob = f"{{in:{pr.cell_fob}}}"
        elif pr.cell_fob_factor is not None:
            seg_fob = f"{{fob_usd}}*{{in:{pr.cell_fob_factor}}}"
        else:
            seg_fob = "{fob_usd}"
        sp = uc.imported_cell_parts_by_segment[s]
        c.row(
            f"cell_fob_usd_{s}",
            f"Imported cell FOB: {segment_label(s)}",
            "USD/kWh",
            seg_fob,
            first(uc.cell_fob_usd_by_segment[s]),
        )
        c.row(
            f"imp_fob_{s}",
            f"Imported cell: FOB: {segment_label(s)}",
            "INR/kWh",
            f"{{cell_fob_usd_{s}}}*{{fx}}",
            first(sp["fob"]),
        )
        c.row(
            f"imp_freight_{s}",
            f"Imported cell: freight: {segment_label(s)}",
            "INR/kWh",
            f"{{imp_fob_{s}}}*{fr}",
            first(sp["freight_insurance"]),
        )
        c.row(
            f"imp_duty_{s}",
            f"Imported cell: customs duty (on CIF): {segment_label(s)}",
            "INR/kWh",
            f"({{imp_fob_{s}}}+{{imp_freight_{s}}})*{{in:{pr.cell_bcd}}}",
            first(sp["customs_duty"]),
        )
        c.row(
            f"imp_sws_{s}",
            f"Imported cell: SWS: {segment_label(s)}",
            "INR/kWh",
            f"{{imp_duty_{s}}}*{sws}",
            first(sp["social_welfare_surcharge"]),
        )
        c.row(
            f"imp_landed_{s}",
            f"Imported cell, landed: {segment_label(s)}",
            "INR/kWh",
            f"{{imp_fob_{s}}}+{{imp_freight_{s}}}+{{imp_duty_{s}}}+{{imp_sws_{s}}}+{logistics}",
            first(uc.imported_cell_by_segment[s]),
        )

    def mix(key: str) -> str:
        return "+".join(f"{{w_{s}}}*{{{key}_{s}}}" for s in segs)

    parts = uc.imported_cell_parts
    c.row("imp_fob", "Imported cell: FOB (mix)", "INR/kWh", mix("imp_fob"), first(parts["fob"]))
    c.row(
        "imp_freight",
        "Imported cell: freight and insurance (mix)",
        "INR/kWh",
        mix("imp_freight"),
        first(parts["freight_insurance"]),
    )
    c.row("imp_duty", "Imported cell: customs duty (mix)", "INR/kWh", mix("imp_duty"), first(parts["customs_duty"]))
    c.row(
        "imp_sws",
        "Imported cell: social welfare surcharge (mix)",
        "INR/kWh",
        mix("imp_sws"),
        first(parts["social_welfare_surcharge"]),
    )
    c.row(
        "imp_logistics",
        "Imported cell: logistics (mix)",
        "INR/kWh",
        "+".join(f"{{w_{s}}}*{logistics}" for s in segs),
        first(parts["logistics"]),
    )
    c.row("imp_landed", "Imported cell, landed (mix)", "INR/kWh", mix("imp_landed"), first(uc.imported_cell), True)

    imp_keys, loc_keys = [], []
    for g in inp.structure.materials:
        p = f"{LOCAL}materials.{g}."
        group_imported, group_local = uc.material_groups[g]
        c.row(
            f"mat_imp_{g}",
            f"Material {material_label(g)}: imported part, landed, per kWh started",
            "INR/kWh",
            f"(1-{{in:{p}local_share}})*{{in:{p}world_price_usd_per_kwh}}*{{fx}}*(1+{{in:{IMPORTED}freight_and_insurance_rate}})"
            f"*(1+{{in:{p}bcd_rate}}*(1+{{in:{IMPORTED}social_welfare_surcharge_rate}}))",
            first(group_imported),
        )
        c.row(
            f"mat_loc_{g}",
            f"Material {material_label(g)}: local part, per kWh started",
            "INR/kWh",
            f"{{in:{p}local_share}}*{{in:{p}world_price_usd_per_kwh}}*{{fx}}*{{in:{p}local_price_factor}}",
            first(group_local),
        )
        imp_keys.append(f"{{mat_imp_{g}}}")
        loc_keys.append(f"{{mat_loc_{g}}}")
    y = first(o.volumes.cell_yield)
    lp = uc.local_cell_parts
    c.row(
        "mat_imp", "Materials imported, per kWh started", "INR/kWh", "+".join(imp_keys), first(lp["materials_imported"]) * y
    )
    c.row("mat_loc", "Materials local, per kWh started", "INR/kWh", "+".join(loc_keys), first(lp["materials_local"]) * y)
    c.row(
        "cum_local", "Cumulative local cells", "GWh", "SUM({local_cells:upto})", np.cumsum(first(o.volumes.local_cells_gwh))
    )
    lr, ref = LOCAL + "conversion_learning_rate", LOCAL + "conversion_reference_gwh"
    learn = first(uc.learning_factor)
    c.row(
        "learn",
        "Conversion learning factor",
        "factor",
        f"(MAX({{cum_local}},{{in:{ref}}})/{{in:{ref}}})^LOG(1-{{in:{lr}}},2)",
        learn,
    )
    c.row(
        "loc_mat_imp", "Local cell: materials imported", "INR/kWh", "{mat_imp}/{cell_yield}", first(lp["materials_imported"])
    )
    c.row("loc_mat_loc", "Local cell: materials local", "INR/kWh", "{mat_loc}/{cell_yield}", first(lp["materials_local"]))
    for part in ("labour", "energy", "overhead"):
        c.row(
            f"loc_{part}",
            f"Local cell: {part}",
            "INR/kWh",
            f"{{in:{LOCAL}{part}_inr_per_kwh}}*{{learn}}/{{cell_yield}}",
            first(lp[part]),
        )
    c.row("loc_royalty", "Local cell: royalty", "INR/kWh", f"{{in:{LOCAL}royalty_usd_per_kwh}}*{{fx}}", first(lp["royalty"]))
    c.row(
        "local_cell",
        "Local cell, variable cost",
        "INR/kWh",
        "{loc_mat_imp}+{loc_mat_loc}+{loc_labour}+{loc_energy}+{loc_overhead}+{loc_royalty}",
        first(uc.local_cell),
        True,
    )
    for s in segs:
        bom = f"{{in:{inp.structure.products[s].bom}}}"
        c.row(
            f"non_cell_imp_{s}",
            f"Pack: non-cell parts imported, landed: {segment_label(s)}",
            "INR/kWh",
            f"(1-{{in:pack.non_cell_local_share}})*{bom}*{{fx}}*(1+{fr})*(1+{{in:pack.non_cell_bcd_rate}}*(1+{sws}))",
            first(uc.non_cell_imported_by_segment[s]),
        )
        c.row(
            f"non_cell_loc_{s}",
            f"Pack: non-cell parts local: {segment_label(s)}",
            "INR/kWh",
            f"{{in:pack.non_cell_local_share}}*{bom}*{{fx}}*{{in:pack.non_cell_local_price_factor}}",
            first(uc.non_cell_local_by_segment[s]),
        )
    c.row(
        "non_cell_imp",
        "Pack: non-cell parts imported, landed (mix)",
        "INR/kWh",
        mix("non_cell_imp"),
        first(uc.non_cell_imported),
    )
    c.row("non_cell_loc", "Pack: non-cell parts local (mix)", "INR/kWh", mix("non_cell_loc"), first(uc.non_cell_local))
    c.row("assembly", "Pack: assembly", "INR/kWh", "{in:pack.assembly_inr_per_kwh}", first(uc.assembly))
    for s in segs:
        pr = inp.structure.products[s]
        pack_fob = (
            f"{{cell_fob_usd_{s}}}+{{in:{pr.pack_premium}}}" if pr.pack_premium is not None else f"{{in:{pr.pack_fob}}}"
        )
        pack_fob_usd = first(uc.pack_fob_usd_by_segment[s])
        c.row(f"pack_fob_usd_{s}", f"Imported pack FOB: {segment_label(s)}", "USD/kWh", pack_fob, pack_fob_usd)
        c.row(
            f"pack_landed_{s}",
            f"Imported pack, landed: {segment_label(s)}",
            "INR/kWh",
            f"{{pack_fob_usd_{s}}}*{{fx}}*(1+{fr})*(1+{{in:{pr.pack_bcd}}}*(1+{sws}))+{logistics}",
            first(uc.pack_landed_by_segment[s]),
        )
    c.row("bought_in_landed", "Imported pack, landed (mix)", "INR/kWh", mix("pack_landed"), first(uc.bought_in_pack))


def capex_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    cap = o.capex
    c.section("Capex phases [INR crore]")
    n = inp.structure.n_years
    t = np.arange(n, dtype=float)
    fy = first(inp.fiscal_years[None, :].astype(float))
    infl = first(inp["timeline.inflation_rate"])
    sums: dict[str, list[str]] = {
        k: []
        for k in ("spend", "maint", "repl", "add", "fixed", "book", "taxdep", "imp", "cell_capex", "cell_fixed", "cell_book")
    }
    c.row(
        "capex_growth",
        "Capex prices since before the first FY",
        "factor",
        "IF({t}=0,1,{capex_growth:prev})*(1+{in:capex.escalation_rate})",
        np.cumprod(1.0 + np.broadcast_to(first(inp["capex.escalation_rate"]), (inp.structure.n_years,))),
    )
    c.row(
        "capex_index",
        "Capex price index (base FY = 1)",
        "factor",
        "{capex_growth}/INDEX({capex_growth:all},MATCH({in:capex.price_base_fy},{fy:all},0))",
        first(np.broadcast_to(cap.price_index, (1, n))),
    )
    replace = '{in:capex.replacement}="replace_at_end_of_life"'
    zeros = np.zeros(n)
    for ph in inp.structure.phases:
        p = f"capex.phases.{ph.name}."
        k = ph.name
        age = fy - first(inp[p + "commissioning_fy"])
        if f"age_{k}" not in c.grid.rows:
            c.row(f"age_{k}", f"Years in operation: {phase_label(k)}", "years", f"{{fy}}-{{in:{p}commissioning_fy}}", age)
        prof = f"{{in:{p}spend_profile}}"
        c.row(
            f"spend_{k}",
            f"Capex: {phase_title(k, ph.kind)}",
            "INR crore",
            f"IF(AND({{age_{k}}}>=1-COUNT({prof}),{{age_{k}}}<=0),{{in:{p}capex_inr_cr}}*INDEX({prof},{{age_{k}}}+COUNT({prof})),0)"
            "*{capex_index}" + kept(c, k),
            first(cap.spend_by_phase[k]),
        )
        nominal = first(cap.spend_by_phase[k]).sum()
        maint = np.where(age >= 1, nominal * first(inp[p + "maintenance_capex_rate"]) * (1 + infl) ** age, 0.0)
        c.row(
            f"maint_{k}",
            f"Maintenance capex: {phase_label(k)}",
            "INR crore",
            f"IF({{age_{k}}}>=1,SUM({{spend_{k}:all}})*{{in:{p}maintenance_capex_rate}}*(1+{{in:timeline.inflation_rate}})^{{age_{k}}},0)",
            maint,
        )
        life = f"{{in:{p}book_life_years}}"
        c.row(
            f"repl_{k}",
            f"Replacement capex: {phase_label(k)}",
            "INR crore",
            f"IF(AND({replace},{{age_{k}}}>={life},MOD({{age_{k}}},{life})=0),{{in:{p}capex_inr_cr}}*{{capex_index}},0)"
            + kept(c, k),
            None,
        )
        additions = first(np.broadcast_to(cap.additions_by_phase.get(k, zeros), (1, n)))
        c.row(
            f"add_{k}",
            f"Put in service: {phase_label(k)}",
            "INR crore",
            f"IF({{age_{k}}}=0,SUM({{spend_{k}:all}}),0)+{{maint_{k}}}+{{repl_{k}}}",
            additions,
        )
        fixed = np.where(age >= 0, first(inp[p + "fixed_opex_inr_cr"]) * (1 + infl) ** t, 0.0)
        c.row(
            f"fixed_{k}",
            f"Fixed opex: {phase_label(k)}",
            "INR crore",
            f"IF({{age_{k}}}>=0,{{in:{p}fixed_opex_inr_cr}}*(1+{{in:timeline.inflation_rate}})^{{t}},0)" + kept(c, k),
            fixed,
        )
        book = first(straight_line(additions[None, :], inp[p + "book_life_years"], inp[p + "residual_share"]))
        c.row(
            f"book_{k}",
            f"Book depreciation: {phase_label(k)}",
            "INR crore",
            f"SUMPRODUCT({{add_{k}:upto}},--({{t}}-{{t:upto}}<{{in:{p}book_life_years}}))*(1-{{in:{p}residual_share}})/{{in:{p}book_life_years}}",
            book,
        )
        sums["spend"].append(f"{{spend_{k}}}")
        sums["maint"].append(f"{{maint_{k}}}")
        sums["fixed"].append(f"{{fixed_{k}}}")
        sums["book"].append(f"{{book_{k}}}")
        sums["add"].append(f"{{add_{k}}}")
        sums["repl"].append(f"{{repl_{k}}}")
        sums["imp"].append(f"({{spend_{k}}}+{{repl_{k}}})*{{in:{p}import_share}}")
        if ph.kind in ("cell_plant", "recycling"):
            sums["cell_capex"].append(f"{{spend_{k}}}+{{maint_{k}}}+{{repl_{k}}}")
            sums["cell_fixed"].append(f"{{fixed_{k}}}")
            sums["cell_book"].append(f"{{book_{k}}}")

    sums["taxdep"] = subsidy_and_tax_depreciation_rows(c, inp, o)

    def total(key: str) -> str:
        return "+".join(sums[key]) if sums[key] else "0"

    c.row("capex_spend", "Capex of phases", "INR crore", total("spend"), first(cap.spend_total), True)
    c.row("capex_maint", "Maintenance capex", "INR crore", total("maint"), first(cap.maintenance))
    c.row("capex_repl", "Replacement capex", "INR crore", total("repl"), first(cap.replacement))
    per_year = "+".join(
        f"{{in:capex.phases.{ph.name}.capex_inr_cr}}{built(c, ph.name)}/{{in:capex.phases.{ph.name}.book_life_years}}"
        for ph in inp.structure.phases
    )
    c.row(
        "capex_repl_annual",
        "Replacement capex a year, in perpetuity",
        "INR crore",
        f"IF({replace},({per_year})*{{capex_index}},0)",
        first(cap.replacement_annual),
    )
    c.row("fixed_opex", "Fixed opex of phases", "INR crore", total("fixed"), first(cap.fixed_opex))
    c.row("book_dep", "Book depreciation", "INR crore", total("book"), first(cap.book_depreciation), True)
    c.row("additions", "Put in service", "INR crore", total("add"), first(cap.additions))
    c.row(
        "nbv", "Net book value of fixed assets", "INR crore", "{nbv:prev}+{additions}-{book_dep}", first(cap.net_book_value)
    )
    c.row("tax_dep", "Tax depreciation", "INR crore", total("taxdep"), first(cap.tax_depreciation))
    c.row("capex_abroad", "Capex paid abroad", "INR crore", total("imp"), first(cap.import_spend))
    c.row(
        "cell_capex",
        "Cell plants and recycling: capex and maintenance",
        "INR crore",
        total("cell_capex"),
        first(cap.cell_capex),
    )
    c.row(
        "cell_fixed", "Cell plants and recycling: fixed opex", "INR crore", total("cell_fixed"), first(cap.cell_fixed_opex)
    )
    c.row(
        "cell_book",
        "Cell plants and recycling: book depreciation",
        "INR crore",
        total("cell_book"),
        first(cap.cell_book_depreciation),
    )

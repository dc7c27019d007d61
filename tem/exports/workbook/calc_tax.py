"""Calculations rows for tax [INR crore]: losses set off by vintage, oldest first, each usable for N years (see calc)."""

from __future__ import annotations

import numpy as np

from tem.exports.workbook.calc import CalcSheet, first
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.tax import set_off_by_vintage


def tax_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    c.section("Tax [INR crore]: business losses set off oldest first, each usable for N years; then unabsorbed depreciation")
    tx = o.tax
    c.row("pbd", "Profit before depreciation, for tax", "INR crore", "{ebitda}", first(o.operations.ebitda))
    c.row("taxable", "Taxable income before losses", "INR crore", "{pbd}-{tax_dep}", first(tx.taxable_before_losses))
    c.row("profit", "Taxable profit", "INR crore", "MAX({taxable},0)", np.maximum(first(tx.taxable_before_losses), 0.0))
    standalone = '{in:tax.structure}="standalone"'
    c.row("loss", "Business loss", "INR crore", f"IF({standalone},MAX(-{{pbd}},0),0)", first(tx.business_loss))
    c.row(
        "unabsorbed",
        "Unabsorbed depreciation",
        "INR crore",
        f"IF({standalone},{{tax_dep}}-MIN(MAX({{pbd}},0),{{tax_dep}}),0)",
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
        c.grid.rows[f"cumtake_{v}"] = r + 1  # the running total sits just below
        c.ws.cell(r, 5, v)  # the vintage's year index, referenced by the formula
        vin = f"$E${r}"
        older_sum = "+".join(older) if older else "0"
        c.row(
            f"take_{v}",
            f"Business loss of year {v} set off",
            "INR crore",
            f"IF(AND({{t}}>{vin},{{t}}-{vin}<={carry}),MIN(INDEX({{loss:all}},{vin}+1)-{{cumtake_{v}:prev}},"
            f"MAX(0,{{profit}}-({older_sum}))),0)",
            takes[v],
        )
        c.row(
            f"cumtake_{v}",
            f"Business loss of year {v} set off so far",
            "INR crore",
            f"{{cumtake_{v}:prev}}+{{take_{v}}}",
            np.cumsum(takes[v]),
        )
        older.append(f"{{take_{v}}}")
    c.row("bl_used", "Business losses set off", "INR crore", "+".join(older), first(tx.business_losses_used))
    c.grid.rows["ud_pool"] = c.next_row + 1  # the corkscrew below, referenced a year back
    c.row(
        "ud_used",
        "Unabsorbed depreciation set off",
        "INR crore",
        "MIN(0+{ud_pool:prev},{profit}-{bl_used})",  # 0+: MIN skips the blank before the first year
        first(tx.unabsorbed_depreciation_used),
    )
    c.row(
        "ud_pool",
        "Unabsorbed depreciation carried forward",
        "INR crore",
        "{ud_pool:prev}-{ud_used}+{unabsorbed}",
        first(tx.unabsorbed_depreciation_pool_end),
    )
    c.row("losses_used", "Losses set off", "INR crore", "{bl_used}+{ud_used}", first(tx.losses_used))
    c.row(
        "tax",
        "Tax (negative within the parent: a saving)",
        "INR crore",
        f"IF({standalone},{{in:tax.corporate_rate}}*MAX({{profit}}-{{losses_used}},0),{{in:tax.corporate_rate}}*{{taxable}})",
        first(tx.tax),
        True,
    )

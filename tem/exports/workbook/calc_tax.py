"""Calculations rows for tax [INR crore]: losses set off by vintage, oldest first, each usable for N years (see calc)."""

from __future__ import annotations

import numpy as np

from tem.exports.workbook.calc import CalcSheet, first
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.tax import set_off_by_vintage


def tax_rows(c: CalcSheet, inp: Inputs, o: Outcome) -> None:
    c.section("Tax [INR crore]: losses set off oldest first, each usable for N years")
    c.row("taxable", "Taxable income before losses", "INR crore", "{ebitda}-{tax_dep}", first(o.tax.taxable_before_losses))
    taxable = first(o.tax.taxable_before_losses)
    c.row("profit", "Taxable profit", "INR crore", "MAX({taxable},0)", np.maximum(taxable, 0.0))
    c.row("loss", "Tax loss", "INR crore", "MAX(-{taxable},0)", np.maximum(-taxable, 0.0))
    n = inp.structure.n_years
    takes = set_off_by_vintage(first(o.tax.taxable_before_losses), int(first(inp["tax.loss_carry_forward_years"])[0]))
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
            f"Loss of year {v} set off",
            "INR crore",
            f"IF(AND({{t}}>{vin},{{t}}-{vin}<={carry}),MIN(INDEX({{loss:all}},{vin}+1)-{{cumtake_{v}:prev}},"
            f"MAX(0,{{profit}}-({older_sum}))),0)",
            takes[v],
        )
        c.row(
            f"cumtake_{v}",
            f"Loss of year {v} set off so far",
            "INR crore",
            f"{{cumtake_{v}:prev}}+{{take_{v}}}",
            np.cumsum(takes[v]),
        )
        older.append(f"{{take_{v}}}")
    c.row("losses_used", "Losses set off", "INR crore", "+".join(older), first(o.tax.losses_used))
    c.row("tax", "Tax", "INR crore", "{in:tax.corporate_rate}*MAX({profit}-{losses_used},0)", first(o.tax.tax), True)

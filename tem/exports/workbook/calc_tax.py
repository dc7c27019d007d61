"""Calculations rows for tax [INR crore]: losses set off by vintage, oldest first, each usable for N years (see calc)."""

from __future__ import annotations

import numpy as np

from tem.exports.workbook.calc import CalcSheet, first
from tem.exports.workbook.grid import FIRST_COL
from tem.model.engine import Outcome
from tem.model.inputs import Inputs
from tem.model.tax import TaxResult, set_off_by_vintage


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
    pbd_value = None  # the funded view's is not returned by the engine
    if result is None and dep == "{tax_dep}":  # profit before depreciation = taxable income + tax depreciation
        dep_row = c.grid.rows["tax_dep"]
        dep_values = np.array([float(c.expect[(dep_row, FIRST_COL + t)]) for t in range(c.n)])
        pbd_value = first(tx.taxable_before_losses) + dep_values
    c.row(f"{p}pbd", "Profit before depreciation, for tax", "INR crore", pbd, pbd_value)
    c.row(f"{p}taxable", "Taxable income before losses", "INR crore", f"{{{p}pbd}}-{dep}", first(tx.taxable_before_losses))
    profit = np.maximum(first(tx.taxable_before_losses), 0.0)
    c.row(f"{p}profit", "Taxable profit", "INR crore", f"MAX({{{p}taxable}},0)", profit)
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

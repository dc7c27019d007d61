"""The rows of a scenario's results tables: the statement's lines and the unit-cost lines, in reading order.

Each statement row is (key, label, unit, getter): the label comes from :mod:`tem.catalogue` (or names a segment,
a cost part or a phase), the getter reads an (S, T) array from an engine :class:`~tem.model.engine.Outcome`.
Sign convention: money in positive, money out negative. :class:`tem.model.results.Result` turns them into pandas.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tem import catalogue
from tem.model.engine import Outcome
from tem.model.funding import Funding
from tem.model.kpis import PER_KWH, local_cell_full_cost, local_cell_overheads, replaced_cell_landed

Row = tuple[str, str, str, Callable[[Outcome], np.ndarray]]

SEGMENT_LABELS = catalogue.SEGMENT_LABELS


def _row(key: str, unit: str, getter: Callable[[Outcome], np.ndarray]) -> Row:
    """A statement line whose label comes from the catalogue."""
    return (key, catalogue.label(key), unit, getter)


def statement_rows(o: Outcome) -> list[Row]:
    """(key, label, unit, getter) for every statement line, in reading order."""
    v, ops, cap, tx, cf = o.volumes, o.operations, o.capex, o.tax, o.cash
    rows: list[Row] = []
    for s in o.inputs.structure.segments:
        rows.append((f"demand_{s}_gwh", f"Demand: {SEGMENT_LABELS[s]}", "GWh", _pick(v.demand_gwh, s)))
    rows += [
        _row("demand_total_gwh", "GWh", lambda o: v.demand_total_gwh),
        _row("pack_capacity_gwh", "GWh", lambda o: v.pack_capacity_gwh),
        _row("pack_output_gwh", "GWh", lambda o: v.pack_output_gwh),
        _row("bought_in_packs_gwh", "GWh", lambda o: v.bought_in_packs_gwh),
        _row("unmet_demand_gwh", "GWh", lambda o: v.unmet_gwh),
        _row("cells_required_gwh", "GWh", lambda o: v.cells_required_gwh),
        _row("cell_nameplate_gwh", "GWh", lambda o: v.cell_nameplate_gwh),
        _row("local_cells_gwh", "GWh", lambda o: v.local_cells_gwh),
        _row("imported_cells_gwh", "GWh", lambda o: v.imported_cells_gwh),
        _row("local_cell_share", "fraction", _local_share),
        _row("cell_yield", "fraction", lambda o: v.cell_yield),
        _row("cell_plant_utilization", "fraction", lambda o: v.cell_utilization),
        _row("recycled_gwh", "GWh", lambda o: ops.recycled_gwh),
    ]
    for s in o.inputs.structure.segments:
        rows.append(_row(f"price_{s}_inr_per_kwh", "INR/kWh", _pick(ops.price_by_segment, s)))
    for s in o.inputs.structure.segments:
        rows.append(_row(f"revenue_{s}", "INR crore", _pick(ops.revenue_by_segment, s)))
    rows.append(_row("revenue_total", "INR crore", lambda o: ops.revenue))
    for s in o.inputs.structure.segments:
        rows.append(_row(f"variable_cost_{s}", "INR crore", _pick(ops.variable_cost_by_segment, s, -1.0)))
    for s in o.inputs.structure.segments:
        rows.append(_row(f"contribution_margin_{s}", "INR crore", _pick(ops.contribution_by_segment, s)))
    for k in ops.cogs_parts:
        rows.append((f"cogs_{k}", "Cost of goods: " + k.replace("_", " "), "INR crore", _pick(ops.cogs_parts, k, -1.0)))
    rows += [
        _row("cogs_total", "INR crore", lambda o: -ops.cogs),
        _row("gross_margin", "INR crore", lambda o: ops.gross_margin),
        _row("fixed_opex", "INR crore", lambda o: -ops.fixed_opex),
        _row("rnd", "INR crore", lambda o: -ops.rnd),
        _row("sga", "INR crore", lambda o: -ops.sga),
        _row("warranty", "INR crore", lambda o: -ops.warranty),
        _row("technology_fee", "INR crore", lambda o: -ops.technology_fee),
        _row("pli_incentive", "INR crore", lambda o: ops.pli_incentive),
        _row("ebitda", "INR crore", lambda o: ops.ebitda),
        _row("book_depreciation", "INR crore", lambda o: -cap.book_depreciation),
        _row("ebit", "INR crore", lambda o: ops.ebitda - cap.book_depreciation),
        _row("tax_depreciation", "INR crore", lambda o: -cap.tax_depreciation),
        _row("taxable_income_before_losses", "INR crore", lambda o: tx.taxable_before_losses),
        _row("losses_set_off", "INR crore", lambda o: tx.losses_used),
        _row("losses_expired", "INR crore", lambda o: tx.losses_expired),
        _row("business_loss_pool_end", "INR crore", lambda o: tx.business_loss_pool_end),
        _row("unabsorbed_depreciation_pool_end", "INR crore", lambda o: tx.unabsorbed_depreciation_pool_end),
        _row("loss_pool_end", "INR crore", lambda o: tx.loss_pool_end),
        _row("tax", "INR crore", lambda o: -tx.tax),
    ]
    for ph in o.inputs.structure.phases:
        rows.append(
            (
                f"capex_{ph.name}",
                f"Capex: {catalogue.phase_title(ph.name, ph.kind)}",
                "INR crore",
                _pick(cap.spend_by_phase, ph.name, -1.0),
            )
        )
    rows += [
        _row("maintenance_capex", "INR crore", lambda o: -cap.maintenance),
        _row("replacement_capex", "INR crore", lambda o: -cap.replacement),
        _row("capex_total", "INR crore", lambda o: -(cap.spend_total + cap.maintenance + cap.replacement)),
        _row("capital_cost_index", "factor", lambda o: cap.price_index),
        _row("state_capital_subsidy", "INR crore", lambda o: cap.subsidy),
        _row("state_subsidy_taxable", "INR crore", lambda o: cap.subsidy_taxable),
        _row("working_capital", "INR crore", lambda o: cf.working_capital),
        _row("change_in_working_capital", "INR crore", lambda o: -cf.change_in_working_capital),
        _row("working_capital_release", "INR crore", lambda o: cf.working_capital_release),
        _row("net_book_value", "INR crore", lambda o: cap.net_book_value),
        _row("salvage_value", "INR crore", lambda o: cf.salvage_value),
        _row("normalised_free_cash_flow", "INR crore", lambda o: cf.normalised_free_cash_flow),
        _row("terminal_value", "INR crore", lambda o: cf.terminal_value),
        _row("free_cash_flow", "INR crore", lambda o: cf.free_cash_flow),
        _row("free_cash_flow_before_terminal_value", "INR crore", lambda o: cf.free_cash_flow_before_terminal),
        _row(
            "cumulative_free_cash_flow_before_terminal_value",
            "INR crore",
            lambda o: np.cumsum(cf.free_cash_flow_before_terminal, axis=1),
        ),
        _row("cumulative_free_cash_flow", "INR crore", lambda o: np.cumsum(cf.free_cash_flow, axis=1)),
        _row("discount_factor", "factor", lambda o: cf.discount_factor),
        _row("terminal_value_discount_factor", "factor", lambda o: cf.terminal_value_discount_factor),
        _row("present_value_before_terminal_value", "INR crore", lambda o: cf.present_value_before_terminal),
        _row("present_value", "INR crore", lambda o: cf.present_value),
        _row(
            "cumulative_present_value_before_terminal_value",
            "INR crore",
            lambda o: np.cumsum(cf.present_value_before_terminal, axis=1),
        ),
        _row("cumulative_present_value", "INR crore", lambda o: np.cumsum(cf.present_value, axis=1)),
        _row("imported_content", "INR crore", lambda o: ops.imported_content),
        _row("dva_share", "fraction", lambda o: ops.dva_share),
        _row("cell_dva_share", "fraction", lambda o: ops.cell_dva_share),
        _row("forex_outflow_usd_m", "USD million", lambda o: ops.forex_outflow_usd_m),
        _row("inr_per_usd", "INR per USD", lambda o: o.unit_costs.inr_per_usd),
    ]
    if o.funding is not None:
        rows += funding_rows(o.funding)
    return rows


def funding_rows(f: Funding) -> list[Row]:
    """The P&L to PAT (outflows negative), the debt schedule (amounts positive) and the equity view."""
    t = f.term
    lines: list[tuple[str, str, np.ndarray]] = [
        ("pl_depreciation", "INR crore", -f.depreciation),
        ("pl_ebit", "INR crore", f.ebit),
        ("interest_expense", "INR crore", -f.interest_expense),
        ("pbt", "INR crore", f.pbt),
        ("pl_tax", "INR crore", -f.tax.tax),
        ("pat", "INR crore", f.pat),
        ("term_debt_opening", "INR crore", t.opening),
        ("term_debt_drawn", "INR crore", t.drawdown),
        ("interest_during_construction", "INR crore", t.capitalised_interest),
        ("term_debt_interest_paid", "INR crore", t.interest_paid),
        ("term_debt_repaid", "INR crore", t.repaid),
        ("term_debt_balloon", "INR crore", t.balloon),
        ("term_debt_closing", "INR crore", t.closing),
        ("upfront_fees", "INR crore", f.upfront_fees),
        ("wc_loan_closing", "INR crore", f.wc_loan_closing),
        ("wc_loan_interest", "INR crore", f.wc_loan_interest),
        ("cfads", "INR crore", f.cfads),
        ("debt_service", "INR crore", f.debt_service),
        ("dscr", "x", f.dscr),
        ("equity_cash_flow", "INR crore", f.equity_flow),
        ("cumulative_equity_cash_flow", "INR crore", np.cumsum(f.equity_flow, axis=1)),
        ("equity_present_value", "INR crore", f.equity_present_value),
    ]
    return [_row(key, unit, _const(arr)) for key, unit, arr in lines]


def _const(arr: np.ndarray) -> Callable[[Outcome], np.ndarray]:
    return lambda o: arr


def _pick(table: dict[str, np.ndarray], key: str, sign: float = 1.0) -> Callable[[Outcome], np.ndarray]:
    def get(o: Outcome) -> np.ndarray:
        return sign * table[key]

    return get


def _local_share(o: Outcome) -> np.ndarray:
    v = o.volumes
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v.cells_required_gwh > 0, v.local_cells_gwh / v.cells_required_gwh, 0.0)


def unit_cost_rows(o: Outcome) -> list[tuple[str, str, np.ndarray]]:
    """(key, label, INR/kWh array) rows; USD/kWh rows are derived with the year's exchange rate."""
    uc, v, ops = o.unit_costs, o.volumes, o.operations
    rows = [(f"imported_cell_{k}", f"Imported cell: {k.replace('_', ' ')}", a) for k, a in uc.imported_cell_parts.items()]
    rows.append(("imported_cell_landed", "Imported cell, landed (mix of segments)", uc.imported_cell))
    has_local = v.local_cells_gwh > 0
    replaced = np.where(has_local, replaced_cell_landed(v, uc), np.nan)  # nothing is replaced without local cells
    rows.append(("imported_cell_replaced_landed", "Imported cell the local cells replace, landed", replaced))
    for k, a in uc.local_cell_parts.items():
        rows.append((f"local_cell_{k}", f"Local cell: {k.replace('_', ' ')}", np.where(has_local, a, np.nan)))
    rows.append(("local_cell_variable", "Local cell, variable cost", np.where(has_local, uc.local_cell, np.nan)))
    full = local_cell_full_cost(v, uc, o.capex, ops)
    over = local_cell_overheads(v, o.capex, ops)
    over_label = "Local cell: fixed opex and depreciation"
    rows.append(("local_cell_fixed_and_depreciation", over_label, over["fixed_and_depreciation"]))
    rows.append(("local_cell_recycling_credit", "Local cell: recycling credit", over["recycling_credit"]))
    rows.append(("local_cell_full", "Local cell, full cost", full))
    with np.errstate(divide="ignore", invalid="ignore"):
        made = v.pack_output_gwh > 0
        cells = ops.cogs_parts["imported_cells"] + sum(ops.cogs_parts[f"local_cell_{k}"] for k in uc.local_cell_parts)
        rows += [
            ("pack_cells", "Pack: cells", np.where(made, cells / v.pack_output_gwh * PER_KWH, np.nan)),
            ("pack_non_cell_imported", "Pack: non-cell parts imported", uc.non_cell_imported),
            ("pack_non_cell_local", "Pack: non-cell parts local", uc.non_cell_local),
            ("pack_assembly", "Pack: assembly", uc.assembly),
        ]
        pack_total = rows[-4][2] + uc.non_cell_imported + uc.non_cell_local + uc.assembly
        rows.append(("pack_variable", "Pack made in India, variable cost", pack_total))
    rows.append(("bought_in_pack_landed", "Bought-in pack, landed (mix of segments)", uc.bought_in_pack))
    for s in o.inputs.structure.segments:
        name = SEGMENT_LABELS[s]
        rows += [
            (f"imported_cell_landed_{s}", f"Imported cell, landed: {name}", uc.imported_cell_by_segment[s]),
            (f"imported_pack_landed_{s}", f"Imported pack, landed: {name}", uc.pack_landed_by_segment[s]),
            (f"own_variable_cost_{s}", f"Own variable cost per kWh delivered: {name}", o.prices.variable_cost_by_segment[s]),
        ]
    return rows

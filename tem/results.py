"""Results as pandas objects: the statement (line items x FY), unit costs, KPIs, a tidy long table.

Sign convention in the statement: money in positive, money out negative (costs, tax, capex, an increase in
working capital). Volumes, unit costs and shares are positive. Built once from an engine
:class:`~tem.engine.Outcome`; nothing here recomputes the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from tem.assumptions.yearly import fy_label
from tem.engine import Outcome
from tem.kpis import PER_KWH, local_cell_full_cost

Row = tuple[str, str, str, Callable[[Outcome], np.ndarray]]

SEGMENT_LABELS = {"captive": "captive vehicles", "external_oem": "external OEMs", "ess": "energy storage"}


def statement_rows(o: Outcome) -> list[Row]:
    """(key, label, unit, getter) for every statement line, in reading order."""
    v, ops, cap, tx, cf = o.volumes, o.operations, o.capex, o.tax, o.cash
    rows: list[Row] = []
    for s in o.inputs.structure.segments:
        rows.append((f"demand_{s}_gwh", f"Demand: {SEGMENT_LABELS[s]}", "GWh", _pick(v.demand_gwh, s)))
    rows += [
        ("demand_total_gwh", "Demand: total", "GWh", lambda o: v.demand_total_gwh),
        ("pack_capacity_gwh", "Pack capacity (ramped)", "GWh", lambda o: v.pack_capacity_gwh),
        ("pack_output_gwh", "Packs made in India", "GWh", lambda o: v.pack_output_gwh),
        ("bought_in_packs_gwh", "Packs bought in (imported)", "GWh", lambda o: v.bought_in_packs_gwh),
        ("unmet_demand_gwh", "Demand not met", "GWh", lambda o: v.unmet_gwh),
        ("cells_required_gwh", "Cells required", "GWh", lambda o: v.cells_required_gwh),
        ("cell_nameplate_gwh", "Cell plant nameplate", "GWh", lambda o: v.cell_nameplate_gwh),
        ("local_cells_gwh", "Cells made in India (good)", "GWh", lambda o: v.local_cells_gwh),
        ("imported_cells_gwh", "Cells imported", "GWh", lambda o: v.imported_cells_gwh),
        ("local_cell_share", "Local share of cells", "fraction", _local_share),
        ("cell_yield", "Cell yield", "fraction", lambda o: v.cell_yield),
        ("cell_plant_utilization", "Cell plant utilization", "fraction", lambda o: v.cell_utilization),
        ("recycled_gwh", "Cells recycled", "GWh", lambda o: ops.recycled_gwh),
    ]
    for s in o.inputs.structure.segments:
        rows.append((f"revenue_{s}", f"Revenue: {SEGMENT_LABELS[s]}", "INR crore", _pick(ops.revenue_by_segment, s)))
    rows.append(("revenue_total", "Revenue", "INR crore", lambda o: ops.revenue))
    for k in ops.cogs_parts:
        rows.append((f"cogs_{k}", "Cost of goods: " + k.replace("_", " "), "INR crore", _pick(ops.cogs_parts, k, -1.0)))
    rows += [
        ("cogs_total", "Cost of goods", "INR crore", lambda o: -ops.cogs),
        ("gross_margin", "Gross margin", "INR crore", lambda o: ops.gross_margin),
        ("fixed_opex", "Fixed opex of phases", "INR crore", lambda o: -ops.fixed_opex),
        ("rnd", "R&D / centre of excellence", "INR crore", lambda o: -ops.rnd),
        ("sga", "SG&A", "INR crore", lambda o: -ops.sga),
        ("warranty", "Warranty", "INR crore", lambda o: -ops.warranty),
        ("technology_fee", "Technology fee to partner", "INR crore", lambda o: -ops.technology_fee),
        ("pli_incentive", "ACC PLI incentive", "INR crore", lambda o: ops.pli_incentive),
        ("ebitda", "EBITDA", "INR crore", lambda o: ops.ebitda),
        ("book_depreciation", "Book depreciation", "INR crore", lambda o: -cap.book_depreciation),
        ("ebit", "EBIT", "INR crore", lambda o: ops.ebitda - cap.book_depreciation),
        ("tax_depreciation", "Tax depreciation (memo)", "INR crore", lambda o: -cap.tax_depreciation),
        ("taxable_income_before_losses", "Taxable income before losses", "INR crore", lambda o: tx.taxable_before_losses),
        ("losses_set_off", "Losses set off (memo)", "INR crore", lambda o: tx.losses_used),
        ("loss_pool_end", "Losses carried forward (memo)", "INR crore", lambda o: tx.loss_pool_end),
        ("tax", "Tax", "INR crore", lambda o: -tx.tax),
    ]
    for ph in o.inputs.structure.phases:
        rows.append(
            (f"capex_{ph.name}", f"Capex: {ph.name} ({ph.kind})", "INR crore", _pick(cap.spend_by_phase, ph.name, -1.0))
        )
    rows += [
        ("maintenance_capex", "Maintenance capex", "INR crore", lambda o: -cap.maintenance),
        ("capex_total", "Capex total", "INR crore", lambda o: -(cap.spend_total + cap.maintenance)),
        ("working_capital", "Working capital (memo)", "INR crore", lambda o: cf.working_capital),
        ("change_in_working_capital", "Change in working capital", "INR crore", lambda o: -cf.change_in_working_capital),
        ("working_capital_release", "Working capital released", "INR crore", lambda o: cf.working_capital_release),
        ("terminal_value", "Terminal value", "INR crore", lambda o: cf.terminal_value),
        ("free_cash_flow", "Free cash flow", "INR crore", lambda o: cf.free_cash_flow),
        (
            "cumulative_free_cash_flow",
            "Cumulative free cash flow",
            "INR crore",
            lambda o: np.cumsum(cf.free_cash_flow, axis=1),
        ),
        ("discount_factor", "Discount factor", "factor", lambda o: cf.discount_factor),
        ("present_value", "Present value", "INR crore", lambda o: cf.present_value),
        ("cumulative_present_value", "Cumulative present value", "INR crore", lambda o: np.cumsum(cf.present_value, axis=1)),
        ("imported_content", "Imported content (landed)", "INR crore", lambda o: ops.imported_content),
        ("dva_share", "Domestic value addition (DVA)", "fraction", lambda o: ops.dva_share),
        ("cell_dva_share", "DVA of local cells", "fraction", lambda o: ops.cell_dva_share),
        ("forex_outflow_usd_m", "Forex outflow", "USD million", lambda o: ops.forex_outflow_usd_m),
        ("inr_per_usd", "Exchange rate", "INR per USD", lambda o: o.unit_costs.inr_per_usd),
    ]
    return rows


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
    rows.append(("imported_cell_landed", "Imported cell, landed", uc.imported_cell))
    has_local = v.local_cells_gwh > 0
    for k, a in uc.local_cell_parts.items():
        rows.append((f"local_cell_{k}", f"Local cell: {k.replace('_', ' ')}", np.where(has_local, a, np.nan)))
    rows.append(("local_cell_variable", "Local cell, variable cost", np.where(has_local, uc.local_cell, np.nan)))
    full = local_cell_full_cost(v, uc, o.capex)
    rows.append(("local_cell_fixed_and_depreciation", "Local cell: fixed opex and depreciation", full - uc.local_cell))
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
    rows.append(("bought_in_pack_landed", "Bought-in pack, landed", uc.bought_in_pack))
    return rows


def _label_fys(o: Outcome) -> list[str]:
    return [fy_label(int(fy)) for fy in o.inputs.fiscal_years]


def _scalar(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class Result:
    """One scenario's results (scenario ``index`` of an engine outcome)."""

    name: str
    outcome: Outcome
    counterfactual: Outcome
    index: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def fiscal_years(self) -> list[str]:
        return _labels_cache(self)

    def _table(self, rows: list[tuple[str, str, str, np.ndarray]]) -> pd.DataFrame:
        fys = self.fiscal_years
        data = {fy: [] for fy in fys}  # type: dict[str, list[float]]
        for _, _, _, arr in rows:
            row = np.broadcast_to(arr, (max(arr.shape[0], self.index + 1), len(fys)))[self.index]
            for fy, x in zip(fys, row, strict=True):
                data[fy].append(float(x))
        frame = pd.DataFrame(
            {"label": [r[1] for r in rows], "unit": [r[2] for r in rows], **data},
            index=pd.Index([r[0] for r in rows], name="line_item"),
        )
        return frame

    @cached_property
    def statement(self) -> pd.DataFrame:
        """Line items (index) x [label, unit, FY26, FY27, ...]; outflows negative."""
        return self._table(
            [(k, lab, u, np.asarray(g(self.outcome), dtype=float)) for k, lab, u, g in statement_rows(self.outcome)]
        )

    @cached_property
    def unit_costs(self) -> pd.DataFrame:
        """Unit costs by component, INR/kWh rows then USD/kWh rows (converted at each year's rate)."""
        fx = self.outcome.unit_costs.inr_per_usd
        rows = unit_cost_rows(self.outcome)
        table = [(f"{k}_inr_per_kwh", lab, "INR/kWh", np.asarray(a, dtype=float)) for k, lab, a in rows]
        table += [(f"{k}_usd_per_kwh", lab, "USD/kWh", np.asarray(a / fx, dtype=float)) for k, lab, a in rows]
        return self._table(table)

    @cached_property
    def levelized(self) -> pd.DataFrame:
        """Levelized pack and cell cost by component [INR/kWh]; each column sums to its KPI."""
        pick = self.index
        pack = {k: float(v[pick if v.shape[0] > 1 else 0]) for k, v in self.outcome.levelized_pack_parts.items()}
        cell = {k: float(v[pick if v.shape[0] > 1 else 0]) for k, v in self.outcome.levelized_cell_parts.items()}
        return pd.DataFrame({"pack_inr_per_kwh": pd.Series(pack), "cell_inr_per_kwh": pd.Series(cell)})

    @cached_property
    def kpis(self) -> dict[str, Any]:
        """Stable KPI keys (README "KPIs"); floats, None where undefined, ``dva_share_by_fy`` as a dict."""
        raw = {k: float(v[self.index] if v.shape[0] > 1 else v[0]) for k, v in self.outcome.kpis.items()}
        out: dict[str, Any] = {}
        dva: dict[str, float | None] = {}
        for k, x in raw.items():
            if k.startswith("dva_share_fy"):
                dva["FY" + k.removeprefix("dva_share_fy")] = _scalar(x)
            elif k in ("crossover_fy", "peak_funding_fy"):
                out[k] = None if not math.isfinite(x) else int(x)
            elif k == "irr_status":
                out[k] = int(x)
            else:
                out[k] = _scalar(x)
        out["dva_share_by_fy"] = dva
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy long table: scenario, line_item, unit, fy, value (statement and unit costs)."""
        frames = []
        for table in (self.statement, self.unit_costs):
            long = (
                table.drop(columns="label")
                .reset_index()
                .melt(id_vars=["line_item", "unit"], var_name="fy", value_name="value")
            )
            frames.append(long)
        tidy = pd.concat(frames, ignore_index=True)
        tidy.insert(0, "scenario", self.name)
        return tidy[["scenario", "line_item", "unit", "fy", "value"]]


def _labels_cache(r: Result) -> list[str]:
    return _label_fys(r.outcome)

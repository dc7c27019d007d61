"""Results as pandas objects: the statement (line items x FY), unit costs, KPIs, a tidy long table.

Sign convention in the statement: money in positive, money out negative (costs, tax, capex, an increase in
working capital). Volumes, unit costs and shares are positive. Built once from an engine
:class:`~tem.model.engine.Outcome`; nothing here recomputes the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from tem import catalogue
from tem.assumptions.yearly import fy_label
from tem.model.engine import Outcome
from tem.model.table_rows import (  # noqa: F401 (the table rows live in table_rows.py; names kept here)
    Row,
    funding_rows,
    statement_rows,
    unit_cost_rows,
)
from tem.model.unit_costs import inverted_duty

SEGMENT_LABELS = catalogue.SEGMENT_LABELS


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
            elif k.endswith("_fy"):
                out[k] = None if not math.isfinite(x) else int(x)
            elif k.endswith("_status"):
                out[k] = int(x)
            else:
                out[k] = _scalar(x)
        out["dva_share_by_fy"] = dva
        return out

    @cached_property
    def inverted_duty_fys(self) -> dict[str, list[str]]:
        """Segment -> the FYs in which its cells pay at least the duty on its finished packs (an inverted duty
        structure: local assembly loses its protection); segments without such a year are left out."""
        o = self.outcome
        flags = inverted_duty(o.inputs, o.volumes)
        fys = self.fiscal_years
        out = {}
        for s, f in flags.items():
            row = np.broadcast_to(f, (max(f.shape[0], self.index + 1), len(fys)))[self.index]
            if row.any():
                out[s] = [fy for fy, x in zip(fys, row, strict=True) if x]
        return out

    @cached_property
    def warnings(self) -> list[str]:
        """Findings a reader must see beside the numbers (console, report, workbook Checks)."""
        out = []
        inp = self.outcome.inputs
        for s, fys in self.inverted_duty_fys.items():
            pr = inp.structure.products[s]
            t = self.fiscal_years.index(fys[0])
            cell = float(np.broadcast_to(inp[pr.cell_bcd], (1, len(self.fiscal_years)))[0, t])
            pack = float(np.broadcast_to(inp[pr.pack_bcd], (1, len(self.fiscal_years)))[0, t])
            span = fys[0] if len(fys) == 1 else f"{fys[0]}-{fys[-1]} ({len(fys)} years)"
            out.append(
                f"inverted duty for {SEGMENT_LABELS[s]} in {span}: cells pay {cell:.1%} basic customs duty against "
                f"{pack:.1%} on finished packs (in {fys[0]}), so local assembly has no duty protection there"
            )
        return out

    @cached_property
    def gates(self) -> pd.DataFrame:
        """One row per gate condition: phase, decision FY, what it reads, the value read, operator, threshold,
        whether it passes, whether the gate passes (all or any of its conditions). Empty without gates."""
        o, i = self.outcome, self.index
        rows = []
        if o.gates is not None:
            for g in o.inputs.structure.gates:
                for j, cond in enumerate(g.conditions):
                    rows.append(
                        {
                            "phase": g.phase,
                            "decide_fy": fy_label(g.decide_fy),
                            "condition": f"{catalogue.label(cond.name)} in {fy_label(cond.fy)}",
                            "value": _pick_row(o.gates.values[(g.phase, j)], i),
                            "op": cond.op,
                            "threshold": _pick_row(o.inputs[cond.threshold_path].reshape(-1), i),
                            "passes": bool(o.gates.condition_passed[(g.phase, j)][i]),
                            "combine": g.combine,
                            "gate_passes": bool(o.gates.passed[g.phase][i]),
                            "line": cond.name,
                            "fy": fy_label(cond.fy),
                        }
                    )
        return pd.DataFrame(rows, columns=GATE_COLUMNS)

    @cached_property
    def built(self) -> dict[str, bool]:
        """Whether each phase a gate can remove is built (its gate and those of the phases it requires)."""
        gates = self.outcome.gates
        return {} if gates is None else {ph: bool(b[self.index]) for ph, b in gates.built.items()}

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


GATE_COLUMNS = [
    "phase",
    "decide_fy",
    "condition",
    "value",
    "op",
    "threshold",
    "passes",
    "combine",
    "gate_passes",
    "line",  # the key of the line read (tem.model.gates.LINES; its label and unit in the catalogue)
    "fy",
]


def _pick_row(a: np.ndarray, i: int) -> float:
    return float(a[i] if a.shape[0] > 1 else a[0])


def _labels_cache(r: Result) -> list[str]:
    return _label_fys(r.outcome)

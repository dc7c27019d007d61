"""The tables ``tem run`` prints after a scenario's files are written: its KPIs and its gates' outcomes (labels,
units and number formats from :mod:`tem.catalogue`; rich and the catalogue imported when a table is made)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from tem.model.results import Result


def kpi_table(result: Result) -> Table:
    """The KPI table ``tem run`` prints: catalogue labels, values with units ("none" where a KPI has no value)."""
    from rich.table import Table

    from tem import catalogue

    table = Table(title=f"{result.name}: KPIs", show_header=True, header_style="bold")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    k = result.kpis
    for key in catalogue.HEADLINE_KPIS:
        table.add_row(catalogue.label(key), catalogue.format_value(key, k.get(key), with_unit=True))
    for fy, share in k["dva_share_by_fy"].items():
        table.add_row(f"DVA share {fy}", catalogue.format_value("dva_share", share))
    return table


def gate_table(result: Result) -> Table | None:
    """The gates' outcomes ``tem run`` prints: each condition with the value read, and each gate's decision."""
    from rich.table import Table

    from tem import catalogue

    frame = result.gates
    if frame.empty:
        return None
    table = Table(title=f"{result.name}: gates (decided at the end of the FY on that year's values)", header_style="bold")
    table.add_column("gate", overflow="fold")
    table.add_column("condition", overflow="fold")
    table.add_column("value", justify="right")
    table.add_column("passes", justify="right")
    seen: set[str] = set()
    for row in frame.to_dict("records"):
        phase, reading, op = str(row["phase"]), float(row["value"]), str(row["op"])
        gate = ""
        if phase not in seen:
            seen.add(phase)
            go = "GO" if row["gate_passes"] else "NO GO"
            gate = f"{catalogue.phase_label(phase)} {row['decide_fy']}: {go} ({row['combine']})"
        line, threshold = str(row["line"]), float(row["threshold"])
        read = None if math.isnan(reading) else reading  # NaN: no value, the condition fails
        test = catalogue.condition_text(line, op, threshold, str(row["fy"]))
        close = row["passes"] and catalogue.at_threshold(line, op, read, threshold)
        shown = catalogue.format_value(line, read, with_unit=True)
        room = catalogue.format_difference(line, catalogue.headroom(op, read, threshold), signed=False, with_unit=True)
        passes = "at the threshold" if close else "yes" if row["passes"] else "no"
        table.add_row(gate, test, f"{shown} (headroom {room})", passes)
    removed = [ph for ph, built in result.built.items() if not built]
    committed = result.kpis.get("committed_npv_inr_cr")
    table.caption = (
        f"at the threshold: {catalogue.AT_THRESHOLD_TEXT}; "
        + ("not built: " + ", ".join(map(catalogue.phase_label, removed)) if removed else "every gated phase is built")
        + f"; NPV committed (every gate open): {catalogue.format_value('npv_inr_cr', committed, with_unit=True)}"
    )
    return table

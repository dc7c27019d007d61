"""Yearly lines a batch can return as KPIs, one year each (``"<line>@FY30"``): for goal seeks and breakevens on
one year of a line, e.g. the year a local cell's full cost meets the imported cell it replaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tem.model.inputs import Inputs

if TYPE_CHECKING:
    from tem.model.engine import Outcome


def _local_full_minus_imported(o: Outcome) -> np.ndarray:
    from tem.model.kpis import local_cell_full_cost, replaced_cell_landed

    full = local_cell_full_cost(o.volumes, o.unit_costs, o.capex, o.operations)
    return full - replaced_cell_landed(o.volumes, o.unit_costs)


def _local_variable_minus_imported(o: Outcome) -> np.ndarray:
    from tem.model.kpis import replaced_cell_landed

    gap = o.unit_costs.local_cell - replaced_cell_landed(o.volumes, o.unit_costs)
    return np.where(o.volumes.local_cells_gwh > 0, gap, np.nan)


YEAR_LINES: dict[str, Callable[[Outcome], np.ndarray]] = {
    "local_cell_full_minus_imported_inr_per_kwh": _local_full_minus_imported,
    "local_cell_variable_minus_imported_inr_per_kwh": _local_variable_minus_imported,
    "imported_cell_landed_inr_per_kwh": lambda o: o.unit_costs.imported_cell,
    "dva_share": lambda o: o.operations.dva_share,
    "free_cash_flow_inr_cr": lambda o: o.cash.free_cash_flow,
    "ebitda_inr_cr": lambda o: o.operations.ebitda,
    "local_cells_gwh": lambda o: o.volumes.local_cells_gwh,
}


def parse_year_line(inp: Inputs, spec: str) -> tuple[str, str, int]:
    from tem.assumptions.yearly import parse_fy
    from tem.errors import BatchInputError

    line, _, fy_text = spec.partition("@")
    if line not in YEAR_LINES or not fy_text:
        raise BatchInputError(f"{spec!r}: write <line>@FY30 with a line from {sorted(YEAR_LINES)}")
    try:
        fy = parse_fy(fy_text, inp.structure.first_fy)
    except ValueError as exc:
        raise BatchInputError(f"{spec!r}: {exc}") from None
    t = fy - inp.structure.first_fy
    if not 0 <= t < inp.structure.n_years:
        raise BatchInputError(f"{spec!r}: {fy_text} is outside the horizon")
    return spec, line, t

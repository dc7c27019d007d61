"""The program as a sequence of decisions: nested programs, each adding phases to the one before, with the NPV,
IRR, peak funding and DVA of each and the increment each step adds (README, "Decisions").

Steps come from ``decisions`` in the assumptions, or by default from the phase kinds: (1) the pack business on
imported cells (every phase that is not a module line, cell plant or recycling line), (2) + the module line and
the first cell plant (the pilot line), (3) + the other cell plants, (4) + recycling; empty steps are skipped.
Phases no step names belong to the first. A program without a cell plant makes no local cells and pays no
technology fee (as the import-only counterfactual). ``tem decisions`` runs every program committed (gates open),
so each step's increment is the value of that decision taken on its own; the board summary runs them with their
gates decided, so the steps add up to the program as run. All programs are one engine batch.

Increments: step k minus step k-1 for NPV, peak funding and DVA; the increment's IRR is the IRR of the
difference of the two free cash flows (:func:`tem.finance.irr`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tem.assumptions.schema import Assumptions
from tem.finance import irr, peak_funding
from tem.model.engine import run_batch_inputs
from tem.model.inputs import Inputs, build_inputs

DEFAULT_STEPS = (
    ("pack_business", "Pack business on imported cells"),
    ("pilot_cells", "+ module line and pilot cells"),
    ("cell_plants", "+ cell plants"),
    ("recycling", "+ recycling"),
)
PHASE_FIELDS = ("capex_inr_cr", "capacity_gwh", "fixed_opex_inr_cr")


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    phases: tuple[str, ...]  # the phases this step adds


@dataclass(frozen=True)
class Decisions:
    """``table``: one row per step with its program's KPIs (``npv_inr_cr``, ``irr``, ``peak_funding_inr_cr``,
    ``dva_share_fyXX``) and the increment over the step before (``*_increment``; the first step's increment is
    the step itself)."""

    scenario: str
    steps: tuple[Step, ...]
    table: pd.DataFrame
    dva_fy: int | None  # the FY whose DVA is shown


def decision_steps(a: Assumptions) -> tuple[Step, ...]:
    """The steps of ``a``: its ``decisions`` block or the default by phase kind (module docstring)."""
    names = [p.name for p in a.capex.phases]
    if a.decisions:
        listed = {n for s in a.decisions for n in s.phases}
        rest = tuple(n for n in names if n not in listed)
        steps = [Step(s.name, s.label or s.name, tuple(s.phases)) for s in a.decisions]
        return (Step(steps[0].name, steps[0].label, rest + steps[0].phases), *steps[1:])
    kinds = {p.name: p.kind for p in a.capex.phases}
    cells = [n for n in names if kinds[n] == "cell_plant"]
    groups = {
        "pack_business": [n for n in names if kinds[n] not in ("module_line", "cell_plant", "recycling")],
        "pilot_cells": [n for n in names if kinds[n] == "module_line"] + cells[:1],
        "cell_plants": cells[1:],
        "recycling": [n for n in names if kinds[n] == "recycling"],
    }
    return tuple(Step(key, label, tuple(groups[key])) for key, label in DEFAULT_STEPS if groups[key])


def program_values(inp: Inputs, steps: tuple[Step, ...]) -> dict[str, np.ndarray]:
    """Per-scenario values (one scenario per step) that leave out the phases of later steps."""
    k = len(steps)
    values: dict[str, np.ndarray] = {}
    cell_kinds = {p.name for p in inp.structure.phases if p.kind == "cell_plant"}
    has_cells = np.zeros(k, dtype=bool)
    for j, step in enumerate(steps):
        for phase in step.phases:
            built = np.arange(k) >= j
            has_cells |= built & (phase in cell_kinds)
            for name in PHASE_FIELDS:
                path = f"capex.phases.{phase}.{name}"
                values[path] = inp[path].reshape(-1)[0] * built.astype(float)
    # without a cell plant there is no cell capacity, so no local cells whatever the start year
    fee = np.broadcast_to(inp["cells.local.technology_fee_usd_m"], (1, inp.structure.n_years))
    values["cells.local.technology_fee_usd_m"] = fee * has_cells[:, None]
    return values


def decisions(a: Assumptions, gates: str = "open") -> Decisions:
    """The incremental table of the nested programs of ``a`` (module docstring). ``gates="decide"`` runs each
    program with its gates decided, as the scenario runs: the last step is then the program as run, so the steps'
    increments add up to the run's NPV (the board summary); ``"open"`` (default, ``tem decisions``) commits every
    phase."""
    inp = build_inputs(a)
    steps = decision_steps(a)
    fys = [int(fy) for fy in inp.fiscal_years]
    lines = [f"free_cash_flow_inr_cr@FY{fy % 100:02d}" for fy in fys]
    k = run_batch_inputs(inp, program_values(inp, steps), year_lines=lines, gates=gates, workers=1)
    fcf = np.column_stack([k[line] for line in lines])
    dva_fy = max(inp.structure.dva_fys) if inp.structure.dva_fys else None
    dva_key = None if dva_fy is None else f"dva_share_fy{dva_fy % 100:02d}"
    previous = np.vstack([np.zeros((1, fcf.shape[1])), fcf[:-1]])
    increment_fcf = fcf - previous
    rows = []
    for j, step in enumerate(steps):
        row = {
            "step": step.name,
            "label": step.label,
            "phases_added": ", ".join(step.phases),
            "npv_inr_cr": float(k["npv_inr_cr"][j]),
            "irr": float(k["irr"][j]),
            "peak_funding_inr_cr": float(k["peak_funding_inr_cr"][j]),
            "npv_increment_inr_cr": float(k["npv_inr_cr"][j] - (k["npv_inr_cr"][j - 1] if j else 0.0)),
            "irr_increment": float(irr(increment_fcf[j : j + 1]).rate[0]),
            "peak_funding_increment_inr_cr": float(
                k["peak_funding_inr_cr"][j] - (k["peak_funding_inr_cr"][j - 1] if j else 0.0)
            ),
            "standalone_peak_funding_increment_inr_cr": float(peak_funding(increment_fcf[j : j + 1])[0]),
        }
        if dva_key is not None:
            row["dva_share"] = float(k[dva_key][j])
            row["dva_share_increment"] = float(k[dva_key][j] - (k[dva_key][j - 1] if j else 0.0))
        rows.append(row)
    return Decisions(a.name, steps, pd.DataFrame(rows), dva_fy)

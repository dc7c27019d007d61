"""``tem decisions``: the program as nested decisions, with the increment each step adds (README, "Decisions")."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tem.cli.common import app, guard, json_text, out, parse_sets, tell

if TYPE_CHECKING:  # the analysis (pandas) loads when the command runs
    from rich.table import Table

    from tem.analysis.scenarios.decisions import Decisions


def _rate(x: float) -> str:
    return "none" if math.isnan(x) else f"{x:.1%}"


def _money(x: float, signed: bool = False) -> str:
    return "none" if math.isnan(x) else (f"{x:+,.0f}" if signed else f"{x:,.0f}")


def decisions_table(d: Decisions) -> Table:
    """Each step's program (NPV, IRR, peak funding, DVA) and the increment over the step before."""
    from rich.table import Table

    from tem import catalogue

    table = Table(
        title=f"{d.scenario}: the program as decisions (each step adds its phases to the ones above; gates open)",
        header_style="bold",
    )
    dva = f"DVA FY{d.dva_fy % 100:02d}" if d.dva_fy is not None else None
    heads = ["step", "NPV", "+ NPV", "IRR", "IRR of step", "peak funding", "+ peak funding"]
    heads += [dva, "+ DVA"] if dva else []
    for h in heads:
        table.add_column(h, justify="left" if h == "step" else "right", overflow="fold")
    for row in d.table.to_dict("records"):
        cells = [
            f"{row['label']} ({', '.join(map(catalogue.phase_label, row['phases_added'].split(', ')))})",
            _money(row["npv_inr_cr"]),
            _money(row["npv_increment_inr_cr"], True),
            _rate(row["irr"]),
            _rate(row["irr_increment"]),
            _money(row["peak_funding_inr_cr"]),
            _money(row["peak_funding_increment_inr_cr"], True),
        ]
        if dva:
            cells += [_rate(row["dva_share"]), catalogue.format_difference("dva_share", row["dva_share_increment"])]
        table.add_row(*cells)
    unit = catalogue.unit("npv_inr_cr")
    table.caption = f"money in {unit}; + = the increment over the step above; IRR of step = IRR of the incremental cash flow"
    return table


@app.command("decisions")
def decisions_cmd(
    file: Annotated[Path, typer.Argument(help="Assumption file.")] = Path("assumptions/base.yaml"),
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON on stdout.")] = False,
) -> None:
    """The incremental table of nested programs: NPV, IRR, peak funding and DVA of each step and its increment.

    Steps come from `decisions` in FILE, or by phase kind (pack business on imported cells; + module line and
    pilot cells; + cell plants; + recycling). Exit code 2: a mistake in the assumptions or --set.
    """

    def go() -> None:
        from tem.analysis.scenarios.decisions import decisions
        from tem.assumptions.loader import load as load_file
        from tem.exports.manifest import jsonable

        a = load_file(file, parse_sets(set_ or []), override_source="--set")
        d = decisions(a)
        if as_json:
            doc = {"scenario": d.scenario, "dva_fy": d.dva_fy, "steps": d.table.to_dict(orient="records")}
            sys.stdout.write(json_text(jsonable(doc)))
            return
        out.print(decisions_table(d))
        if d.dva_fy is None:
            tell("note:", "no DVA columns: reporting.dva_fys is not given (e.g. --set 'reporting.dva_fys=[2030]')")

    guard(go)

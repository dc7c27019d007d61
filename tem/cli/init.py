"""``tem init NAME``: start a scenario file that extends the base case, with the common overrides as comments.

The new file ``<dir>/NAME.yaml`` holds ``extends`` (the base file, relative to the new file), ``name`` and a
``description``; every example override is commented out, so the file loads and gives exactly the base case
until it is edited. Each example notes the base file's value as it was when the file was made. An existing
file is never overwritten. Exit code 2: a bad NAME, an existing file or a bad base file (nothing written);
exit code 1: the file cannot be written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from tem.cli.common import app, guard, out
from tem.errors import TemError

if TYPE_CHECKING:  # the reader and the helpers below are imported when the command runs
    from tem.assumptions.schema import Assumptions

NAME_RULE = re.compile(r"[A-Za-z0-9_]{1,60}")
DEFAULT_DIR = Path("assumptions/scenarios")
DEFAULT_BASE = Path("assumptions/base.yaml")

HEADER = """\
# Scenario {name}: the base case ({extends}) with the changes below.
# Made by `tem init {name}`. Every change below is commented out, so as it stands this file gives exactly the
# base case. To change an input, delete the "# " in front of its line AND in front of the lines that open its
# blocks above it (for the imported cell price: "cells:", "imported:" and the price line), keeping the
# indentation (two spaces a level); lines starting with "##" are explanations. Inputs you do not set keep the
# base file's values; "base:" notes show them as they were when this file was made.
#
# Units are in the key names: money in INR crore (_inr_cr), prices per kWh in USD or INR, volumes in GWh a year.
# Rates and shares are fractions (0.10 = 10%). Fiscal years are numbers: 2030 = FY30 = April 2029 to March 2030.
# A yearly input takes a number, a growth path {{start: 52.0, growth: -0.03}}, FY points
# {{FY26: 52.0, FY30: 46.0, interpolation: linear}} (the value holds between points unless linear) or one value per
# year; every path is nominal. The top-level README.md ("Assumption files") has all the rules.
#
#   check:    python3 -m tem validate {path}
#   run:      python3 -m tem run {path}
#   compare:  python3 -m tem compare {base_path} {path}
extends: {extends}
name: {name_yaml}
description: {description}
"""

# (title lines, example lines): each example line is (YAML as it reads once uncommented, the dotted path whose base
# value it notes, or None). A line with "{}" is a note of its own, left out when the base file has no such path.
EXAMPLES: list[tuple[tuple[str, ...], list[tuple[str, str | None]]]] = [
    (
        ("Discount rate (nominal INR WACC; cash flows at year end, valued at the start of the first FY)",),
        [
            ("timeline:", None),
            ("  discount_rate: 0.13", "timeline.discount_rate"),
        ],
    ),
    (
        (
            "Imported cells: price path (USD/kWh FOB China; the example is about 8% below the base), basic customs",
            "duty (fractions; the example: 20% on EV cells once the 5% concession ends), and the ACC PLI",
        ),
        [
            ("cells:", None),
            ("  imported:", None),
            ("    fob_price_usd_per_kwh: {FY26: 48.0, FY30: 42.0, FY36: 38.0, interpolation: linear}", None),
            ("    # base: {}", "cells.imported.fob_price_usd_per_kwh"),
            ("    bcd_rate_vehicle: {FY26: 0.05, FY29: 0.20}", None),
            ("    # base: {}", "cells.imported.bcd_rate_vehicle"),
            ("    bcd_rate_ess: 0.15", "cells.imported.bcd_rate_ess"),
            ("  local:", None),
            ("    pli:", None),
            ("      enabled: true", "cells.local.pli.enabled"),
            ("      # rate, DVA thresholds, term and caps: cells.local.pli in the base file", None),
        ],
    ),
    (
        (
            "Selling prices: captive packs at own variable cost x (1 + markup), an arm's-length transfer price;",
            "OEM and ESS packs at the landed imported pack x (1 + price_premium); the examples are 5 points above",
        ),
        [
            ("demand:", None),
            ("  captive:", None),
            ("    markup: {FY26: 0.02, FY28: 0.20}", None),
            ("    # base: {}", "demand.captive.markup"),
            ("  external_oem:", None),
            ("    price_premium: 0.02", None),
            ("    # base: {}", "demand.external_oem.price_premium"),
            ("  ess:", None),
            ("    price_premium: 0.02", None),
            ("    # base: {}", "demand.ess.price_premium"),
        ],
    ),
    (
        ("Start of local cells (FY of the first cells made in India); move the pilot line (below) with it",),
        [
            ("transition:", None),
            ("  local_cells_start_fy: 2030", "transition.local_cells_start_fy"),
        ],
    ),
    (
        (
            "Cell plants: capex (INR crore) and commissioning FY. Phases merge by name: name the phase, then only",
            "the keys you change. Capex is spent over the spend profile's years ending in the commissioning FY.",
        ),
        [
            ("capex:", None),
            ("  phases:", None),
            ("    - name: pilot_cell_line", None),
            ("      commissioning_fy: 2030", "capex.phases.pilot_cell_line.commissioning_fy"),
            ("    - name: cell_plant_1", None),
            ("      capex_inr_cr: 3000.0", "capex.phases.cell_plant_1.capex_inr_cr"),
            ("      commissioning_fy: 2032", "capex.phases.cell_plant_1.commissioning_fy"),
        ],
    ),
]
NOTE_COLUMN = 48


class InitError(TemError):
    """``tem init`` refused (bad name, the file exists)."""


def check_name(name: str) -> None:
    """NAME: letters, digits and underscores, 1-60 characters."""
    if not NAME_RULE.fullmatch(name):
        raise InitError(
            f"bad scenario name {name!r}: use letters, digits and underscores only (1-60 characters), "
            "e.g. tem init high_duty"
        )


def check_not_base(name: str, base: Assumptions) -> None:
    """NAME must differ from the base case's own name: both would write to the same output folder."""
    if name == base.name:
        raise InitError(
            f"{name!r} is the name of the base case itself; both would write to outputs/{name}/: pick another name"
        )


def _yaml_scalar(text: str) -> str:
    """``text`` as a YAML string: plain when YAML reads it back as the same string, quoted otherwise."""
    return text if yaml.safe_load(text) == text else "'" + text.replace("'", "''") + "'"


def _extends(base: Path, folder: Path) -> str:
    """The base file's path relative to the new file's folder (absolute when there is none, e.g. another drive)."""
    try:
        return Path(os.path.relpath(base.resolve(), folder.resolve())).as_posix()
    except ValueError:
        return base.resolve().as_posix()


def _examples(base: Assumptions) -> str:
    from tem.analysis.scenarios.compare import compact
    from tem.assumptions.walk import iter_leaves
    from tem.exports.manifest import jsonable

    values: dict[str, Any] = {leaf.path: jsonable(leaf.value) for leaf in iter_leaves(base)}
    blocks = []
    for title, lines in EXAMPLES:
        text = [f"## --- {title[0]}", *(f"##     {more}" for more in title[1:])]
        for line, path in lines:
            note = compact(values[path]) if path is not None and path in values else None
            if "{}" in line:
                if note is None:
                    continue
                line = line.replace("{}", note)
            elif note is not None:
                line = f"{line.ljust(NOTE_COLUMN)}# base: {note}"
            text.append(f"# {line}")
        blocks.append("\n".join(text))
    return "\n\n".join(blocks) + "\n"


def scenario_text(name: str, base: Assumptions, base_path: Path, folder: Path) -> str:
    """The content of the new scenario file."""
    path = (folder / f"{name}.yaml").as_posix()
    header = HEADER.format(
        name=name,
        name_yaml=_yaml_scalar(name),
        extends=_extends(base_path, folder),
        description=_yaml_scalar(f"{name}: the base case; say here what this scenario changes and why"),
        path=path,
        base_path=base_path.as_posix(),
    )
    return header + "\n" + _examples(base)


@app.command("init")
def init_cmd(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Scenario name: letters, digits and underscores; the file is NAME.yaml.")
    ],
    folder: Annotated[Path, typer.Option("--dir", help="Folder of the new file.")] = DEFAULT_DIR,
    base: Annotated[Path, typer.Option("--base", help="The assumption file the scenario extends.")] = DEFAULT_BASE,
) -> None:
    """Start a scenario: write <dir>/NAME.yaml extending the base case, with common overrides as comments.

    As written the file gives exactly the base case; uncomment and edit the lines you want to change.
    Never overwrites a file (exit code 2).
    """

    def go() -> None:
        from tem.assumptions.loader import load as load_file
        from tem.exports.writer import write_files

        check_name(name)
        target = folder / f"{name}.yaml"
        if target.exists() or target.is_symlink():
            raise InitError(f"{target} already exists; it is left as it is. Pick another NAME, or edit that file.")
        base_set = load_file(base)
        check_not_base(name, base_set)
        write_files(folder, {target.name: scenario_text(name, base_set, base, folder)})
        out.print(f"wrote {target} (the base case until you edit it)", highlight=False)
        out.print(f"next: edit it, then python3 -m tem validate {target.as_posix()}", highlight=False)

    guard(go)

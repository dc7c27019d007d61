"""``tem compare A.yaml B.yaml ...``: scenarios side by side, and the bridge of a KPI from the first to each other.

Writes ``outputs/compare_<a>_vs_<b>/`` (``outputs/compare/`` for more than two scenarios): workbook, CSVs,
JSON, charts and a manifest (:mod:`tem.analysis.scenarios.export`). A bridge that cannot be made (the two
scenarios differ in structure, or the KPI is undefined for some mix of their inputs) is skipped with a note
and listed in the outputs; the comparison itself is still written. Exit code 2: a mistake in a file, ``--set``
or ``--kpi`` (nothing written); exit code 1: an output cannot be written.
"""

from __future__ import annotations

import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tem import catalogue
from tem.cli.common import app, guard, json_text, note_png_skipped, out, parse_sets, tell

if TYPE_CHECKING:  # the analysis, its exports and pandas are imported when the command runs
    from rich.table import Table

    from tem.analysis.scenarios.bridge import Bridge, Method
    from tem.analysis.scenarios.compare import Comparison


class BridgeMethod(StrEnum):
    sequential = "sequential"
    shapley = "shapley"
    both = "both"


METHODS: dict[BridgeMethod, list[Method]] = {
    BridgeMethod.sequential: ["sequential"],
    BridgeMethod.shapley: ["shapley"],
    BridgeMethod.both: ["sequential", "shapley"],
}


def _unit(key: str) -> str:
    """The unit written after a KPI's label in the tables ('INR crore', 'INR/kWh'; '' for rates and FYs)."""
    return catalogue.KINDS[catalogue.kpi(key).kind].suffix


def _format(key: str, value: float, delta: bool) -> str:
    """A KPI value (or, with ``delta``, a signed difference: rates in percentage points, FYs in years) in the
    catalogue's format, without its unit."""
    if not math.isfinite(value):
        return "none"
    if delta:
        return catalogue.format_difference(key, value)
    kind = catalogue.KINDS[catalogue.kpi(key).kind]
    if kind.python == "fy" or kind.python.startswith("{"):
        return catalogue.format_value(key, value)
    return f"{value:,.4g}"


WIDE = 3  # more scenarios than this: one row per scenario with the key KPIs (fits a terminal of 80-120 columns)
KEY_KPIS = (  # the columns of the scenario-per-row table; every KPI is in kpis.csv and comparison.xlsx
    "npv_inr_cr",
    "irr",
    "peak_funding_inr_cr",
    "levelized_pack_cost_inr_per_kwh",
    "crossover_fy",
)


def comparison_table(c: Comparison) -> Table:
    """KPIs of every scenario and each one's difference from the first (the KPIs of ``tem run``'s table); with more
    than :data:`WIDE` scenarios, :func:`scenario_rows` (scenarios as rows, a few key KPIs as columns)."""
    from rich.table import Table

    if len(c.names) > WIDE:
        return scenario_rows(c)
    table = Table(title=f"Comparison: KPIs (differences against {c.first})", header_style="bold")
    table.add_column("KPI")
    for n in c.names:
        table.add_column(n, justify="right")
    for n in c.names[1:]:
        table.add_column(f"{n} - {c.first}", justify="right")
    keys = [k for k in catalogue.HEADLINE_KPIS if k in c.kpis.index]
    keys += [k for k in c.kpis.index if k.startswith("dva_share_fy")]
    cols = [str(col) for col in c.kpis.columns if col != "unit"]
    numbers = c.kpis[cols].to_numpy(dtype=float)
    rows = {str(k): dict(zip(cols, (float(x) for x in r), strict=True)) for k, r in zip(c.kpis.index, numbers, strict=True)}
    for key in keys:
        row = rows[key]
        values = [_format(key, row[n], False) for n in c.names]
        deltas = [_format(key, row[f"{n} - {c.first}"], True) for n in c.names[1:]]
        unit = _unit(key)
        label = catalogue.label(key)
        table.add_row(f"{label} [{unit}]" if unit else label, *values, *deltas)
    return table


def scenario_rows(c: Comparison) -> Table:
    """One row per scenario: the key KPIs (:data:`KEY_KPIS`) and NPV's difference from the first scenario. Headers
    with units from the catalogue; the caption points to the full table (kpis.csv, comparison.xlsx)."""
    from rich import box
    from rich.table import Table

    keys = [k for k in KEY_KPIS if k in c.kpis.index]
    cols = [str(col) for col in c.kpis.columns if col != "unit"]
    numbers = c.kpis.loc[keys, cols].to_numpy(dtype=float)
    at = {(k, col): float(numbers[i, j]) for i, k in enumerate(keys) for j, col in enumerate(cols)}
    columns: list[tuple[str, list[str]]] = [("scenario", list(c.names))]
    for k in keys:
        unit = _unit(k)
        values = [_format(k, at[(k, n)], False) for n in c.names]
        columns.append((catalogue.label(k) + (f" [{unit}]" if unit else ""), values))
        if k == "npv_inr_cr":
            deltas = [
                "" if n == c.first else _format(k, at[(k, f"{n} - {c.first}")], True) for n in c.names
            ]
            columns.append((f"NPV minus {c.first}", deltas))
    table = Table(
        title=f"Comparison: key KPIs of {len(c.names)} scenarios",
        header_style="bold",
        caption="Every KPI and difference: kpis.csv and comparison.xlsx (sheet KPIs) in the output folder.",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for j, (head, cells) in enumerate(columns):  # as wide as its widest cell or header word: headers wrap by word
        width = max(*(len(x) for x in cells), *(len(word) for word in head.split()))
        table.add_column(head, justify="left" if j == 0 else "right", width=width)
    for i in range(len(c.names)):
        table.add_row(*(cells[i] for _, cells in columns))
    return table


def bridge_table(bridges: list[Bridge]) -> Table:
    """One bridge (A to B, one KPI) by each method side by side: start, groups, end."""
    from rich.table import Table

    from tem.analysis.scenarios.export import kpi_label

    first = bridges[0]
    unit = _unit(first.kpi)
    title = f"Bridge of {kpi_label(first.kpi)}{f' [{unit}]' if unit else ''}: {first.a_name} to {first.b_name}"
    table = Table(title=title, header_style="bold")
    table.add_column("step")
    for b in bridges:
        table.add_column(b.method + ("" if b.exact else f" (sampled, {b.n_permutations} orders)"), justify="right")
    groups = list(dict.fromkeys(g for b in bridges for g in b.groups))

    def fmt(x: float, sign: bool = False) -> str:
        return _format(first.kpi, x, sign)

    table.add_row(f"{first.a_name} (A)", *[fmt(b.kpi_a) for b in bridges])
    for g in groups:
        cells = []
        for b in bridges:
            parts = dict(zip(b.groups, b.contributions, strict=True))
            text = fmt(parts.get(g, 0.0), True)
            if b.standard_errors is not None:
                se = dict(zip(b.groups, b.standard_errors, strict=True)).get(g, 0.0)
                text += f" ± {catalogue.format_difference(first.kpi, se, signed=False)}"
            cells.append(text)
        table.add_row(f"  {catalogue.group_label(g)}", *cells)
    table.add_row(f"{first.b_name} (B)", *[fmt(b.kpi_b) for b in bridges])
    return table


@app.command("compare")
def compare_cmd(
    files: Annotated[list[Path], typer.Argument(help="Two or more assumption files; the first is the reference.")],
    kpi: Annotated[str, typer.Option("--kpi", help="KPI to bridge and chart (any key of kpis.json).")] = "npv_inr_cr",
    method: Annotated[BridgeMethod, typer.Option("--method", help="Bridge method.")] = BridgeMethod.both,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE in every file.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison and bridges as JSON on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No tables; only where the outputs went.")] = False,
    png: Annotated[
        bool | None,
        typer.Option("--png/--no-png", help="Charts as PNG too (default: when Chromium is installed)."),
    ] = None,
) -> None:
    """Compare scenarios: KPI table, statement deltas, assumption diff, and the bridge of --kpi from the first
    scenario to each other (sequential and/or Shapley). Writes outputs/compare_<a>_vs_<b>/ (outputs/compare/ for
    more than two): comparison.xlsx, kpis.csv, statement_deltas.csv, assumption_diff.csv, bridges.csv,
    comparison.json, charts/, manifest.json."""

    def go() -> None:
        from tem.analysis.scenarios.bridge import BridgeError, StructureMismatchError, bridge
        from tem.analysis.scenarios.compare import ComparisonError, compare
        from tem.analysis.scenarios.export import comparison_document, comparison_folder, render_comparison_files
        from tem.assumptions.loader import load as load_file
        from tem.exports.charts.png import drawn_or_why, png_available
        from tem.exports.writer import write_files

        if len(files) < 2:
            raise ComparisonError(f"compare needs at least two assumption files, got {len(files)}")
        overrides = parse_sets(set_ or [])
        loaded = [load_file(p, overrides, override_source="--set") for p in files]
        comparison = compare(loaded)
        if kpi not in comparison.kpis.index:
            raise ComparisonError(catalogue.unknown_kpi(kpi, comparison.kpis.index))
        methods = METHODS[method]
        pairs: list[list[Bridge]] = []
        skipped: dict[str, str] = {}
        for label, other in zip(comparison.names[1:], comparison.assumptions[1:], strict=True):
            try:
                pairs.append([bridge(loaded[0], other, method=m, kpi=kpi) for m in methods])
            except (StructureMismatchError, BridgeError) as exc:
                skipped[label] = str(exc)
                tell("note:", f"no bridge to {label}: {exc}")
        bridges = [b for pair in pairs for b in pair]
        make_png = png
        if make_png is None:
            make_png, why = png_available()
            if not make_png:  # on stderr whatever --quiet and --json say: an output is missing
                note_png_skipped(why)

        def render(with_png: bool) -> dict[str, bytes | str]:
            return render_comparison_files(comparison, bridges, kpi, png=with_png, skipped=skipped)

        drawn, failed = drawn_or_why(lambda: render(make_png)) if png is None else (render(make_png), None)
        if failed is not None:  # PNGs by default, not asked for: every other file is still written
            note_png_skipped(failed)
        rendered = drawn if drawn is not None else render(False)
        folder = out_dir / comparison_folder(comparison)
        write_files(folder, rendered)
        if as_json:
            document: dict[str, Any] = comparison_document(comparison, bridges, skipped)
            document["outputs"] = str(folder)
            sys.stdout.write(json_text(document))
            return
        if not quiet:
            out.print(comparison_table(comparison))
            for pair in pairs:
                out.print(bridge_table(pair))
        out.print(f"outputs written to {folder}/", soft_wrap=True, highlight=False)

    guard(go)

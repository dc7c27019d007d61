"""``tem sweep`` (tornado, spider, data table) and ``tem goalseek`` (breakeven of one input)."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.text import Text

from tem import catalogue
from tem.cli.common import app, err, guard, note_png_skipped, out, parse_sets, run_folder, writing
from tem.errors import BatchInputError, OptionError

if TYPE_CHECKING:  # imported when a command runs
    from tem.analysis.sensitivity.sweeps import Axis
    from tem.model.inputs import Inputs

DEFAULT_SPEC = Path("assumptions/sweeps/tornado.yaml")


def _axis(flag: str, text: str, inp: Inputs) -> Axis:
    """'path:low:high:steps' -> a data-table axis, checked against the inputs (the flag and text named on error)."""
    from tem.analysis.sensitivity.sweeps import axis, check_axis

    parts = text.split(":")
    if len(parts) != 4:
        raise BatchInputError(f"{flag} {text!r}: write PATH:LOW:HIGH:STEPS, e.g. timeline.discount_rate:0.1:0.15:11")
    try:
        low, high, steps = float(parts[1]), float(parts[2]), int(parts[3])
    except ValueError:
        raise BatchInputError(f"{flag} {text!r}: LOW and HIGH must be numbers and STEPS a whole number") from None
    if not low < high:  # as tem goalseek: a range runs from LOW up to HIGH
        raise BatchInputError(f"{flag} {text!r}: LOW must be below HIGH")
    try:
        ax = axis(parts[0], low=low, high=high, steps=steps)
        check_axis(inp, ax)
    except BatchInputError as exc:
        raise BatchInputError(f"{flag} {text!r}: {exc}") from None
    return ax


def _input_label(path: str) -> str:
    """The input's name as ``tem sweep`` shows it: its label in the default sweep spec (e.g. "Imported cell price
    (FOB)"), else the dotted path (an input the spec does not sweep, or no spec readable)."""
    from tem.analysis.sensitivity.spec import SweepSpec
    from tem.analysis.specio import load_spec
    from tem.errors import TemError

    try:
        spec = load_spec(DEFAULT_SPEC, SweepSpec)
    except TemError:
        return path
    return next((p.name for p in spec.parameters if p.path == path), path)


def _typed(flag: str, value: float) -> object:
    """The text given to ``flag`` on the command line (the last one), for an error that must echo what was typed
    (``--target 1e400`` reads as inf); ``value`` when it cannot be found."""
    args = sys.argv[1:]
    given = [
        arg.partition("=")[2] if arg.startswith(flag + "=") else args[i + 1]
        for i, arg in enumerate(args)
        if arg.startswith(flag + "=") or (arg == flag and i + 1 < len(args))
    ]
    return given[-1] if given else value


def _charts(figures: dict[str, Any], png: bool) -> dict[str, bytes]:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    from tem.exports.charts.png import figure_png

    files: dict[str, bytes] = {"charts/plotly.min.js": get_plotlyjs().encode()}
    for name, fig in figures.items():
        files[f"charts/{name}.html"] = pio.to_html(fig, include_plotlyjs="directory", full_html=True).encode()
        if png:
            files[f"charts/{name}.png"] = figure_png(fig, 1200, 700, 1)
    return files


@app.command("sweep")
def sweep_cmd(
    file: Annotated[Path, typer.Argument(help="Assumption file.")] = Path("assumptions/base.yaml"),
    spec_path: Annotated[Path, typer.Option("--spec", help="Sweep specification.")] = DEFAULT_SPEC,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")] = None,
    kpi: Annotated[list[str] | None, typer.Option("--kpi", help="KPI(s) to report (default: the spec's).")] = None,
    table_x: Annotated[
        str | None, typer.Option("--x", help="Data table columns: PATH:LOW:HIGH:STEPS (<= 50 steps).")
    ] = None,
    table_y: Annotated[str | None, typer.Option("--y", help="Data table rows: PATH:LOW:HIGH:STEPS.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
    gates: Annotated[
        str,
        typer.Option(
            "--gates",
            help="decide: each scenario takes its own gate decisions (the plan as run); open: every gate open "
            "(the committed program).",
        ),
    ] = "decide",
) -> None:
    """Tornado and spider for every KPI of the spec (and a two-way data table with --x and --y); writes
    outputs/<scenario>/sweep/ (workbook, charts, CSVs, manifest)."""

    def go() -> None:
        from rich.table import Table

        from tem.analysis.sensitivity.export import (
            heatmap_figure,
            input_text,
            render_sensitivity_workbook,
            spider_figure,
            tornado_figure,
        )
        from tem.analysis.sensitivity.spec import SweepSpec
        from tem.analysis.sensitivity.sweeps import data_table, spider, tornado
        from tem.analysis.specio import load_spec
        from tem.api import run as run_model
        from tem.assumptions.loader import load as load_file
        from tem.exports.charts.png import drawn_or_why, png_available
        from tem.exports.manifest import build_manifest, jsonable, with_outputs
        from tem.exports.safe_text import csv_text
        from tem.exports.writer import write_files
        from tem.model.inputs import build_inputs

        a = load_file(file, parse_sets(set_ or []), override_source="--set")
        spec = load_spec(spec_path, SweepSpec)
        kpis = kpi or spec.kpis
        if (table_x is None) != (table_y is None):
            raise BatchInputError("a data table needs both --x and --y")
        if gates not in ("decide", "open"):
            raise BatchInputError(f"--gates {gates!r}: allowed are decide and open")
        inp = build_inputs(a)  # every option checked before anything runs
        axes = (_axis("--x", table_x, inp), _axis("--y", table_y, inp)) if table_x and table_y else None
        if axes is not None and axes[0].path == axes[1].path:
            raise BatchInputError(f"--x and --y: both vary {axes[0].path}; a data table needs two different inputs")
        with err.status("sweeping...", spinner="dots") if not quiet else _null():
            tornadoes = tornado(a, spec, kpi or None, kpi_source="--kpi", gates=gates)
            spiders = {k: spider(a, spec, k, gates) for k in kpis}
            grids = {kpis[0]: data_table(a, *axes, kpis[0], gates)} if axes else {}
        # the committed program's sweep (every gate open) is another question: its own folder and titles
        committed = gates == "open" and bool(inp.structure.gates)
        title = f"{a.name} (committed: every gate open)" if committed else a.name
        png = png_available()[0]
        figures: dict[str, Any] = {f"tornado_{k}": tornado_figure(t, title) for k, t in tornadoes.items()}
        figures |= {f"spider_{k}": spider_figure(s, k, title) for k, s in spiders.items()}
        bases = {k: t.base for k, t in tornadoes.items()}
        figures |= {f"data_table_{k}": heatmap_figure(g, k, title, bases.get(k)) for k, g in grids.items()}
        workbook = render_sensitivity_workbook(title, tornadoes, spiders, grids, bases)
        files: dict[str, bytes | str] = {"sensitivity.xlsx": workbook}
        charts, failed = drawn_or_why(lambda: _charts(figures, png))  # PNGs are a default here, never asked for
        if failed is not None:
            note_png_skipped(failed)
            charts = _charts(figures, False)
        files.update(charts or {})
        for k, t in tornadoes.items():
            files[f"tornado_{k}.csv"] = csv_text(t.table, index=False)
            files[f"spider_{k}.csv"] = csv_text(spiders[k])
        for k, g in grids.items():
            files[f"data_table_{k}.csv"] = csv_text(g)
        manifest = build_manifest(a, run_model(a))
        manifest["sweep_spec"] = {"path": str(spec_path), "sha256": hashlib.sha256(spec_path.read_bytes()).hexdigest()}
        manifest["gates"] = gates if inp.structure.gates else "none"
        files["manifest.json"] = json.dumps(jsonable(with_outputs(manifest, files)), indent=2) + "\n"
        folder = out_dir / run_folder(a.name, a.overrides) / ("sweep_committed" if committed else "sweep")
        with writing(f"writing {len(files)} files to {folder}/...", quiet or as_json):
            write_files(folder, files)
        payload = {k: {"base": t.base, "tornado": t.table.to_dict(orient="records")} for k, t in tornadoes.items()}
        if as_json:
            sys.stdout.write(json.dumps(jsonable(payload), indent=2) + "\n")
            return
        for k, t in tornadoes.items():
            base = catalogue.format_value(k, t.base, with_unit=True)
            table = Table(title=f"{title}: tornado of {catalogue.label(k)} (base {base})")
            unit = catalogue.unit_column(k) or catalogue.label(k)  # "INR crore at low"; "IRR at low", not "% at low"
            shown = t.table.head(12)
            gated = bool((shown["gates_low"] != "").any() or (shown["gates_high"] != "").any())
            cols = ["parameter", "low input", "high input", f"{unit} at low", f"{unit} at high", "swing"]
            for col in cols + (["gate decisions unlike the base (low; high)"] if gated else []):
                table.add_column(col, justify="left" if col == "parameter" or col.startswith("gate") else "right")
            for r in shown.itertuples():
                extra = [f"{str(r.gates_low) or '-'}; {str(r.gates_high) or '-'}"] if gated else []
                table.add_row(
                    str(r.label),
                    input_text(str(r.parameter), float(cast(float, r.low_input)), with_unit=True),
                    input_text(str(r.parameter), float(cast(float, r.high_input)), with_unit=True),
                    catalogue.format_value(k, cast(float, r.kpi_low)),
                    catalogue.format_value(k, cast(float, r.kpi_high)),
                    # a difference of two values: a rate's in percentage points, a year's in years (catalogue)
                    catalogue.format_difference(k, cast(float, r.swing), signed=False),
                    *extra,
                )
            out.print(table)
        out.print(f"outputs written to {folder}/")

    guard(go)


@app.command("goalseek")
def goalseek_cmd(
    file: Annotated[Path, typer.Argument(help="Assumption file.")] = Path("assumptions/base.yaml"),
    path: Annotated[
        str, typer.Option("--path", help="Input to solve for (dotted path).")
    ] = "cells.imported.fob_price_usd_per_kwh",
    kpi: Annotated[str, typer.Option("--kpi", help="KPI to reach.")] = "incremental_npv_vs_import_inr_cr",
    target: Annotated[float, typer.Option("--target", help="Value the KPI must reach.")] = 0.0,
    low: Annotated[float, typer.Option("--low", help="Search from this input value.")] = 20.0,
    high: Annotated[float, typer.Option("--high", help="Search up to this input value.")] = 120.0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """The value of one input at which a KPI reaches a target (default: the imported cell price at which
    localizing adds nothing to NPV). Exit code 2 with the KPI range found when no value in the range works."""

    def go() -> None:
        from tem.analysis.sensitivity.goalseek import goal_seek
        from tem.assumptions.input_kinds import input_kind
        from tem.assumptions.loader import load as load_file
        from tem.exports.manifest import jsonable

        a = load_file(file, parse_sets(set_ or []), override_source="--set")
        options = {
            "path": "--path",
            "kpi": "--kpi",
            "target": "--target",
            "range": "--low/--high",
            "low": "--low",
            "high": "--high",
        }
        name = _input_label(path)
        for flag, x, allowed in (
            ("--target", target, f"a finite value of {catalogue.label(kpi)}"),
            ("--low", low, f"a finite number (an end of the search range for {name})"),
            ("--high", high, f"a finite number (an end of the search range for {name})"),
        ):
            if not math.isfinite(x):
                raise OptionError(flag, _typed(flag, x), allowed)
        r = goal_seek(a, path, kpi, target, low, high, sources=options, label=name)
        doc = {
            "path": r.path,
            "input_label": name,
            "kpi": r.kpi,
            "target": r.target,
            "value": r.value,
            "kpi_at_value": r.kpi_at_value,
            "base_value": r.base_value,
            "base_kpi": r.base_kpi,
            "evaluations": r.evaluations,
        }
        if as_json:
            sys.stdout.write(json.dumps(jsonable(doc), indent=2) + "\n")
            return
        kind = input_kind(path)  # the input's value in its unit and format, as every page shows it
        out.print(
            Text.assemble(
                f"{catalogue.label(kpi)} reaches {catalogue.format_value(kpi, target, with_unit=True)} at {name} = ",
                (catalogue.format_kind(kind, r.value, with_unit=True), "bold"),
                f" (base {catalogue.format_kind(kind, r.base_value, with_unit=True)} gives "
                f"{catalogue.format_value(kpi, r.base_kpi, with_unit=True)}; {r.evaluations} evaluations)",
            ),
            soft_wrap=True,
        )

    guard(go)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


__all__ = ["goalseek_cmd", "sweep_cmd"]

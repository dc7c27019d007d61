"""Command line: ``tem run``, ``tem validate``, ``tem schema``.

User mistakes (bad assumptions, bad ``--set``) print a clear message on stderr and exit with code 2, with no
traceback and no output written. Every output of a scenario is rendered in memory first and then written by
:func:`tem.exports.writer.write_files` (temporary name, then an atomic rename); an output that cannot be
written (read-only or full disk, a file open in Excel, a file where a folder should be) is reported without a
traceback with exit code 1.

Optional renderers are used when their module exists: ``tem.exports.workbook.render_workbook`` (``<scenario>.xlsx``,
off with ``--no-excel``), ``tem.exports.charts.render_charts`` (``charts/``) and ``tem.exports.report.render_report``
(``report.html``), both off with ``--no-charts``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tem import __version__
from tem.api import run as run_model
from tem.assumptions.loader import load as load_file
from tem.assumptions.schema import Assumptions
from tem.assumptions.yamlio import parse_scalar
from tem.assumptions.yearly import fy_label
from tem.errors import AssumptionError, Problem, TemError
from tem.exports.chart_files import render_charts
from tem.exports.chart_png import png_available
from tem.exports.manifest import build_manifest, jsonable, provenance_summary, resolved_yaml, with_outputs
from tem.exports.report import render_report
from tem.exports.workbook import render_workbook
from tem.exports.writer import OutputError, write_files
from tem.results import Result

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Techno-economic model of a battery localization program."
)
err = Console(stderr=True)
out = Console()

KPI_FORMATS: dict[str, tuple[str, str]] = {
    "npv_inr_cr": ("NPV", "{:,.0f} INR cr"),
    "irr": ("IRR", "{:.1%}"),
    "mirr": ("MIRR", "{:.1%}"),
    "payback_years": ("Payback", "{:.1f} years"),
    "discounted_payback_years": ("Discounted payback", "{:.1f} years"),
    "peak_funding_inr_cr": ("Peak funding", "{:,.0f} INR cr"),
    "peak_funding_fy": ("Peak funding in", "fy"),
    "total_capex_inr_cr": ("Total capex (phases)", "{:,.0f} INR cr"),
    "levelized_pack_cost_inr_per_kwh": ("Levelized pack cost", "{:,.0f} INR/kWh"),
    "levelized_pack_cost_usd_per_kwh": ("Levelized pack cost", "{:,.1f} USD/kWh"),
    "levelized_cell_cost_inr_per_kwh": ("Levelized cell cost", "{:,.0f} INR/kWh"),
    "levelized_cell_cost_usd_per_kwh": ("Levelized cell cost", "{:,.1f} USD/kWh"),
    "incremental_npv_vs_import_inr_cr": ("NPV vs import-only", "{:+,.0f} INR cr"),
    "incremental_levelized_pack_cost_inr_per_kwh": ("Pack cost vs import-only", "{:+,.0f} INR/kWh"),
    "crossover_fy": ("Local cells cheaper from (full cost)", "fy"),
    "cumulative_forex_saved_usd_m": ("Forex saved (cumulative)", "{:,.0f} USD m"),
}


def _parse_sets(sets: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    problems = []
    for item in sets:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            problems.append(
                Problem(
                    "--set", None, item, "expected PATH=VALUE, e.g. --set cells.imported.freight_and_insurance_rate=0.03"
                )
            )
            continue
        overrides[path.strip()] = parse_scalar(value)
    if problems:
        raise AssumptionError(problems)
    return overrides


def _guard(fn: Callable[[], None]) -> None:
    try:
        fn()
    except OutputError as exc:  # before TemError, its base: not the user's input, the output target
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except TemError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


def _json_text(document: Any) -> str:
    return json.dumps(jsonable(document), indent=2, allow_nan=False) + "\n"


@dataclass(frozen=True)
class OutputOptions:
    """Which optional outputs ``tem run`` makes (each only when its renderer module exists)."""

    excel: bool = True
    charts: bool = True
    png: bool | None = None  # None: PNG when a browser is available, else HTML only with a warning


def kpi_document(result: Result, manifest: dict[str, Any]) -> dict[str, Any]:
    """The content of ``kpis.json`` (and of ``--json``): scenario, KPIs and a provenance summary."""
    return {"scenario": result.name, "kpis": jsonable(result.kpis), "provenance": provenance_summary(manifest)}


def render_outputs(
    result: Result, a: Assumptions, options: OutputOptions = OutputOptions()
) -> tuple[dict[str, bytes | str], dict[str, Any]]:
    """Every output file of one scenario, rendered in memory: (relative name -> content, KPI document).

    ``manifest.json`` comes last and lists every other file with its SHA-256, so a reader can tell which
    files in the folder belong to this run.
    """
    manifest = build_manifest(a, result)
    document = kpi_document(result, manifest)
    files: dict[str, bytes | str] = {
        "statement.csv": result.statement.to_csv(float_format="%.10g"),
        "unit_costs.csv": result.unit_costs.to_csv(float_format="%.10g"),
        "tidy.csv": result.to_frame().to_csv(index=False, float_format="%.10g"),
        "resolved.yaml": resolved_yaml(a),
    }
    if options.excel:
        files[f"{_folder_name(result.name)}.xlsx"] = render_workbook(result, a, manifest)
    if options.charts:
        png = options.png
        if png is None:
            png, why = png_available()
            if not png:
                err.print(f"[yellow]note:[/] PNG charts skipped ({why}); HTML charts are written.", highlight=False)
        files.update(render_charts(result, png=png))
        files["report.html"] = render_report(result, manifest)
    files["kpis.json"] = _json_text(document)
    files["manifest.json"] = _json_text(with_outputs(manifest, files))
    return files, document


def write_run_outputs(result: Result, a: Assumptions, out_dir: Path, options: OutputOptions = OutputOptions()) -> Path:
    """Render every output in memory, then write them atomically into ``out_dir/<scenario>/``."""
    files, _ = render_outputs(result, a, options)
    folder = out_dir / _folder_name(result.name)
    write_files(folder, files)
    return folder


def _check_distinct_folders(loaded: list[tuple[Path, Assumptions]]) -> None:
    first: dict[str, Path] = {}
    problems = []
    for path, a in loaded:
        folder = _folder_name(a.name)
        if folder in first:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "name",
                    f"scenario {a.name!r} would write to the same output folder {folder!r} as {first[folder]};"
                    " give each scenario its own name",
                )
            )
        first.setdefault(folder, path)
    if problems:
        raise AssumptionError(problems)


def kpi_table(result: Result) -> Table:
    table = Table(title=f"{result.name}: KPIs", show_header=True, header_style="bold")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    k = result.kpis
    for key, (label, fmt) in KPI_FORMATS.items():
        v = k.get(key)
        text = "n/a" if v is None else (fy_label(int(v)) if fmt == "fy" else fmt.format(v))
        table.add_row(label, text)
    for fy, share in k["dva_share_by_fy"].items():
        table.add_row(f"DVA share {fy}", "n/a" if share is None else f"{share:.1%}")
    return table


@app.command("run")
def run_cmd(
    files: Annotated[list[Path] | None, typer.Argument(help="Assumption files (default assumptions/base.yaml).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (one subfolder per scenario).")] = Path("outputs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the KPIs as JSON on stdout.")] = False,
    excel: Annotated[bool, typer.Option("--excel/--no-excel", help="Write the Excel workbook <scenario>.xlsx.")] = True,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Write charts/ and report.html.")] = True,
    png: Annotated[
        bool | None,
        typer.Option("--png/--no-png", help="Charts as PNG too (default: when Chromium is installed; --png insists)."),
    ] = None,
) -> None:
    """Run scenarios; per scenario write statement.csv, unit_costs.csv, tidy.csv, kpis.json, manifest.json, resolved.yaml.

    Also the workbook <scenario>.xlsx, charts/ and report.html when those renderers are installed.

    All files of a scenario are rendered before any is written; each replaces its old version only when complete.

    Exit code 2: a mistake in the assumptions or --set (nothing written). Exit code 1: an output cannot be written.
    """
    options = OutputOptions(excel=excel, charts=charts, png=png)

    def go() -> None:
        overrides = _parse_sets(set_ or [])
        paths = files or [Path("assumptions/base.yaml")]
        # every file validated before anything is rendered or written
        loaded = [(p, load_file(p, overrides, override_source="--set")) for p in paths]
        _check_distinct_folders(loaded)
        rendered = []
        for _, a in loaded:
            result = run_model(a)
            rendered.append((result, *render_outputs(result, a, options)))
        for result, outputs, _document in rendered:
            folder = out_dir / _folder_name(result.name)
            write_files(folder, outputs)
            if not as_json:
                out.print(kpi_table(result))
                out.print(f"outputs written to {folder}/")
        if as_json:
            documents = [document for _, _, document in rendered]
            payload: Any = documents[0] if len(documents) == 1 else documents
            sys.stdout.write(_json_text(payload))

    _guard(go)


@app.command("validate")
def validate_cmd(files: Annotated[list[Path], typer.Argument(help="Assumption files to check.")]) -> None:
    """Check assumption files; report every problem (exit code 2 if any)."""
    failed = False
    for p in files:
        try:
            a = load_file(p)
            out.print(
                f"[green]ok[/] {p} ({a.name}, {a.timeline.horizon_years} years from FY{a.timeline.first_fy % 100:02d})"
            )
        except TemError as exc:
            failed = True
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(2)


@app.command("schema")
def schema_cmd(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write the JSON Schema of assumption files (for editor autocompletion)."""
    text = json.dumps(Assumptions.model_json_schema(), indent=2) + "\n"

    def go() -> None:
        if output is None:
            sys.stdout.write(text)
        else:
            write_files(output.parent, {output.name: text})

    _guard(go)


@app.command("version")
def version_cmd() -> None:
    """Print the model version."""
    out.print(__version__)


def main() -> None:
    """The ``tem`` console script."""
    app()


# Analysis commands register themselves on `app`; imported last because they import from this module.
from tem import cli_compare as _compare_commands  # noqa: E402, F401
from tem import cli_init as _init_commands  # noqa: E402, F401
from tem import cli_montecarlo as _montecarlo_commands  # noqa: E402, F401
from tem import cli_sweep as _sweep_commands  # noqa: E402, F401

if __name__ == "__main__":
    main()

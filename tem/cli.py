"""Command line: ``tem run``, ``tem validate``, ``tem schema``.

User mistakes (bad assumptions, bad ``--set``) print a clear message on stderr and exit with code 2, with no
traceback and no output written. Files are written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable
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
    except TemError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"[bold red]error:[/] cannot write output: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    return x


def kpi_document(result: Result, a: Assumptions) -> dict[str, Any]:
    return {
        "scenario": result.name,
        "kpis": _json_safe(result.kpis),
        "provenance": {
            "tem_version": __version__,
            "assumption_files": [{"path": p, "sha256": h} for p, h in a.sources],
            "overrides": {k: v for k, v in a.overrides.items()},
        },
    }


def write_run_outputs(result: Result, a: Assumptions, out_dir: Path) -> Path:
    """Render every output in memory, then write each atomically into ``out_dir/<scenario>/``."""
    folder = out_dir / _folder_name(result.name)
    rendered = {
        "statement.csv": result.statement.to_csv(float_format="%.10g"),
        "unit_costs.csv": result.unit_costs.to_csv(float_format="%.10g"),
        "tidy.csv": result.to_frame().to_csv(index=False, float_format="%.10g"),
        "kpis.json": json.dumps(kpi_document(result, a), indent=2, default=str) + "\n",
    }
    for name, text in rendered.items():
        atomic_write(folder / name, text)
    return folder


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
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the KPIs as JSON on stdout.")] = False,
) -> None:
    """Run scenarios; write statement.csv, unit_costs.csv, tidy.csv and kpis.json per scenario."""

    def go() -> None:
        overrides = _parse_sets(set_ or [])
        paths = files or [Path("assumptions/base.yaml")]
        loaded = [
            load_file(p, overrides, override_source="--set") for p in paths
        ]  # every file validated before anything is written
        results = [(run_model(a), a) for a in loaded]
        documents = []
        for result, a in results:
            folder = write_run_outputs(result, a, out_dir)
            documents.append(kpi_document(result, a))
            if not as_json:
                out.print(kpi_table(result))
                out.print(f"outputs written to {folder}/")
        if as_json:
            payload: Any = documents[0] if len(documents) == 1 else documents
            sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")

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
            atomic_write(output, text)

    _guard(go)


@app.command("version")
def version_cmd() -> None:
    """Print the model version."""
    out.print(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

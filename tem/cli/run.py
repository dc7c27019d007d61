"""Commands ``tem run``, ``tem validate``, ``tem schema`` and ``tem version``.

User mistakes (bad assumptions, bad ``--set``) print a clear message on stderr and exit with code 2, with no
traceback and no output written. Every output of a scenario is rendered in memory first and then written by
:func:`tem.exports.writer.write_files` (temporary name, then an atomic rename); an output that cannot be
written (read-only or full disk, a file open in Excel, a file where a folder should be) is reported without a
traceback with exit code 1.

Renderers: ``tem.exports.workbook.build.render_workbook`` (``<scenario>.xlsx``, off with ``--no-excel``),
``tem.exports.charts.files.render_charts`` (``charts/``) and ``tem.exports.report.page.render_report``
(``report.html``), both off with ``--no-charts``.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tem import __version__
from tem.cli.common import (
    app,
    folder_name,
    guard,
    json_text,
    labelled,
    note_png_skipped,
    out,
    parse_sets,
    run_folder,
    tell,
    writing,
)
from tem.cli.run_tables import gate_table, kpi_table
from tem.errors import AssumptionError, Problem, TemError

if TYPE_CHECKING:  # the renderers, the engine and pandas are imported when a command needs them
    from tem.assumptions.schema import Assumptions
    from tem.cli.forked import Forked, Inbox
    from tem.model.results import Result


@dataclass(frozen=True)
class OutputOptions:
    """Which optional outputs ``tem run`` makes (each only when its renderer module exists)."""

    excel: bool = True
    charts: bool = True
    png: bool | None = None  # None: PNG when a browser is available, else HTML only with a warning


def kpi_document(result: Result, manifest: dict[str, Any]) -> dict[str, Any]:
    """The content of ``kpis.json`` (and of ``--json``): scenario, KPIs and a provenance summary."""
    from tem.exports.manifest import jsonable, provenance_summary

    return {"scenario": result.name, "kpis": jsonable(result.kpis), "provenance": provenance_summary(manifest)}


def workbook_file(result: Result, a: Assumptions, manifest: dict[str, Any], summary: Any) -> bytes:
    """The workbook ``<scenario>.xlsx`` (:func:`tem.exports.workbook.build.render_workbook`), its modules imported
    here: :func:`render_outputs` computes it in a forked child, so openpyxl loads there, beside the parent's work."""
    from tem.exports.workbook.build import render_workbook

    return render_workbook(result, a, manifest, summary)


def workbook_when_sent(a: Assumptions, inbox: Inbox[tuple[Result, dict[str, Any], Any]]) -> bytes:
    """:func:`workbook_file` in a child forked before the model runs (:class:`EarlyWorkbook`): the workbook's
    modules (openpyxl's among them) load first, then the run's result, manifest and board summary are read from
    ``inbox``, as the parent sends them."""
    import tem.exports.workbook.build  # noqa: F401  (loaded while the parent runs the model)

    result, manifest, summary = inbox.get()
    return workbook_file(result, a, manifest, summary)


class EarlyWorkbook:
    """The workbook of a scenario in a child forked before the model runs: the child loads the workbook's modules
    while this process loads the engine, runs the model and makes the board summary; :meth:`start` then sends it
    those (pickled: about 0.2 MB for the base case) and it builds the workbook, the same bytes as
    :func:`workbook_file` (tests/cli/test_forked.py). The loading, about a tenth of ``tem run --no-png``'s time, is
    then off the command's longest path.

    Fork it while this process has a single thread (before the browser's start and the progress spinner): a
    module another thread is importing at the fork could never finish importing in the child. Leaving a ``with``
    block (an error, Ctrl-C) stops the child."""

    def __init__(self, a: Assumptions) -> None:
        from tem.cli.forked import Forked, Inbox

        self.inbox: Inbox[tuple[Result, dict[str, Any], Any]] = Inbox()
        self.step: Forked[bytes] = Forked(workbook_when_sent, a, self.inbox)
        self.assumptions = a

    def start(self, result: Result, manifest: dict[str, Any], summary: Any) -> Forked[bytes]:
        """Send the child what it builds from; its :meth:`~tem.cli.forked.Forked.result` is the workbook."""
        self.inbox.send((result, manifest, summary))
        return self.step

    def cancel(self) -> None:
        self.step.cancel()
        self.inbox.close()

    def __enter__(self) -> EarlyWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def chart_files(
    result: Result, manifest: dict[str, Any], summary: Any, png: bool
) -> tuple[dict[str, bytes], bytes, dict[str, Any] | None]:
    """The chart and report part of a run's outputs: (``charts/`` HTML files and ``plotly.min.js``, the bytes of
    ``report.html``, each figure as ``Figure.to_dict()`` for its PNG or None without PNGs).

    :func:`render_outputs` computes it in a forked child (:class:`tem.cli.forked.Forked`), so this process
    never uses plotly while the browser starts, and the PNGs are drawn from the figures' dicts (the same bytes
    as from the figures: :func:`tem.exports.charts.png.pngs_in_background`).
    """
    from tem.exports.charts.figures import all_figures
    from tem.exports.charts.files import html_files
    from tem.exports.report.page import render_report

    figures = all_figures(result)
    specs = {name: fig.to_dict() for name, fig in figures.items()} if png else None
    return html_files(figures), render_report(result, manifest, figures, summary), specs


def render_outputs(
    result: Result, a: Assumptions, options: OutputOptions = OutputOptions(), early: EarlyWorkbook | None = None
) -> tuple[dict[str, bytes | str], dict[str, Any]]:
    """Every output file of one scenario, rendered in memory: (relative name -> content, KPI document).

    ``manifest.json`` comes last and lists every other file with its SHA-256, so a reader can tell which
    files in the folder belong to this run. ``early``: the scenario's workbook child, forked before its model
    ran (:class:`EarlyWorkbook`; with ``options.excel``), sent what it builds from here.
    """
    if early is not None and early.assumptions is not a:
        raise ValueError("the early workbook step belongs to another scenario")
    from tem.exports.manifest import build_manifest, resolved_yaml, with_outputs
    from tem.exports.safe_text import csv_text

    manifest = build_manifest(a, result)
    document = kpi_document(result, manifest)
    summary = None
    if options.charts or options.excel:
        from tem.analysis.summary import board_summary

        summary = board_summary(a, result)  # the first page of the report and the workbook
    png = bool(options.charts and options.png)
    if options.charts and options.png is None:
        from tem.exports.charts.png import png_available, start_failure

        png, why = png_available()
        failure = start_failure() if png else why
        if failure is not None:  # no browser, or it failed to start (for an earlier scenario, or already)
            png = False
            note_png_skipped(failure)
    with contextlib.ExitStack() as steps:  # an error or Ctrl-C here kills and reaps every child (Forked.cancel)
        from tem.cli.forked import Forked

        workbook: Forked[bytes] | None = None  # the longest step first; each child imports what it needs itself
        if options.excel and early is not None:
            workbook = steps.enter_context(early.start(result, manifest, summary))
        elif options.excel:
            workbook = steps.enter_context(Forked(workbook_file, result, a, manifest, summary))
        charts = None
        if options.charts:  # the figures, their HTML and the report, in a child: no plotly in this process
            charts = steps.enter_context(Forked(chart_files, result, manifest, summary, png))
        files: dict[str, bytes | str] = {  # made while the children work
            "statement.csv": csv_text(result.statement, float_format="%.10g"),
            "unit_costs.csv": csv_text(result.unit_costs, float_format="%.10g"),
            "tidy.csv": csv_text(result.to_frame(), index=False, float_format="%.10g"),
            "resolved.yaml": resolved_yaml(a),
        }
        pngs = None
        if charts is not None:
            if png:  # this process's first use of plotly (an import, or the figures when not forked) must not
                from tem.exports.charts.png import wait_for_start  # run beside the browser's first drawing

                wait_for_start()  # the PNGs cannot start earlier anyway
            html, report, specs = charts.result()
            from tem.exports.charts.files import merge_charts, start_pngs
            from tem.exports.charts.png import drawn_or_why

            pngs = start_pngs(specs) if specs is not None else None  # drawn while the workbook is built
        if workbook is not None:
            files[f"{folder_name(result.name)}.xlsx"] = workbook.result()
        if charts is not None:
            drawn = None
            if pngs is not None:
                drawn, failed = drawn_or_why(pngs.result) if options.png is None else (pngs.result(), None)
                if failed is not None:  # PNGs by default, not asked for: every other file is still written
                    note_png_skipped(failed)
            files.update(merge_charts(html, drawn))
            files["report.html"] = report
    files["kpis.json"] = json_text(document)
    files["manifest.json"] = json_text(with_outputs(manifest, files))
    return files, document


def write_run_outputs(result: Result, a: Assumptions, out_dir: Path, options: OutputOptions = OutputOptions()) -> Path:
    """Render every output in memory, then write them atomically into ``out_dir/<scenario>/``."""
    from tem.exports.writer import write_files

    files, _ = render_outputs(result, a, options)
    folder = out_dir / run_folder(result.name, a.overrides)
    write_files(folder, files)
    return folder


def _check_distinct_folders(loaded: list[tuple[Path, Assumptions]]) -> None:
    first: dict[str, Path] = {}
    problems = []
    for path, a in loaded:
        folder = run_folder(a.name, a.overrides)
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
        with contextlib.ExitStack() as steps:  # an error or Ctrl-C stops the early workbook child
            run_all(steps)

    def run_all(steps: contextlib.ExitStack) -> None:
        from tem.assumptions.loader import load as load_file
        from tem.cli.forked import fork_available

        overrides = parse_sets(set_ or [])
        paths = files or [Path("assumptions/base.yaml")]
        # every file validated before anything is rendered or written
        loaded = [(p, load_file(p, overrides, override_source="--set")) for p in paths]
        _check_distinct_folders(loaded)
        browser = None
        if charts and png is not False:
            from tem.exports.charts.png import start_in_background

            # the browser starts while the engine and renderers load, the model runs and the other files render
            browser = start_in_background()
        from tem.api import run as run_model

        # without a browser (its start is then the longest path) the first scenario's workbook child is forked now,
        # while this process has one thread, and loads its modules while the model runs (EarlyWorkbook)
        if excel and browser is None and threading.active_count() == 1 and fork_available():
            early = steps.enter_context(EarlyWorkbook(loaded[0][1]))
        else:
            early = None
        from tem.exports.writer import write_files

        rendered = []
        for i, (_, a) in enumerate(loaded):
            with writing(f"running {a.name} and rendering its outputs ({i + 1} of {len(loaded)})...", as_json):
                result = run_model(a)
                rendered.append((result, a, *render_outputs(result, a, options, early if i == 0 else None)))
        for result, a, outputs, _document in rendered:
            folder = out_dir / run_folder(result.name, a.overrides)
            with writing(f"writing {len(outputs)} files to {folder}/...", as_json):
                write_files(folder, outputs)
            if not as_json:
                out.print(kpi_table(result))
                gates = gate_table(result)
                if gates is not None:
                    out.print(gates)
                out.print(f"outputs written to {folder}/")
            for warning in result.warnings:
                tell("warning:", f"{result.name}: {warning}")
        if as_json:
            documents = [document for _, _, _, document in rendered]
            payload: Any = documents[0] if len(documents) == 1 else documents
            sys.stdout.write(json_text(payload))

    guard(go)


@app.command("validate")
def validate_cmd(files: Annotated[list[Path], typer.Argument(help="Assumption files to check.")]) -> None:
    """Check assumption files; report every problem (exit code 2 if any)."""
    from tem.assumptions.loader import load as load_file

    failed = False
    for p in files:
        try:
            a = load_file(p)
            years = f"{a.timeline.horizon_years} years from FY{a.timeline.first_fy % 100:02d}"
            out.print(labelled("ok", f"{p} ({a.name}, {years})"), soft_wrap=True)
        except TemError as exc:
            failed = True
            tell("error:", exc)
    if failed:
        raise typer.Exit(2)


@app.command("schema")
def schema_cmd(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write the JSON Schema of assumption files (for editor autocompletion)."""
    from tem.assumptions.schema import Assumptions
    from tem.exports.writer import write_files

    text = json.dumps(Assumptions.model_json_schema(), indent=2) + "\n"

    def go() -> None:
        if output is None:
            sys.stdout.write(text)
        else:
            write_files(output.parent, {output.name: text})

    guard(go)


@app.command("version")
def version_cmd() -> None:
    """Print the model version."""
    out.print(__version__)

"""``tem montecarlo``: Monte Carlo (and optionally Sobol indices) of one assumption file.

Writes ``<out>/<scenario>/montecarlo/``: ``montecarlo.xlsx``, ``summary.json``/``.csv``, ``inputs.csv``,
``convergence.csv``, ``contributions.csv``, ``correlations.csv``, ``samples.parquet`` (every scenario; also
``samples.csv`` with ``--samples-csv``), ``sobol.csv``
(with ``--sobol``), ``charts/`` (HTML for every KPI; PNG for the first three KPIs when Chromium is installed) and
``manifest.json``. A progress bar goes to stderr (``--quiet`` turns it off); ``--json`` prints the summary on
stdout. Mistakes in the assumptions, the spec or the options exit with code 2 and write nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tem.cli.common import app, err, guard, json_text, note_png_skipped, out, parse_sets, run_folder, writing
from tem.cli.montecarlo_tables import (
    flexibility_table,
    probability,
    summary_table,
    sweep_table,
    threshold_kind,
    threshold_title,
)

if TYPE_CHECKING:  # the analysis, its exports and scipy are imported when the command runs

    from tem.analysis.montecarlo.run import MonteCarloResult

DEFAULT_SPEC = Path("assumptions/montecarlo.yaml")
PNG_KPIS = 3
CONNECT_TIMEOUT_S = 10
STAGES = {
    "sample": "sampling",
    "evaluate": "evaluating scenarios",
    "sobol": "Sobol design",
    "gate_sweep": "gate threshold sweep",
}


def _parse_gate_sweep(text: str) -> tuple[str, list[float]]:
    """``PATH=START:STOP:COUNT`` as the path and COUNT thresholds evenly from START to STOP; anything else is an
    :class:`~tem.errors.OptionError` naming ``--gate-sweep`` (a range of one point would give COUNT equal rows,
    each "the best": refused)."""
    from tem.errors import OptionError

    form = "PATH=START:STOP:COUNT with START below STOP, both finite, and COUNT from 2 to 101 (e.g. ...=40:70:7)"
    path, eq, grid = text.partition("=")
    shown = grid if eq and path.strip() else text  # the path itself is checked against the gates later
    parts = grid.split(":")
    try:
        if len(parts) != 3 or not path.strip():
            raise ValueError
        start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise OptionError("--gate-sweep", shown, form) from None
    if not (2 <= count <= 101 and math.isfinite(start) and math.isfinite(stop) and start < stop):
        raise OptionError("--gate-sweep", shown, form)
    step = (stop - start) / (count - 1)
    return path.strip(), [start + i * step for i in range(count - 1)] + [stop]


def _headline_lines(result: MonteCarloResult) -> list[str]:
    from tem.analysis.montecarlo.export import kpi_title

    h = result.headline
    lines = [
        f"P(NPV < 0) = {probability(h['p_npv_negative'])}; "
        f"P(NPV vs import-only < 0) = {probability(h['p_incremental_npv_negative'])}",
    ]
    if h["p_irr_below_hurdle"] is not None:
        hurdle = h["hurdle_rate"]
        hurdle_text = f"{hurdle:.1%}" if isinstance(hurdle, float) else str(hurdle)
        lines.append(
            f"P(IRR < hurdle {hurdle_text}) = {probability(h['p_irr_below_hurdle'])} "
            f"of the {h['n_with_irr']:,} scenarios with an IRR"
        )
    for reason, count in h["without_irr_by_reason"].items():
        lines.append(f"no IRR in {count:,} scenarios: {reason}")
    if result.correlation_repair is not None or result.correlation_shortfalls:
        lines.append(result.correlation_note)
    if result.sobol is not None:
        for kpi in result.summary.index[:2]:
            top = result.sobol.indices[result.sobol.indices["kpi"] == kpi].head(3)
            if len(top):
                parts = ", ".join(f"{r.label} {r.ST:.0%}" for r in top.itertuples())
                lines.append(f"Sobol total indices, {kpi_title(str(kpi))}: {parts}")
        for kpi, why in result.sobol.skipped.items():
            lines.append(f"Sobol: no indices for {kpi} ({why})")
    return lines


def warm_up_exports() -> None:
    """Load what the first export would otherwise load on the main thread after the scenarios are evaluated:
    the export modules (openpyxl, plotly's figure classes, pyarrow's Parquet writer) and plotly's validators
    and templates, by making a throwaway figure. Run on a helper thread while the engine works (numpy releases
    the GIL); no output depends on it, and a failure here is left for the export itself to report."""
    try:
        import plotly.graph_objects as go
        import pyarrow.parquet  # noqa: F401

        from tem.analysis.montecarlo.charts import new_figure
        from tem.analysis.montecarlo.export import figure_html

        fig = new_figure(go.Bar(x=[0.0], y=[1.0], marker=dict(color="#000", line=dict(width=0))))  # the template
        fig.add_trace(go.Scatter(x=[0.0], y=[1.0], mode="markers+text", text=[""], line=dict(dash="dot")))
        fig.update_layout(title=dict(text=""), legend=dict(orientation="h"))
        fig.add_vline(x=0.0, line=dict(width=1), annotation=dict(text=""), annotation_position="top")
        fig.update_xaxes(type="log", tickformat=",.0f")
        figure_html(fig)
    except Exception:  # nothing depends on the warm-up
        pass


def connect(address: str) -> Any:
    """A ``dask.distributed.Client`` of the scheduler at ``address``; exit code 2 when there is none."""
    from tem.errors import BatchInputError

    try:
        from distributed import Client
    except ImportError:
        raise BatchInputError(
            f"--scheduler {address}: Dask is not installed (pip install distributed, or tem[cluster])"
        ) from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BatchInputError(f"--scheduler {address}: no Dask scheduler answers there ({exc})") from None


@app.command("montecarlo")
def montecarlo_cmd(
    file: Annotated[Path, typer.Argument(help="Assumption file.")] = Path("assumptions/base.yaml"),
    n: Annotated[int | None, typer.Option("--n", help="Number of scenarios (default: the spec's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: the spec's).")] = None,
    spec_path: Annotated[Path, typer.Option("--spec", help="Monte Carlo specification.")] = DEFAULT_SPEC,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (the tables and notes still print).")] = False,
    sobol_n: Annotated[
        int | None, typer.Option("--sobol", help="Also Sobol indices with this base N (a power of 2, e.g. 1024).")
    ] = None,
    excel: Annotated[bool, typer.Option("--excel/--no-excel", help="Write montecarlo.xlsx.")] = True,
    png: Annotated[
        bool | None, typer.Option("--png/--no-png", help="PNG charts too (default: when Chromium is installed).")
    ] = None,
    samples_csv: Annotated[
        bool, typer.Option("--samples-csv", help="Every scenario also as samples.csv (always in samples.parquet).")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Evaluate on a Dask cluster: the scheduler's address (e.g. tcp://10.0.0.5:8786); same results.",
        ),
    ] = None,
    gate_sweep: Annotated[
        str | None,
        typer.Option(
            "--gate-sweep",
            help="Also sweep one gate threshold on the same draws: PATH=START:STOP:COUNT, e.g. "
            "capex.phases.cell_plant_1.gate.when.0.threshold=4800:6400:9 (writes gate_sweep.csv and its chart).",
        ),
    ] = None,
) -> None:
    """Monte Carlo of FILE under a spec: P10/P50/P90, P(NPV < 0), convergence, contributions, optional Sobol.

    Writes <out>/<scenario>/montecarlo/. Exit code 2: a mistake in the assumptions, spec or options (nothing
    written); 1: an output cannot be written.
    """

    def go() -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

        from tem.analysis.montecarlo.spec import CLI_OPTIONS, load_montecarlo_spec
        from tem.analysis.specio import with_options
        from tem.assumptions.loader import load as load_file
        from tem.exports.charts.png import png_available, start_in_background
        from tem.exports.writer import write_files

        sweep_path, thresholds = _parse_gate_sweep(gate_sweep) if gate_sweep else (None, None)
        overrides = parse_sets(set_ or [])
        assumptions = load_file(file, overrides, override_source="--set")
        # the options get the spec file's own rules (n, seed, Sobol base N), checked before anything runs
        options = {"n": n, "seed": seed, "sobol_n_base": sobol_n}
        spec = with_options(load_montecarlo_spec(spec_path), options, CLI_OPTIONS)
        want_png = png
        if want_png is None:
            want_png, why = png_available()
            if not want_png:
                note_png_skipped(why)
        # the browser starts now, while this process loads the analysis (one thread: numpy, pandas, scipy); then,
        # on the same thread (plotly's first use must not run beside the browser's first drawing), and once the
        # analysis is loaded (two threads never import at once: no half-made module), the exports load while the
        # scenarios are evaluated (numpy releases the GIL)
        loaded = threading.Event()

        def warm_up_once_loaded() -> None:
            loaded.wait()
            warm_up_exports()

        warm = start_in_background(then=warm_up_once_loaded) if want_png else None
        try:
            from tem.analysis.montecarlo.run import montecarlo
            from tem.analysis.montecarlo.sobol import sobol
            from tem.analysis.montecarlo.stream import LOCAL_ROWS
        finally:
            loaded.set()  # also on an interrupt: the start thread must not wait forever
        if warm is None:
            warm = threading.Thread(target=warm_up_exports, daemon=True, name="tem-warm-up")
            warm.start()
        sobol_base = spec.sobol_n_base if sobol_n is not None else None
        client = connect(scheduler) if scheduler else None
        with (
            contextlib.closing(client) if client is not None else contextlib.nullcontext(),
            Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                disable=quiet or not err.is_terminal,  # piped: no bar, and no blank line left where it was
                transient=True,
            ) as bar,
        ):
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done)

            # chunks of 10,000 scenarios are the progress steps: shared here with a forked child (the machine's
            # second core, with its own interpreter lock: two engine threads in one process ran no faster than
            # one), or tasks on a cluster
            from tem.cli.forked import Forked

            beside = Forked if client is None else None
            result = montecarlo(assumptions, spec, progress=progress, executor=client, beside=beside)
            if sobol_base:
                s = sobol(assumptions, spec, sobol_base, chunk_size=LOCAL_ROWS, progress=progress)
                result = dataclasses.replace(result, sobol=s)
            swept = None
            extra: dict[str, bytes | str] = {}
            if sweep_path is not None and thresholds is not None:
                from tem.analysis.montecarlo.flex_export import threshold_figure
                from tem.analysis.montecarlo.gate_sweep import gate_threshold_sweep
                from tem.exports.charts.files import figure_html

                swept = gate_threshold_sweep(
                    assumptions,
                    spec,
                    sweep_path,
                    thresholds,
                    n=n,
                    seed=seed,
                    progress=progress,
                    executor=client,
                )
                extra = {
                    "gate_sweep.csv": swept.table.to_csv(index=False, float_format="%.10g"),
                    "charts/gate_sweep.html": figure_html(threshold_figure(swept, result.scenario)),
                }
            warm.join()
            from tem.analysis.montecarlo.export import render_montecarlo_files
            from tem.cli.forked import Forked

            # the workbook, Parquet and CSV files are rendered in a forked child (the machine's other core) while
            # this process makes the figures and their pages, and the browser draws the PNGs
            files = render_montecarlo_files(
                result,
                png=bool(want_png),
                png_kpis=list(map(str, result.summary.index[:PNG_KPIS])),
                excel=excel,
                samples_csv=samples_csv,
                extra=extra,
                beside=Forked,
                png_skipped=None if png is not None else note_png_skipped,  # --png asked for them: an error
            )
        folder = out_dir / run_folder(result.scenario, assumptions.overrides) / "montecarlo"
        with writing(f"writing {len(files)} files to {folder}/...", quiet or as_json):
            write_files(folder, files)
        if as_json:
            sys.stdout.write(json_text(result.document()))
            return
        # --quiet drops only the progress bar and spinner (its help says so): the tables and notices stay
        out.print(summary_table(result))
        flex = flexibility_table(result)
        if flex is not None:
            out.print(flex)
        if swept is not None:
            out.print(sweep_table(swept, threshold_kind(assumptions, swept.path), threshold_title(assumptions, swept.path)))
        for line in _headline_lines(result):
            out.print(line, soft_wrap=True)
        out.print(f"outputs written to {folder}/", soft_wrap=True)

    guard(go)

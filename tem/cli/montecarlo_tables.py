"""The console tables of ``tem montecarlo``: the KPI summary, the value of flexibility and a gate threshold sweep,
every figure in its catalogue unit and format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the analysis and rich are imported when the command runs
    from rich.table import Table

    from tem.analysis.montecarlo.gate_sweep import ThresholdSweep
    from tem.analysis.montecarlo.run import MonteCarloResult


def probability(p: float) -> str:
    """A probability as a percentage that never rounds to a false certainty (99.995% -> '> 99.9%')."""
    if p != p:
        return "n/a"
    if 0.0 < p < 0.001:
        return "< 0.1%"
    if 0.999 < p < 1.0:
        return "> 99.9%"
    return f"{p:.1%}"


def summary_table(result: MonteCarloResult) -> Table:
    """Mean, percentiles and P(< 0) of each KPI in the catalogue's format (whole INR crore, rates in %); a fiscal
    year shows its percentiles as FY36, no mean (a mean of years is no year) and no P(< 0)."""
    from rich.table import Table

    from tem import catalogue

    table = Table(
        title=f"{result.scenario}: Monte Carlo, N = {result.n:,} ({result.sampling.upper()}, seed {result.seed})",
        header_style="bold",
    )
    for col in ("KPI", "mean", "P10", "P50", "P90", "P(< 0)"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for kpi, s in result.summary.iterrows():
        key = str(kpi)
        fy = catalogue.kpi(key).kind == "fy"

        def f(x: float, key: str = key) -> str:
            return "n/a" if x != x else catalogue.format_value(key, x)

        mean = "" if fy else f(s["mean"])
        below = "" if fy else probability(s["p_below_zero"])
        table.add_row(catalogue.row_title(key), mean, f(s["p10"]), f(s["p50"]), f(s["p90"]), below)
    return table


def flexibility_table(result: MonteCarloResult) -> Table | None:
    """Committed (every gate open) against gated NPV on the same draws, and each gate's probability of passing."""
    from rich.table import Table

    from tem.catalogue import format_difference, format_value, phase_label

    flex = result.flexibility
    if flex is None:
        return None
    table = Table(
        title=f"Value of flexibility: NPV with gates minus NPV committed (every gate open), same {flex.n:,} draws",
        header_style="bold",
    )
    for col in ("NPV (INR crore)", "committed", "gated", "value of flexibility", "standard error"):
        table.add_column(col, justify="left" if col.startswith("NPV") else "right")
    names = {"mean": "mean", "p10": "P10", "p50": "P50", "p90": "P90", "p_npv_below_zero": "P(NPV < 0)"}
    for stat, row in flex.comparison.iterrows():
        if stat == "p_npv_below_zero":
            p = "p_npv_below_zero"  # a difference of probabilities is in percentage points
            cells = [f"{row['committed']:.1%}", f"{row['gated']:.1%}", format_difference(p, row["value"])]
            cells.append(format_difference(p, row["standard_error"], signed=False))
        else:
            npv = "npv_inr_cr"  # whole INR crore, as every table of money
            cells = [format_value(npv, row["committed"]), format_value(npv, row["gated"])]
            cells += [format_difference(npv, row["value"]), format_difference(npv, row["standard_error"], signed=False)]
        table.add_row(names[str(stat)], *cells)

    def se(x: float) -> str:
        return format_difference("p_npv_below_zero", x, signed=False)

    table.caption = "; ".join(
        f"P(the {phase_label(str(g['phase']))} gate passes) = {probability(g['p_pass'])} (s.e. {se(g['standard_error'])})"
        for g in flex.gates.to_dict("records")
    )
    return table


def threshold_kind(assumptions: Any, path: str) -> str | None:
    """The catalogue kind of a gate condition's threshold (``capex.phases.<phase>.gate.when.<i>.threshold``): its
    line's (a USD/kWh price, a rate), or its input's; None when the path names no condition."""
    from tem import catalogue
    from tem.assumptions.input_kinds import input_kind

    parts = path.split(".")
    phase = next((p for p in assumptions.capex.phases if len(parts) > 5 and p.name == parts[2]), None)
    if phase is None or phase.gate is None or not parts[5].isdigit() or int(parts[5]) >= len(phase.gate.when):
        return None
    condition = phase.gate.when[int(parts[5])]
    return catalogue.level_kind(condition.line) if condition.line else input_kind(condition.input)


def threshold_title(assumptions: Any, path: str) -> str:
    """A gate condition's threshold in words (``Cell plant 1 gate: Imported cell FOB threshold``); the path where it
    names no condition."""
    from tem import catalogue

    parts = path.split(".")
    phase = next((p for p in assumptions.capex.phases if len(parts) > 5 and p.name == parts[2]), None)
    if phase is None or phase.gate is None or not parts[5].isdigit() or int(parts[5]) >= len(phase.gate.when):
        return path
    condition = phase.gate.when[int(parts[5])]
    what = catalogue.label(condition.line) if condition.line else condition.input  # an input: its --set path
    name = catalogue.phase_label(phase.name)
    return f"{name[:1].upper()}{name[1:]} gate: {what} threshold"


def sweep_table(sweep: ThresholdSweep, kind: str | None = None, title: str | None = None) -> Table:
    """Expected NPV for each threshold on the same draws (thresholds in ``kind``, the gate line's; NPV and its
    standard error in whole INR crore, the change a difference); the best one marked."""
    from rich.table import Table

    from tem.catalogue import format_difference, format_kind, format_value

    what = title or sweep.path
    table = Table(title=f"Gate threshold sweep: {what} (same {sweep.n:,} draws)", header_style="bold")
    for col in ("threshold", "P(go)", "expected NPV", "s.e.", "vs committed"):
        table.add_column(col, justify="right")
    best = sweep.best_threshold
    npv = "npv_inr_cr"
    for row in sweep.table.to_dict("records"):
        mark = " *" if row["threshold"] == best else ""
        table.add_row(
            f"{format_kind(kind, row['threshold'], with_unit=True)}{mark}",
            probability(row["p_gate_passes"]),
            format_value(npv, row["expected_npv_inr_cr"]),
            format_difference(npv, row["standard_error_inr_cr"], signed=False),
            format_difference(npv, row["value_of_flexibility_inr_cr"]),
        )
    shown = format_kind(kind, best, with_unit=True)
    table.caption = f"* the threshold with the highest expected NPV: {shown}; NPV in INR crore"
    return table

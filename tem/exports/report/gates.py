"""The report's "Decisions: gates" section: each gate, its conditions with the value read in the decision year,
whether each passes, the decision, which phases are built, and the NPV committed (every gate open)."""

from __future__ import annotations

import math

from tem import catalogue
from tem.exports.report.tables import esc
from tem.model.results import Result


def gates_html(result: Result) -> str:
    """The section as HTML; empty when the scenario has no gates. Every text is escaped."""
    frame = result.gates
    if frame.empty:
        return ""
    rows = []
    for row in frame.to_dict("records"):
        value = float(row["value"])
        line, op, threshold = str(row["line"]), str(row["op"]), float(row["threshold"])
        shown = catalogue.format_value(line, None if math.isnan(value) else value, with_unit=True)
        room = catalogue.headroom(op, None if math.isnan(value) else value, threshold)
        close = row["passes"] and catalogue.at_threshold(line, op, None if math.isnan(value) else value, threshold)
        go = "GO" if row["gate_passes"] else "NO GO"
        rows.append(
            "<tr>"
            f"<td>{esc(catalogue.phase_label(str(row['phase'])))}</td><td>end of {esc(row['decide_fy'])}</td>"
            f"<td>{esc(catalogue.condition_text(line, op, threshold, str(row['fy'])))}</td>"
            f"<td class='num'>{esc(shown)}</td>"
            f"<td class='num'>{esc(catalogue.format_difference(line, room, signed=False, with_unit=True))}</td>"
            f"<td>{'at the threshold' if close else 'yes' if row['passes'] else 'no'}</td>"
            f"<td><b>{go}</b> ({esc(row['combine'])} conditions)</td>"
            "</tr>"
        )
    built = ", ".join(
        f"{esc(catalogue.phase_label(p))}: {'built' if b else 'not built'}" for p, b in result.built.items()
    )
    npv = catalogue.format_value("npv_inr_cr", result.kpis.get("npv_inr_cr"), with_unit=True)
    committed = catalogue.format_value("npv_inr_cr", result.kpis.get("committed_npv_inr_cr"), with_unit=True)
    return (
        '<h2 id="gates">Decisions: gates</h2>'
        "<p>Each gate decides at the end of its FY on that year's values; a phase is built only where its gate "
        "passes and every phase it requires is built. The value of waiting under uncertainty is in "
        "<code>tem montecarlo</code> (value of flexibility).</p>"
        "<table class='gates'><thead><tr><th>gate (phase)</th><th>decided</th><th>condition</th><th>value read</th>"
        "<th>headroom</th><th>passes</th><th>decision</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        f"<p>Passes at the threshold: {esc(catalogue.AT_THRESHOLD_TEXT)}.</p>"
        f"<p>{built}. NPV with gates {esc(npv)}; committed (every gate open) {esc(committed)}.</p>"
    )

"""What a board reads (issue 14, fourth wave, items 1-3 and 6): every workbook `tem run`, `sweep`, `compare` and
`montecarlo` export, and the report page, is scanned for

- doubled units: a value whose number format shows its unit ("3.3%", "1.35x") with the same unit beside it;
- fiscal years shown as bare numbers ("2036" or "2036 FY" where every page says FY36);
- raw snake_case keys in headers and text (``imported_cell_fob_usd_per_kwh``, ``low_input``, ``cell_plant_1``);
- (review 17 items 4 and 7) years as ``FY2036`` or a bare ``2036`` in a table, a mean (or a P(< 0)) of years;
  differences of rates in ``%`` (``+3.4%``, headroom ``10.0%``) where they are percentage points (``+3.4 pts``), a
  ``-0.0``; a unit in the label beside a value that shows it (``IRR (%)`` next to ``4.6%``); INR crore with
  decimals in the Monte Carlo tables; phase words (``rnd``) and bridge groups (``cells.imported``) as keys.

Allowed, and only these: dotted input paths (``cells.imported.fob_price_usd_per_kwh``: what ``--set`` takes),
file paths and scenario names (file names); a column headed "key" (the machine names beside the
labels); the sheets of raw data listed in :data:`DATA_SHEETS` (one column per KPI key, for pandas, not printed);
the row keys of the model sheets (:data:`MODEL_SHEETS`, their headers and labels are scanned); the assumption-diff sheet's
path column, and the report's provenance (the resolved YAML). Its values are in the input's unit (review D7).
"""

from __future__ import annotations

import functools
import html
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import openpyxl
import pytest

from tem import catalogue

ROOT = Path(__file__).parents[2]
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
ALLOWED = re.compile(r"\S*[/\\]\S*|\b[a-z0-9_]+(?:\.[a-z0-9_]+)+\b")  # file paths, dotted input paths
DATA_SHEETS = {"Samples"}  # montecarlo.xlsx: the raw draws keyed by input path and KPI, for pandas, not printed


def _raw_units() -> re.Pattern[str]:
    """Unit keys a page must never show as a unit (review: comparison.xlsx's Statement read "fraction"): the model's
    unit word for a share (a whole cell, or a schema tag such as ``[fraction/yr]``), and every kind key and unit
    suffix of the catalogue written as a key (``inr_cr``, ``usd_per_kwh``, ``gwh``)."""
    from tem.catalogue.kinds import SUFFIX_KINDS

    keys = {k for k in catalogue.KINDS if "_" in k} | {s.strip("_") for s, _ in SUFFIX_KINDS if "_" in s.strip("_")}
    keys |= {"inr_per_usd", "gwh"}
    return re.compile(r"^\s*fraction\s*$|\[fraction\b|\bfraction(?:/yr| per year)\b|\b(?:" + "|".join(sorted(keys)) + r")\b")


RAW_UNITS = _raw_units()
MODEL_SHEETS = re.compile(r"^(Inputs|Calculations|Import-only|Checks|Step \d+)$")  # row keys are the model's names
YAML_SHEETS = {"Assumption diff"}
FY_WORDS = re.compile(r"\bFY\b|fiscal year|\bin$")
# what heads a difference of two values (or its uncertainty): its row label, its column header or the section title
# above it; a rate's is in percentage points, never in % (note 5: Bridge rows, tornado swings and changes,
# statement deltas, standard errors of probabilities)
DIFFERENCE_WORDS = re.compile(r"\b(?:swing|change|standard error|std\. error|increment|sum of groups|B - A)\b|\w - \w")


CONSOLE: dict[str, str] = {}  # command -> what it printed (stdout and stderr), filled by the fixture


def tem_cli(*args: str) -> None:
    env = {**os.environ, "COLUMNS": "200"}  # no wrapping inside words
    cmd = [sys.executable, "-m", "tem", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    CONSOLE[args[0]] = CONSOLE.get(args[0], "") + proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("board")
    war = "assumptions/scenarios/cell_price_war.yaml"
    tem_cli("run", "assumptions/base.yaml", war, "--out", str(out))
    tem_cli(
        "sweep",
        "--out",
        str(out),
        "--quiet",
        "--x",
        "timeline.discount_rate:0.08:0.16:3",
        "--y",
        "transition.local_cells_start_fy:2030:2032:3",
        *("--kpi", "npv_inr_cr", "--kpi", "irr"),  # a rate's tornado: its swing and changes are in points
    )
    # the bridge of a rate (IRR): its contributions are differences of rates, in points
    three = ("assumptions/base.yaml", war, "assumptions/scenarios/import_only.yaml")
    tem_cli("compare", *three, "--kpi", "irr", "--out", str(out), "--no-png")
    # not --quiet: its tables are scanned; the duty gap's threshold sweep: a difference of rates, in points
    sweep = "capex.phases.cell_plant_1.gate.when.1.threshold=-0.02:0.02:3"
    tem_cli("montecarlo", "--n", "200", "--out", str(out), "--no-png", "--gate-sweep", sweep)
    tem_cli("decisions")
    return out


@functools.cache
def choice_vocabulary() -> frozenset[str]:
    """Every word a choice input of the assumption schema takes (``within_parent``, ``ebitda_multiple`` ...): the
    vocabulary a user types into an input, allowed where a page says what an input may hold, as dotted paths are."""
    from pydantic import BaseModel

    from tem.assumptions import schema
    from tem.exports.workbook.allowed import choice_words

    words: set[str] = set()
    seen: set[type] = set()
    todo: list[type] = [schema.Assumptions]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            words.update(choice_words(field.annotation))
            stack = [field.annotation]
            while stack:
                t = stack.pop()
                if isinstance(t, type) and issubclass(t, BaseModel):
                    todo.append(t)
                stack.extend(typing.get_args(t))
    return frozenset(words)


def raw_keys(text: str) -> list[str]:
    return SNAKE.findall(ALLOWED.sub("", text))


def shown_units(number_format: str) -> set[str]:
    units = set()
    if "%" in number_format.replace('"%"', ""):
        units.add("%")
    if '"x"' in number_format:
        units.add("x")
    if '"FY"' in number_format:
        units.add("FY")
    return units


POINTS_WRONG = [
    (re.compile(r"(?<![\w.(])\+\d[\d,]*(?:\.\d+)?%"), "a signed difference of rates in % (percentage points)"),
    (re.compile(r"(?<![\w.])-0(?:\.0+)?(?![\d.,])"), "a -0 (a tiny negative shown as minus zero)"),
    (re.compile(r"headroom -?\d[\d,.]*%"), "a rate's headroom in % (percentage points)"),
    (re.compile(r"(?:duty minus pack duty|duty gap)[^\n%]{0,80}?-?\d[\d,.]*%"), "a duty gap (two rates) in % (pts)"),
    (re.compile(r"\bFY(?:19|20)\d\d\b"), "a fiscal year as FY2036 (FY36)"),
    (re.compile(r"\brnd\b"), "a phase word as its key (rnd: R&D)"),
    (re.compile(r"\(%\)"), "a unit in the label of a value that shows it: IRR (%) beside 4.6%"),
    (re.compile(r"(?<![\w&])([\w&][\w& ]{0,40}) \(\1\)"), "a label repeated in its parentheses: R&D centre (R&D centre)"),
]


def text_findings(text: str, relative_changes: bool = False) -> list[str]:
    """What no board text may hold (:data:`POINTS_WRONG`), each with the text around it. ``relative_changes``: the
    text's signed percentages are relative changes of an input (a spider's -10% / +10%), which are %."""
    found = []
    for pattern, what in POINTS_WRONG[1:] if relative_changes else POINTS_WRONG:
        for m in pattern.finditer(text):
            found.append(f"{what}: {text[max(0, m.start() - 50) : m.end() + 10]!r}")
    return found


def sheet_text(shown: openpyxl.worksheet.worksheet.Worksheet, title: str) -> str:
    """The text cells of a sheet as shown (cached values), rows joined; YAML sheets left out (values as written)."""
    if title in YAML_SHEETS:
        return ""
    rows = shown.iter_rows(values_only=True)
    return "\n".join(" | ".join(v for v in row if isinstance(v, str) and not v.startswith("=")) for row in rows)


def spider_sheet(title: str) -> bool:
    return title.startswith("Spider")  # its columns: the input moved by -30% .. +30% of itself (relative changes)


def difference_context(ws: openpyxl.worksheet.worksheet.Worksheet, row: int, col: int) -> str:
    """What says what a number is: its row's label (column A), its column's header (the nearest bold text above it)
    and the section title above the table's header (the two nearest bold texts above it in column A)."""

    def bold_above(column: int, count: int = 1) -> list[str]:
        found: list[str] = []
        for r in range(row - 1, 0, -1):
            cell = ws.cell(r, column)
            if isinstance(cell.value, str) and not cell.value.startswith("=") and cell.font.b:
                found.append(cell.value)
                if len(found) == count:
                    break
        return found

    label = ws.cell(row, 1).value
    return " | ".join([str(label or ""), *bold_above(col), *bold_above(1, 2)])


def findings(path: Path, names: set[str]) -> list[str]:
    wb = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)  # the cached values a reader sees
    found = []
    for ws in wb:
        shown = values[ws.title]
        if ws.title in DATA_SHEETS and path.name == "montecarlo.xlsx":
            continue
        model = bool(MODEL_SHEETS.match(ws.title)) and path.name not in ("montecarlo.xlsx", "comparison.xlsx")
        if not model or ws.title == "Checks":  # what a board reads (the model sheets' inputs and years are numbers)
            spider = ws.title.startswith("Spider")  # its columns: the input moved by -30% .. +30% of itself
            # the Monte Carlo inputs: relative ranges ('-20%') and the spec's source notes ('+63%'), as written
            relative = spider or (path.name == "montecarlo.xlsx" and ws.title == "Inputs")
            found += [f"{path.name}:{ws.title}: {f}" for f in text_findings(sheet_text(shown, ws.title), relative)]
        key_cols = {c.column for r in range(1, 6) for c in ws[r] if c.value == "key"}
        for row in ws.iter_rows():
            for c in row:
                v, where = c.value, f"{path.name}:{ws.title}!{c.coordinate}"
                # a raw unit key on any sheet, the model sheets' unit columns included (never a key column)
                if isinstance(v, str) and not v.startswith("=") and c.column not in key_cols and ws.title not in YAML_SHEETS:
                    unit = RAW_UNITS.search(ALLOWED.sub("", v))
                    if unit:
                        found.append(f"{where} raw unit {unit.group(0).strip()!r} in {v[:60]!r}")
                if isinstance(v, str) and not v.startswith("=") and c.column not in key_cols:
                    header = c.row <= 4 or c.font.b
                    keys = [k for k in raw_keys(v) if k not in names]  # scenario names are file names
                    if v.startswith("one of: "):  # the words an input cell takes (Checks): typed as they are
                        keys = [k for k in keys if k not in choice_vocabulary()]
                    checks_label = ws.title == "Checks" and c.column > 1  # Checks: only column A holds row keys
                    # the model sheets' labels (column B; A holds the row keys) are in words too (sixth wave)
                    model_label = model and ws.title != "Inputs" and c.column == 2
                    if (not model or header or checks_label or model_label) and ws.title not in YAML_SHEETS and keys:
                        found.append(f"{where} raw key {keys[0]!r} in {v[:60]!r}")
                if c.data_type not in ("n", "f") or v is None:
                    continue
                v = shown[c.coordinate].value
                if v is None or isinstance(v, str):
                    continue  # a value shown as text (FY36, "none") carries its words
                fmt = c.number_format or "General"
                beside = ws.cell(c.row, c.column + 1).value
                unit = beside.strip() if isinstance(beside, str) and not beside.startswith("=") else ""
                if unit and unit in shown_units(fmt):
                    found.append(f"{where} unit {unit!r} doubled by its format {fmt!r}")
                label = " ".join(str(ws.cell(c.row, j).value or "") for j in range(1, min(c.column, 4)))
                if '"FY"' in fmt and isinstance(v, (int, float)) and v >= 100 and not model:
                    found.append(f"{where} fiscal year shown as FY{v:.0f} (format {fmt!r}), not FY{v % 100:02.0f}")
                head = str(ws.cell(4, c.column).value or "") + str(ws.cell(3, c.column).value or "")
                if " - " in head and "%" in fmt.replace('"%"', ""):  # a column of differences (B - A)
                    found.append(f"{where} a difference shown in % (format {fmt!r}): percentage points")
                elif "%" in fmt.replace('"%"', "") and not spider_sheet(ws.title):
                    context = difference_context(ws, c.row, c.column)
                    if DIFFERENCE_WORDS.search(context):
                        found.append(f"{where} a difference ({context!r}) shown in % (format {fmt!r}): points")
                year_like = unit == "FY" or (FY_WORDS.search(label.strip()) and fmt in ("0", "General") and not model)
                if year_like and '"FY"' not in fmt and (not isinstance(v, (int, float)) or 1990 <= v <= 2100):
                    found.append(f"{where} fiscal year as a bare number ({fmt!r}, unit {unit!r})")
    return found


def test_no_doubled_units_bare_years_or_raw_keys_in_any_workbook(outputs: Path) -> None:
    files = sorted(outputs.rglob("*.xlsx"))
    names = {f.name for f in files}
    assert {"base.xlsx", "cell_price_war.xlsx", "sensitivity.xlsx", "comparison.xlsx", "montecarlo.xlsx"} <= names
    scenarios = {f.stem for f in (ROOT / "assumptions" / "scenarios").glob("*.yaml")} | {"base"}
    found = [line for f in files for line in findings(f, scenarios)]
    assert not found, "\n".join(found[:40])


def test_no_raw_keys_in_the_report(outputs: Path) -> None:
    for report in sorted(outputs.rglob("report.html")):
        page = report.read_text()
        page = page.split('<h2 id="provenance"')[0]  # provenance lists the resolved YAML as written
        body = re.sub(r"<script.*?</script>|<style.*?</style>|<code>.*?</code>", " ", page, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", body))
        keys = sorted(set(raw_keys(text)) - {report.parent.name})
        assert not keys, (report.parent.name, keys[:20])
        units = [m.group(0) for line in text.splitlines() for m in [RAW_UNITS.search(ALLOWED.sub("", line.strip()))] if m]
        assert not units, (report.parent.name, units[:10])
        assert not text_findings(text), (report.parent.name, text_findings(text)[:10])


def test_the_kpis_sheet_shows_each_unit_once_and_years_as_fy() -> None:
    """By hand from the catalogue: a rate, a multiple and a year carry their unit in the value, never beside it."""
    assert catalogue.unit_column("irr") == ""
    assert catalogue.unit_column("min_dscr") == ""
    assert catalogue.unit_column("crossover_fy") == ""
    assert catalogue.unit_column("npv_inr_cr") == "INR crore"
    assert catalogue.format_value("crossover_fy", 2036) == "FY36"
    assert catalogue.condition_text("imported_cell_fob_usd_per_kwh", ">=", 55.0, "FY28") == (
        "Imported cell FOB in FY28 ≥ 55.0 USD/kWh"
    )


def test_gate_headroom_and_the_threshold_tolerance() -> None:
    """Headroom in the line's unit on the passing side; "passes at the threshold" within the stated tolerance."""
    fob = "imported_cell_fob_usd_per_kwh"
    assert catalogue.headroom(">=", 55.0, 55.0) == 0.0
    assert catalogue.headroom(">=", 60.0, 55.0) == 5.0
    assert catalogue.headroom("<", -0.1, 0.0) == pytest.approx(0.1)
    assert catalogue.headroom(">=", None, 55.0) is None
    assert catalogue.at_threshold(fob, ">=", 55.0, 55.0)
    assert catalogue.at_threshold(fob, ">=", 55.5, 55.0)  # 0.5 <= 1% of 55
    assert not catalogue.at_threshold(fob, ">=", 55.6, 55.0)
    assert not catalogue.at_threshold(fob, ">=", 54.0, 55.0)  # fails: not "at the threshold"
    assert catalogue.at_threshold("cell_duty_minus_pack_duty_rate", "<", -0.004, 0.0)
    assert not catalogue.at_threshold("cell_duty_minus_pack_duty_rate", "<", -0.1, 0.0)
    reading = catalogue.gate_reading(fob, ">=", 55.0, 55.0, True)
    assert reading == "read 55.0 USD/kWh, headroom 0.0 USD/kWh: passes at the threshold"


def test_no_raw_keys_on_the_console(outputs: Path) -> None:
    """What `tem run`, `sweep`, `compare` and `montecarlo` print (tables, gate lines, captions) is in words too;
    dotted input paths (what --set takes) and file paths are allowed, as on the pages."""
    assert {"run", "sweep", "compare", "montecarlo"} <= set(CONSOLE)
    assert "gate passes" in CONSOLE["montecarlo"]  # the base's gate: its probability line is printed and scanned
    scenarios = {f.stem for f in (ROOT / "assumptions" / "scenarios").glob("*.yaml")} | {"base"}
    found = {cmd: sorted(set(raw_keys(text)) - scenarios) for cmd, text in CONSOLE.items()}
    assert not any(found.values()), found


DOTTED = re.compile(r"\b[a-z0-9_]+(?:\.[a-z0-9_]+){2,}\b")  # a dotted input path (allowed beside a label, not as one)


def test_inputs_named_by_label_where_they_are_the_subject(outputs: Path) -> None:
    """Review D5/D6/D7: where a line or cell is about inputs (a correlation pair, a gate threshold swept, a bridge
    group's changed inputs, an assumption's value), it names them in words and shows values in their unit; the
    dotted path is allowed only in its own "path" column."""
    text = CONSOLE["montecarlo"]
    pairs = [line for line in text.splitlines() if " ~ " in line and "target" in line]
    assert pairs, "the discrete FY pair's shortfall line is printed (n=200)"
    assert not [line for line in pairs if DOTTED.search(line)], pairs
    sweep = [line for line in text.splitlines() if "Gate threshold sweep" in line]
    assert sweep, "the gate-sweep table is printed"
    assert not [line for line in sweep if DOTTED.search(line)], sweep
    (mc,) = outputs.rglob("montecarlo.xlsx")
    wb = openpyxl.load_workbook(mc)
    notes = [str(c.value) for ws in (wb["Summary"], wb["Correlations"]) for row in ws.iter_rows() for c in row]
    assert not [t for t in notes if " ~ " in t and DOTTED.search(t)]
    inputs = [[c.value for c in row] for row in wb["Inputs"].iter_rows()]
    head = inputs[0]
    assert "unit" in head
    assert not [r for r in inputs[1:] if "=" in str(r[head.index("parameters")])]  # pert(low=-0.1, ...)
    assert not {r[head.index("mode")] for r in inputs[1:]} & {"value", "scale", "drift"}
    assert all(r[head.index("base")] is not None for r in inputs[1:])
    (cmp,) = outputs.rglob("comparison.xlsx")
    wb = openpyxl.load_workbook(cmp)
    diff = list(wb["Assumption diff"].iter_rows(min_row=5, values_only=True))
    assert diff
    raw = [v for row in diff for v in row[3:] if re.fullmatch(r"\{.*\}|-?\d+(?:\.\d+)?", str(v))]  # YAML as written
    assert not raw, raw[:5]
    assert not [v for row in diff for v in row[:1] if DOTTED.search(str(v))]
    bridge = [str(c.value) for row in wb["Bridge"].iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in bridge if DOTTED.search(t)], [t for t in bridge if DOTTED.search(t)][:3]
    status = [r for r in wb["KPIs"].iter_rows(values_only=True) if r[0] and "status" in str(r[0])]
    assert not [v for r in status for v in r[3:] if isinstance(v, (int, float))]  # a code where its words belong


CELL = re.compile(r"│([^│\n]*)")


def table_rows(text: str, title: str) -> list[list[str]]:
    """The data rows of the console table whose title holds ``title``: the cells of each row, stripped."""
    block = text.split(title, 1)[1].split("└", 1)[0]
    return [[c.strip() for c in CELL.findall(line)][:-1] for line in block.splitlines() if line.startswith("│")]


def test_console_years_points_units_and_decimals(outputs: Path) -> None:
    """Review 17 items 4 and 7 on the console: FY36 (never 2036 in a cell or FY2036), no mean or P(< 0) of years,
    differences of rates in points, no ``-0.0``, no ``IRR (%)``, whole INR crore in the Monte Carlo tables, phases
    and bridge groups in words."""
    found = {cmd: text_findings(text) for cmd, text in CONSOLE.items()}
    found["bare years"] = [m.group(0) for m in re.finditer(r"│\s*(?:19|20)\d\d\s*│", "".join(CONSOLE.values()))]
    assert not any(found.values()), found
    mc = CONSOLE["montecarlo"]
    for cells in table_rows(mc, "Monte Carlo, N ="):
        label, mean, *pct, below = cells
        if catalogue.label("crossover_fy") in label:
            assert mean == "", cells  # a mean of years is no year
            assert below == "", cells  # P(year < 0) means nothing
            assert all(re.fullmatch(r"FY\d\d", x) for x in pct), cells
        if "INR crore" in label:
            assert all(re.fullmatch(r"-?[\d,]+", x) for x in (mean, *pct)), cells  # whole crore, as `tem run`
    flex = {cells[0]: cells for cells in table_rows(mc, "Value of flexibility")}
    assert flex["P(NPV < 0)"][3].endswith(catalogue.POINTS), flex  # a difference of two probabilities
    assert all(re.fullmatch(r"[+-]?[\d,]+", x) for x in flex["mean"][1:]), flex
    groups = {r[0] for r in table_rows(CONSOLE["compare"], "Bridge of")}
    from tem.analysis.scenarios.bridge import DEFAULT_GROUPS

    assert not groups & set(DEFAULT_GROUPS), groups  # the groups in words (catalogue.group_label)
    assert catalogue.phase_label("rnd_centre") in CONSOLE["decisions"]


def test_monte_carlo_workbook_years_and_units(outputs: Path) -> None:
    """montecarlo.xlsx Summary: a year's percentiles read FY36, its mean and P(< 0) are blank; a rate's row has no
    unit beside or in its label (the format shows %)."""
    (path,) = outputs.rglob("montecarlo.xlsx")
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = {str(r[0].value): r for r in ws.iter_rows() if r[0].value}
    fy = rows[catalogue.label("crossover_fy")]
    assert fy[2].value is None  # mean
    assert fy[13].value is None  # P(< 0)
    assert all(re.fullmatch(r"FY\d\d", str(c.value)) for c in fy[4:11])  # P5..max (the std is in years)
    irr = rows[catalogue.label("irr")]
    assert irr[1].value in (None, "")  # no unit column beside 4.6%
    assert "%" in irr[2].number_format


def test_differences_and_labels_from_the_catalogue() -> None:
    """Worked by hand: a difference of rates is in points, of years in years, never -0; phases and groups in words."""
    assert catalogue.format_difference("irr", 0.067 - 0.033) == "+3.4 pts"
    assert catalogue.format_difference("dva_share_fy45", -0.00004) == "+0.0 pts"  # not -0.0
    assert catalogue.format_difference("irr", -0.1, signed=False) == "-10.0 pts"
    assert catalogue.format_difference("crossover_fy", 2033 - 2036) == "-3 years"
    assert catalogue.format_difference("npv_inr_cr", 1036.6, with_unit=True) == "+1,037 INR crore"
    assert catalogue.format_difference("npv_inr_cr", -0.4) == "+0"
    assert catalogue.format_value("irr", -0.00004) == "0.0%"
    assert catalogue.format_value("crossover_fy", 2037.5) == "FY38"  # a median between two years: the nearer
    assert catalogue.difference_excel("irr") == (100.0, '+0.0" pts";-0.0" pts";0.0" pts"')
    assert catalogue.gate_reading("cell_duty_minus_pack_duty_rate", "<", -0.1, 0.0, True) == (
        "read -10.0 pts, headroom 10.0 pts: passes"
    )  # the duty gap is a difference of two rates: threshold, value read and headroom in points (review D3)
    assert catalogue.condition_text("cell_duty_minus_pack_duty_rate", "<", 0.0, "FY28").endswith("< 0.0 pts")
    assert catalogue.format_value("cell_duty_minus_pack_duty_rate", -0.1, with_unit=True) == "-10.0 pts"
    assert catalogue.phase_label("rnd_centre") == "R&D centre"
    assert catalogue.phase_label("cell_plant_1") == "cell plant 1"
    assert catalogue.group_label("cells.imported") == "Imported cells"
    assert catalogue.group_label("my_inputs") == "My inputs"
    assert catalogue.row_title("irr") == "IRR"
    assert catalogue.row_title("npv_inr_cr") == "NPV (INR crore)"
    assert catalogue.segment_label("external_oem") == "external OEMs"

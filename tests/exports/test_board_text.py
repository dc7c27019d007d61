"""What a board reads (issue 14, fourth wave, items 1-3 and 6): every workbook `tem run`, `sweep`, `compare` and
`montecarlo` export, and the report page, is scanned for

- doubled units: a value whose number format shows its unit ("3.3%", "1.35x") with the same unit beside it;
- fiscal years shown as bare numbers ("2036" or "2036 FY" where every page says FY36);
- raw snake_case keys in headers and text (``imported_cell_fob_usd_per_kwh``, ``low_input``, ``cell_plant_1``).

Allowed, and only these: dotted input paths (``cells.imported.fob_price_usd_per_kwh``: what ``--set`` takes),
file paths and scenario names (file names); a column headed "key" (the machine names beside the
labels); the sheets of raw data listed in :data:`DATA_SHEETS` (one column per KPI key, for pandas, not printed);
the row keys of the model sheets (:data:`MODEL_SHEETS`, their headers are scanned); the assumption-diff sheet's
values, which are YAML as written, and the report's provenance (the resolved YAML).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tem import catalogue

ROOT = Path(__file__).parents[2]
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
ALLOWED = re.compile(r"\S*[/\\]\S*|\b[a-z0-9_]+(?:\.[a-z0-9_]+)+\b")  # file paths, dotted input paths
DATA_SHEETS = {"Samples", "Inputs", "Convergence"}  # montecarlo.xlsx: raw tables keyed by KPI / input, not printed
MODEL_SHEETS = re.compile(r"^(Inputs|Calculations|Import-only|Checks|Step \d+)$")  # row keys are the model's names
YAML_SHEETS = {"Assumption diff"}
FY_WORDS = re.compile(r"\bFY\b|fiscal year|\bin$")


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
    )
    tem_cli("compare", "assumptions/base.yaml", war, "assumptions/scenarios/import_only.yaml", "--out", str(out), "--no-png")
    tem_cli("montecarlo", "--n", "200", "--out", str(out), "--no-png")  # not --quiet: its tables are scanned
    return out


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


def findings(path: Path, names: set[str]) -> list[str]:
    wb = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)  # the cached values a reader sees
    found = []
    for ws in wb:
        shown = values[ws.title]
        if ws.title in DATA_SHEETS and path.name == "montecarlo.xlsx":
            continue
        model = bool(MODEL_SHEETS.match(ws.title)) and path.name not in ("montecarlo.xlsx", "comparison.xlsx")
        key_cols = {c.column for r in range(1, 6) for c in ws[r] if c.value == "key"}
        for row in ws.iter_rows():
            for c in row:
                v, where = c.value, f"{path.name}:{ws.title}!{c.coordinate}"
                if isinstance(v, str) and not v.startswith("=") and c.column not in key_cols:
                    header = c.row <= 4 or c.font.b
                    keys = [k for k in raw_keys(v) if k not in names]  # scenario names are file names
                    if (not model or header) and ws.title not in YAML_SHEETS and keys:
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

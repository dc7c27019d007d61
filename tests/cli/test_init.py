"""``tem init NAME``: a new scenario file that equals the base case until edited, with working examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tem
import tem.cli.init  # registers `init` on the app (until tem/cli.py imports it)
from tem.analysis.scenarios.compare import assumption_diff
from tem.cli import app

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"


def init(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["init", *args])
    return res.exit_code, res.stdout, res.stderr


def changed_paths(a: tem.Assumptions, b: tem.Assumptions) -> set[str]:
    _, raw = assumption_diff([a, b], ["a", "b"])
    return set(raw)


def uncomment(text: str, *lines: str) -> str:
    """Remove the "# " in front of each of ``lines`` (as they read uncommented, matched at the start of a line), in
    order: each is searched after the previous one, as a reader uncomments a block and then a line inside it."""
    rows = text.splitlines(keepends=True)
    at = 0
    for line in lines:
        at = next(i for i in range(at, len(rows)) if rows[i].startswith("# " + line))
        rows[at] = rows[at].removeprefix("# ")
    return "".join(rows)


@pytest.fixture(scope="module")
def base() -> tem.Assumptions:
    return tem.load(BASE)


@pytest.fixture
def made(tmp_path: Path) -> Path:
    code, stdout, stderr = init("my_case", "--dir", str(tmp_path / "scenarios"), "--base", str(BASE))
    assert code == 0, stderr
    path = tmp_path / "scenarios" / "my_case.yaml"
    assert "wrote" in stdout
    assert path.is_file()
    return path


def test_new_file_is_the_base_case(made: Path, base: tem.Assumptions) -> None:
    a = tem.load(made)
    assert a.name == "my_case"
    assert changed_paths(base, a) == set()
    assert tem.run(a).kpis == tem.run(base).kpis
    text = made.read_text()
    assert text.count("\nextends: ") == 1
    assert (made.parent / text.split("\nextends: ")[1].split("\n")[0]).resolve() == BASE.resolve()


def test_default_folder_extends_dot_dot_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "assumptions").mkdir()
    shutil.copy(BASE, tmp_path / "assumptions" / "base.yaml")
    monkeypatch.chdir(tmp_path)
    code, _, stderr = init("high_duty")
    assert code == 0, stderr
    path = tmp_path / "assumptions" / "scenarios" / "high_duty.yaml"
    assert "\nextends: ../base.yaml\nname: high_duty\n" in path.read_text()
    assert tem.load(path).name == "high_duty"


EXAMPLES = [
    (("timeline:", "  discount_rate:"), {"timeline.discount_rate"}),
    (("cells:", "  imported:", "    fob_price_usd_per_kwh:"), {"cells.imported.fob_price_usd_per_kwh"}),
    (("cells:", "  imported:", "    bcd_rate_vehicle:"), {"cells.imported.bcd_rate_vehicle"}),
    (("cells:", "  imported:", "    bcd_rate_ess:"), {"cells.imported.bcd_rate_ess"}),
    (("cells:", "  local:", "    pli:", "      enabled:"), {"cells.local.pli.enabled"}),
    (("demand:", "  captive:", "    markup:"), {"demand.captive.markup"}),
    (("demand:", "  external_oem:", "    price_premium:"), {"demand.external_oem.price_premium"}),
    (("demand:", "  ess:", "    price_premium:"), {"demand.ess.price_premium"}),
    (("transition:", "  local_cells_start_fy:"), {"transition.local_cells_start_fy"}),
    (
        ("capex:", "  phases:", "    - name: pilot_cell_line", "      commissioning_fy:"),
        {"capex.phases.pilot_cell_line.commissioning_fy"},
    ),
    (
        ("capex:", "  phases:", "    - name: cell_plant_1", "      capex_inr_cr:"),
        {"capex.phases.cell_plant_1.capex_inr_cr"},
    ),
    (
        ("capex:", "  phases:", "    - name: cell_plant_1", "      capex_inr_cr:", "      commissioning_fy:"),
        {"capex.phases.cell_plant_1.capex_inr_cr", "capex.phases.cell_plant_1.commissioning_fy"},
    ),
]


@pytest.mark.parametrize(("lines", "paths"), EXAMPLES, ids=[sorted(p)[-1] for _, p in EXAMPLES])
def test_uncommenting_an_example_changes_that_input(
    made: Path, base: tem.Assumptions, lines: tuple[str, ...], paths: set[str]
) -> None:
    made.write_text(uncomment(made.read_text(), *lines))
    assert changed_paths(base, tem.load(made)) == paths


def test_uncommented_examples_move_the_kpis(made: Path, base: tem.Assumptions) -> None:
    text = made.read_text()
    cheaper = made.with_name("cheaper.yaml")
    cheaper.write_text(uncomment(text, "cells:", "  imported:", "    fob_price_usd_per_kwh:").replace("my_case", "cheaper"))
    pli = made.with_name("pli.yaml")
    pli.write_text(uncomment(text, "cells:", "  local:", "    pli:", "      enabled:").replace("my_case", "pli"))
    k0 = tem.run(base).kpis
    assert tem.run(tem.load(cheaper)).kpis["npv_import_only_inr_cr"] != k0["npv_import_only_inr_cr"]
    assert tem.run(tem.load(pli)).kpis["npv_inr_cr"] > k0["npv_inr_cr"]


def test_every_example_at_once_loads(made: Path, base: tem.Assumptions) -> None:
    """What an editor's 'uncomment' does to the whole body: "# " goes, "## " explanations stay comments."""
    head, body = made.read_text().split("\ndescription: ", 1)
    body = "".join(line.removeprefix("# ") for line in body.splitlines(keepends=True))
    made.write_text(head + "\ndescription: " + body)
    assert changed_paths(base, tem.load(made)) == {p for _, paths in EXAMPLES for p in paths}


def test_existing_file_is_not_overwritten(made: Path) -> None:
    made.write_text(made.read_text() + "# my edits\n")
    before = made.read_bytes()
    code, _, stderr = init("my_case", "--dir", str(made.parent), "--base", str(BASE))
    assert code == 2
    assert "already exists" in stderr
    assert "Traceback" not in stderr
    assert made.read_bytes() == before


@pytest.mark.parametrize("name", ["bad-name", "two words", "../escape", "café", "x" * 61, "my.case", ""])
def test_bad_name_is_refused(tmp_path: Path, name: str) -> None:
    code, _, stderr = init(name, "--dir", str(tmp_path / "scenarios"), "--base", str(BASE))
    assert code == 2
    assert "bad scenario name" in stderr
    assert not (tmp_path / "scenarios").exists()


def test_odd_but_valid_names_stay_strings(tmp_path: Path) -> None:
    for name in ("2030", "yes", "null", "_x"):
        code, _, stderr = init(name, "--dir", str(tmp_path), "--base", str(BASE))
        assert code == 0, stderr
        assert tem.load(tmp_path / f"{name}.yaml").name == name


def test_base_name_and_bad_base_are_refused(tmp_path: Path) -> None:
    code, _, stderr = init("base", "--dir", str(tmp_path), "--base", str(BASE))
    assert code == 2
    assert "name of the base case" in stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntimeline: {discount_rate: 12.5}\n")
    code, _, stderr = init("other", "--dir", str(tmp_path), "--base", str(bad))
    assert code == 2
    assert "error" in stderr
    assert not (tmp_path / "other.yaml").exists()

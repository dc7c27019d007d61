"""``--set`` given twice for one path, or for a path and the block that holds it, is refused (review 17, defect 8);
an empty ``reporting.dva_fys`` is refused, by ``--set`` or in a file (review 17, defect 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tem.cli.common import parse_sets
from tem.errors import AssumptionError

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("first", "second", "how"),
    [
        ("timeline.discount_rate=0.1", "timeline.discount_rate=0.2", "the same path given twice"),
        ("timeline.discount_rate=0.1", " timeline.discount_rate =0.2", "the same path given twice"),
        ("timeline.discount_rate=0.1", "timeline={discount_rate: 0.2}", "a path and the block that holds it"),
        ("timeline={discount_rate: 0.2}", "timeline.discount_rate=0.1", "a path and the block that holds it"),
    ],
)
def test_overlapping_paths_are_refused_naming_both_values(first: str, second: str, how: str) -> None:
    with pytest.raises(AssumptionError) as caught:
        parse_sets([first, second])
    (problem,) = caught.value.problems
    assert problem.file == "--set"
    assert problem.message == f"{how}: {first!r} and {second!r}; give each value once"


def test_distinct_paths_and_sibling_prefixes_are_kept() -> None:
    got = parse_sets(["timeline.discount_rate=0.1", "timeline.discount_rate_x=2", "name=x"])
    assert got == {"timeline.discount_rate": 0.1, "timeline.discount_rate_x": 2, "name": "x"}


def test_run_refuses_a_path_given_twice(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["--set", "timeline.discount_rate=0.1", "--set", "timeline.discount_rate=0.2"]
    proc = subprocess.run(
        [sys.executable, "-m", "tem", "run", "--no-excel", "--no-charts", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "'timeline.discount_rate=0.1' and 'timeline.discount_rate=0.2'" in proc.stderr
    assert not out.exists()


EMPTY_DVA_FYS = "[] lists no fiscal year; allowed: one or more fiscal years of the horizon, each once (e.g. [2030])"


def tem_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tem", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_run_refuses_an_empty_dva_fys_and_writes_nothing(tmp_path: Path) -> None:
    # Review 17, defect 11: [] was accepted and silently left out the DVA KPIs (and decisions' DVA columns).
    out = tmp_path / "out"
    proc = tem_cli("run", "--no-excel", "--no-charts", "--out", str(out), "--set", "reporting.dva_fys=[]")
    assert proc.returncode == 2
    # one problem: one line (was "error: 1 problem in the assumptions:" and a bullet)
    assert proc.stderr == f"error: --set: reporting.dva_fys: {EMPTY_DVA_FYS}\n"
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_decisions_refuses_an_empty_dva_fys() -> None:
    proc = tem_cli("decisions", "--set", "reporting.dva_fys=[]")
    assert proc.returncode == 2
    assert f"--set: reporting.dva_fys: {EMPTY_DVA_FYS}" in proc.stderr
    assert proc.stdout == ""


def test_validate_refuses_an_empty_dva_fys_in_a_file_on_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {ROOT / 'assumptions' / 'base.yaml'}\nreporting:\n  dva_fys: []\n", encoding="utf-8")
    proc = tem_cli("validate", str(bad))
    assert proc.returncode == 2
    assert f"{bad}:3: reporting.dva_fys: {EMPTY_DVA_FYS}" in proc.stderr


def test_decisions_without_dva_years_says_why_it_has_no_dva_column() -> None:
    # A set that gives no reporting.dva_fys (this toy file extends nothing) reports no DVA year, and says so.
    proc = tem_cli("decisions", "tests/data/toy.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "DVA" not in proc.stdout
    assert proc.stderr.strip() == (
        "note: no DVA columns: reporting.dva_fys is not given (e.g. --set 'reporting.dva_fys=[2030]')"
    )

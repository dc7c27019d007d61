"""A safe analyst workflow (issue 14 item 7): a modified run has its own folder and says so on every page, a run
removes its own stale files, `tem --version`, and did-you-mean for KPI names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl

import tem
from tem.catalogue import unknown_kpi
from tem.cli.common import run_folder
from tem.exports.writer import write_files

ROOT = Path(__file__).parents[2]


def tem_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tem", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_modified_run_has_its_own_folder_and_says_so_on_every_page(tmp_path: Path) -> None:
    plain = tem_cli("run", "--out", str(tmp_path), "--no-png")
    assert plain.returncode == 0, plain.stderr
    before = (tmp_path / "base" / "kpis.json").read_bytes()
    proc = tem_cli(
        "run", "--out", str(tmp_path), "--no-png", "--set", "timeline.discount_rate=0.13", "--set", "pack.pack_yield=0.97"
    )
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "base+discount_rate=0.13+pack_yield=0.97"
    assert folder.is_dir()
    assert (tmp_path / "base" / "kpis.json").read_bytes() == before  # the scenario's own outputs untouched
    assert "outputs written to" in proc.stdout
    assert folder.name in proc.stdout.replace("\n", "")
    caption = "base, modified: timeline.discount_rate=0.13, pack.pack_yield=0.97"
    wb = openpyxl.load_workbook(folder / "base.xlsx")
    for ws in wb.worksheets:  # every printed page's footer
        assert ws.oddFooter.left.text == caption, ws.title
        assert ws.oddFooter.center.text == "&A"
        assert ws.oddFooter.right.text == "Page &P of &N"
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.page_setup.orientation == "landscape"
    assert wb.sheetnames[0] == "Summary"  # the first page states the decision
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert report.index('id="decision"') < report.index('id="kpis"')
    assert f"<title>Battery localization program: {caption}</title>" in report
    assert "Modified run: timeline.discount_rate=0.13, pack.pack_yield=0.97" in report


def test_long_overrides_get_a_short_stable_folder() -> None:
    assert run_folder("base") == "base"
    assert run_folder("base", {"timeline.discount_rate": 0.13}) == "base+discount_rate=0.13"
    assert run_folder("base", {"name": "other"}) == "base"
    many = {f"capex.phases.cell_plant_1.field_{i}": i for i in range(12)}
    name = run_folder("base", many)
    assert name.startswith("base+12changes-")
    assert name == run_folder("base", dict(reversed(list(many.items()))))  # order of --set does not matter
    assert len(name) < 40


def test_a_run_removes_its_own_stale_files_only(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "a.csv": "1",
            "charts/bridge_x.png": b"png",
            "manifest.json": json.dumps({"outputs": {"a.csv": "", "charts/bridge_x.png": ""}}),
        },
    )
    (tmp_path / "notes.txt").write_text("mine")  # not written by tem: never touched
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.csv").write_text("another command's output")
    write_files(tmp_path, {"a.csv": "2", "manifest.json": json.dumps({"outputs": {"a.csv": ""}})})
    assert (tmp_path / "a.csv").read_text() == "2"
    assert not (tmp_path / "charts").exists()  # the stale chart and its empty folder are gone
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "sub" / "other.csv").exists()
    # a manifest edited to point outside the folder is not followed
    (tmp_path / "manifest.json").write_text(json.dumps({"outputs": {"../outside.txt": "", "/etc/hostname": ""}}))
    outside = tmp_path.parent / "outside.txt"
    outside.write_text("keep")
    write_files(tmp_path, {"a.csv": "3", "manifest.json": "{}"})
    assert outside.read_text() == "keep"


def test_sweep_rerun_drops_the_data_table_it_no_longer_makes(tmp_path: Path) -> None:
    args = ["sweep", "--out", str(tmp_path), "--quiet", "--kpi", "npv_inr_cr"]
    first = tem_cli(*args, "--x", "timeline.discount_rate:0.1:0.15:2", "--y", "pack.pack_yield:0.95:0.99:2")
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "base" / "sweep"
    assert (folder / "data_table_npv_inr_cr.csv").exists()
    again = tem_cli(*args)
    assert again.returncode == 0, again.stderr
    assert not (folder / "data_table_npv_inr_cr.csv").exists()
    assert (folder / "tornado_npv_inr_cr.csv").exists()


def test_version_and_did_you_mean() -> None:
    proc = tem_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == tem.__version__
    msg = unknown_kpi("npv", ["npv_inr_cr", "irr", "npv_import_only_inr_cr"])
    assert "did you mean 'npv_inr_cr'" in msg
    assert "did you mean 'irr'" in unknown_kpi("IRR", ["npv_inr_cr", "irr"])
    assert "did you mean" in unknown_kpi("Levelized pack cost", ["levelized_pack_cost_inr_per_kwh", "irr"])
    bad = tem_cli("sweep", "--kpi", "npv", "--quiet", "--out", "/nonexistent/never")
    assert bad.returncode == 2
    assert "did you mean 'npv_inr_cr'" in bad.stderr.replace("\n", " ")
    assert "Traceback" not in bad.stderr

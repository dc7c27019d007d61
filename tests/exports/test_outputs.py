"""Board-ready outputs: the manifest (provenance), the resolved YAML, atomic writes and the CLI's exit codes."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import tem
from tem.exports import manifest as manifest_module
from tem.exports.manifest import build_manifest, git_state, package_versions, resolved_yaml, with_outputs
from tem.exports.writer import OutputError, describe_os_error, write_files

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"
SCENARIO = ROOT / "assumptions" / "scenarios" / "fast_localization.yaml"
OVERRIDES = {"timeline.discount_rate": 0.13, "cells.local.pli.enabled": True}
CORE_FILES = ["kpis.json", "manifest.json", "resolved.yaml", "statement.csv", "tidy.csv", "unit_costs.csv"]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def tem_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tem", *args], cwd=cwd, capture_output=True, text=True, check=False)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path below ``folder`` (relative) with its content (None for folders)."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def leftovers(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def scenario() -> tuple[tem.Assumptions, tem.Result]:
    a = tem.load(SCENARIO, overrides=OVERRIDES)
    return a, tem.run(a)


# --- manifest -------------------------------------------------------------------------------------------------


def test_manifest_records_files_hashes_and_overrides(scenario: tuple[tem.Assumptions, tem.Result]) -> None:
    a, result = scenario
    m = build_manifest(a, result)
    assert m["scenario"] == "fast_localization"
    files = m["assumption_files"]
    assert [Path(f["path"]).name for f in files] == ["base.yaml", "fast_localization.yaml"]  # base first
    for f in files:
        assert f["sha256"] == hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest()
    assert m["overrides"] == OVERRIDES
    assert m["resolved_assumptions"] == a.model_dump(mode="json")
    assert m["resolved_assumptions"]["timeline"]["discount_rate"] == 0.13
    assert m["tem_version"] == tem.__version__
    assert m["python"] == platform.python_version()
    assert m["seed"] is None
    assert m["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", m["git_commit"])
    assert m["git_dirty"] in (None, True, False)
    assert set(m["packages"]) >= {"numpy", "pandas", "pydantic", "numpy-financial", "openpyxl", "plotly", "scipy"}
    assert m["packages"]["numpy"] == __import__("numpy").__version__
    assert m["timestamp"].endswith("Z")
    created = dt.datetime.fromisoformat(m["timestamp"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 600
    json.dumps(m, allow_nan=False)  # JSON-serialisable as is


def test_manifest_timestamp_can_be_given(scenario: tuple[tem.Assumptions, tem.Result]) -> None:
    a, result = scenario
    when = dt.datetime(2026, 4, 1, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert build_manifest(a, result, created=when)["timestamp"] == "2026-04-01T00:00:00Z"


def test_manifest_git_commit_of_the_repository() -> None:
    state = git_state()
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    if head.returncode != 0:
        pytest.skip("repository without commits")
    assert state["commit"] == head.stdout.strip()
    assert isinstance(state["dirty"], bool)


def test_manifest_git_is_none_outside_a_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(manifest_module, "PACKAGE_DIR", tmp_path)
    assert git_state() == {"commit": None, "dirty": None}


@pytest.mark.parametrize("failure", [FileNotFoundError(errno.ENOENT, "git"), subprocess.TimeoutExpired("git", 5.0)])
def test_manifest_git_missing_or_hanging_gives_none(monkeypatch: pytest.MonkeyPatch, failure: Exception) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise failure

    monkeypatch.setattr(manifest_module.subprocess, "run", broken)
    assert git_state() == {"commit": None, "dirty": None}


def test_package_versions_missing_is_none() -> None:
    versions = package_versions(("numpy", "surely-not-an-installed-package"))
    assert versions["numpy"]
    assert versions["surely-not-an-installed-package"] is None


def test_with_outputs_lists_sha256_of_each_file(scenario: tuple[tem.Assumptions, tem.Result]) -> None:
    a, result = scenario
    m = build_manifest(a, result)
    listed = with_outputs(m, {"a.csv": "x,y\n", "charts/b.png": b"\x89PNG"})
    assert listed["outputs"] == {
        "a.csv": hashlib.sha256(b"x,y\n").hexdigest(),
        "charts/b.png": hashlib.sha256(b"\x89PNG").hexdigest(),
    }
    assert "outputs" not in m  # a copy


def test_resolved_yaml_reloads_to_the_same_kpis(scenario: tuple[tem.Assumptions, tem.Result], tmp_path: Path) -> None:
    a, result = scenario
    text = resolved_yaml(a)
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert "Generated by tem" in header[0]
    assert any(str(SCENARIO) in line and a.sources[1][1] in line for line in header)
    assert any(str(BASE) in line and a.sources[0][1] in line for line in header)
    assert any("override timeline.discount_rate = 0.13" in line for line in header)
    assert "extends" not in yaml.safe_load(text)  # self-contained
    path = tmp_path / "resolved.yaml"
    path.write_text(text, encoding="utf-8")
    again = tem.load(path)
    assert again.model_dump(mode="json") == a.model_dump(mode="json")
    assert tem.run(again).kpis == result.kpis


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "assumptions" / "scenarios").glob("*.yaml")))
def test_resolved_yaml_of_every_scenario_reloads(name: str, tmp_path: Path) -> None:
    a = tem.load(ROOT / "assumptions" / "scenarios" / name)
    path = tmp_path / "resolved.yaml"
    path.write_text(resolved_yaml(a), encoding="utf-8")
    assert tem.run(tem.load(path)).kpis == tem.run(a).kpis


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "tests" / "data").glob("*.yaml")))
def test_resolved_yaml_of_every_test_data_file_reloads(name: str, tmp_path: Path) -> None:
    # The toy files extend nothing and give no reporting.dva_fys (no DVA year reported). The schema refuses an
    # explicit [] (review 17, defect 11), so the dump must not write the default [] back.
    a = tem.load(ROOT / "tests" / "data" / name)
    path = tmp_path / "resolved.yaml"
    path.write_text(resolved_yaml(a), encoding="utf-8")
    again = tem.load(path)
    assert again.model_dump(mode="json") == a.model_dump(mode="json")
    assert again.reporting.dva_fys == a.reporting.dva_fys
    assert tem.run(again).kpis == tem.run(a).kpis


# --- atomic writes --------------------------------------------------------------------------------------------

OLD = {"a.csv": "old a\n" * 1000, "b.csv": "old b\n" * 1000, "c.json": "old c\n" * 1000, "d.yaml": "old d\n" * 1000}
NEW = {"a.csv": "new a\n" * 1000, "b.csv": b"new b\n" * 1000, "c.json": "new c\n" * 1000, "d.yaml": "new d\n" * 1000}


def _content(x: bytes | str) -> bytes:
    return x.encode() if isinstance(x, str) else x


def test_write_files_writes_text_bytes_and_subfolders(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "base"
    written = write_files(folder, {"x.csv": "é,1\n", "charts/cash.png": b"\x89PNG\r\n", "charts/deep/y.txt": "y"})
    assert written == [folder / "x.csv", folder / "charts" / "cash.png", folder / "charts" / "deep" / "y.txt"]
    assert (folder / "x.csv").read_bytes() == "é,1\n".encode()  # UTF-8, no newline translation
    assert (folder / "charts" / "cash.png").read_bytes() == b"\x89PNG\r\n"
    assert leftovers(tmp_path) == []


def test_write_files_replaces_and_respects_umask(tmp_path: Path) -> None:
    old_mask = os.umask(0o022)
    try:
        write_files(tmp_path, OLD)
        write_files(tmp_path, NEW)
    finally:
        os.umask(old_mask)
    for name, content in NEW.items():
        assert (tmp_path / name).read_bytes() == _content(content)
        if os.name == "posix":
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600
    assert leftovers(tmp_path) == []


def test_failed_rename_keeps_every_file_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, OLD)  # a previous successful run
    real_replace = os.replace
    calls = []

    def replace_fails_third(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(errno.EACCES, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_fails_third)
    with pytest.raises(OutputError, match=r"cannot replace .*c\.json: permission denied") as info:
        write_files(tmp_path, NEW)
    assert "Excel" in str(info.value)  # the likely cause on a board member's laptop
    monkeypatch.undo()
    assert leftovers(tmp_path) == []
    # files renamed before the failure are new and complete, the rest old and complete
    assert (tmp_path / "a.csv").read_bytes() == _content(NEW["a.csv"])
    assert (tmp_path / "b.csv").read_bytes() == _content(NEW["b.csv"])
    assert (tmp_path / "c.json").read_bytes() == _content(OLD["c.json"])
    assert (tmp_path / "d.yaml").read_bytes() == _content(OLD["d.yaml"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OLD)


def test_failed_write_touches_no_existing_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, OLD)
    before = tree(tmp_path)
    real_fsync = os.fsync
    calls = []

    def disk_full_on_third(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_on_third)
    with pytest.raises(OutputError, match=r"cannot write .*c\.json: the disk is full"):
        write_files(tmp_path, NEW)
    monkeypatch.undo()
    assert tree(tmp_path) == before  # staging failed: nothing replaced, no temporary file left


def test_directory_in_the_way(tmp_path: Path) -> None:
    write_files(tmp_path, OLD)
    (tmp_path / "c.json").unlink()
    (tmp_path / "c.json").mkdir()
    before = tree(tmp_path)
    with pytest.raises(OutputError, match=r"c\.json: a folder is in the way"):
        write_files(tmp_path, NEW)
    assert tree(tmp_path) == before


def test_parent_is_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("not a folder")
    with pytest.raises(OutputError, match=r"report\.txt.*(file, not a folder|file is in the way)"):
        write_files(tmp_path / "report.txt" / "out", {"a.csv": "1"})
    with pytest.raises(OutputError, match=r"report\.txt.*(file, not a folder|file is in the way)"):
        write_files(tmp_path, {"report.txt/a.csv": "1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


@pytest.mark.skipif(IS_ROOT or os.name != "posix", reason="root writes into read-only folders")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    write_files(folder, OLD)
    before = tree(folder)
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            write_files(folder, NEW)
    finally:
        folder.chmod(0o700)
    assert tree(folder) == before


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "a/../../evil.txt", "/tmp/evil.txt", "..", "..\\evil.txt", "C:\\evil.txt", "C:evil.txt", "", "."],
)
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "out"
    with pytest.raises(OutputError, match="refusing output name"):
        write_files(folder, {"fine.csv": "1", name: "evil"})
    assert list(tmp_path.iterdir()) == []  # checked before anything is written


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_symlink_leading_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "charts").symlink_to(outside)
    with pytest.raises(OutputError, match="leads outside the output folder"):
        write_files(folder, {"charts/x.html": "x", "charts/sub/y.html": "y"})
    assert list(outside.iterdir()) == []
    assert leftovers(tmp_path) == []


def test_bad_content_type_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="must be bytes or str"):
        write_files(tmp_path, {"a.csv": 3})  # type: ignore[dict-item]
    assert list(tmp_path.iterdir()) == []


def test_output_error_is_a_tem_error_and_explains_errno() -> None:
    assert issubclass(OutputError, tem.TemError)
    assert describe_os_error(OSError(errno.EROFS, "Read-only file system")).startswith("the file system is read-only")
    assert "disk is full" in describe_os_error(OSError(errno.ENOSPC, "No space left on device"))
    assert describe_os_error(OSError(errno.EIO, "Input/output error")) == "Input/output error"


# --- the command line -----------------------------------------------------------------------------------------


def test_cli_run_writes_manifest_and_resolved_yaml(tmp_path: Path) -> None:
    proc = tem_cli(
        "run", str(SCENARIO), "--out", str(tmp_path), "--set", "timeline.discount_rate=0.13", "--no-excel", "--no-charts"
    )
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "fast_localization+discount_rate=0.13"  # a modified run never writes over the scenario's
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
    assert sorted(p.name for p in folder.iterdir()) == CORE_FILES
    m = json.loads((folder / "manifest.json").read_text())
    assert [Path(f["path"]).name for f in m["assumption_files"]] == ["base.yaml", "fast_localization.yaml"]
    for f in m["assumption_files"]:
        assert f["sha256"] == hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest()
    assert m["overrides"] == {"timeline.discount_rate": 0.13}
    # manifest.json lists every other file of the run with the SHA-256 of what was written
    assert sorted(m["outputs"]) == [n for n in CORE_FILES if n != "manifest.json"]
    for name, sha in m["outputs"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha
    kpis = json.loads((folder / "kpis.json").read_text())
    assert kpis["provenance"] == {
        "tem_version": m["tem_version"],
        "assumption_files": m["assumption_files"],
        "overrides": m["overrides"],
        "git_commit": m["git_commit"],
        "git_dirty": m["git_dirty"],
        "timestamp": m["timestamp"],
    }
    # the resolved YAML reproduces the run, without the original files or the override
    again = tem_cli(
        "run", str(folder / "resolved.yaml"), "--out", str(tmp_path / "again"), "--json", "--no-excel", "--no-charts"
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["kpis"] == kpis["kpis"]


def test_cli_unwritable_out_exits_1_without_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("I am a file")
    before = tree(tmp_path)
    proc = tem_cli("run", "--out", str(blocker / "out"), "--no-excel", "--no-charts")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert re.search(r"error:.*cannot create the output folder .*a_file", proc.stderr.replace("\n", " "))
    assert "file, not a folder" in proc.stderr.replace("\n", " ")
    assert tree(tmp_path) == before


def test_cli_locked_target_exits_1_and_keeps_previous_outputs(tmp_path: Path) -> None:
    first = tem_cli("run", "--out", str(tmp_path), "--no-excel", "--no-charts")
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "base"
    (folder / "tidy.csv").unlink()
    (folder / "tidy.csv").mkdir()  # something that cannot be replaced by a file
    before = tree(tmp_path)
    proc = tem_cli("run", "--out", str(tmp_path), "--no-excel", "--no-charts")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "tidy.csv" in proc.stderr
    assert "a folder is in the way" in proc.stderr.replace("\n", " ")
    assert tree(tmp_path) == before  # found while staging: no output replaced, no temporary file left


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "timeline.discount_rate=12.5"],
        [str(ROOT / "tests" / "malformed" / "duplicate_key.yaml")],
        [str(BASE), str(ROOT / "tests" / "malformed" / "inf_value.yaml")],  # one good file, one bad: nothing
        [str(BASE), str(BASE)],  # two scenarios into one folder
    ],
)
def test_cli_bad_assumptions_exit_2_and_write_nothing(tmp_path: Path, args: list[str]) -> None:
    before = tree(tmp_path)
    proc = tem_cli("run", "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "error:" in proc.stderr
    assert tree(tmp_path) == before


def test_cli_writes_nothing_outside_out(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("keep me")
    before = tree(tmp_path)
    proc = tem_cli("run", str(BASE), str(SCENARIO), "--out", "outputs", cwd=work)
    assert proc.returncode == 0, proc.stderr
    after = tree(tmp_path)
    new = sorted(set(after) - set(before))
    assert new
    assert all(p.startswith(os.path.join("work", "outputs")) for p in new), new
    assert {p: after[p] for p in before} == before
    assert leftovers(tmp_path) == []


# --- stale temporary files (issue 10, item 18) ---------------------------------------------------------------


def _stale(folder: Path, name: str, age_s: float = 60.0) -> Path:
    path = folder / name
    path.write_bytes(b"half a file")
    past = path.stat().st_mtime - age_s
    os.utime(path, (past, past))
    return path


def test_a_write_removes_stale_temporaries_of_our_pattern_only(tmp_path: Path) -> None:
    (tmp_path / "charts").mkdir()
    ours = [_stale(tmp_path, ".kpis.json.0a1b2c3d.tmp"), _stale(tmp_path / "charts", ".cash.png.deadbeef.tmp")]
    others = [
        _stale(tmp_path, ".kpis.json.0A1B2C3D.tmp"),  # not our hex
        _stale(tmp_path, ".notes.1234.tmp"),  # not 8 digits
        _stale(tmp_path, "kpis.json.0a1b2c3d.tmp"),  # not hidden
        _stale(tmp_path, ".kpis.json.0a1b2c3d.tmp.bak"),
    ]
    fresh = _stale(tmp_path, ".tidy.csv.00000000.tmp", age_s=0.0)  # a writer may be between creating and locking
    other_folder = tmp_path / "elsewhere"
    other_folder.mkdir()
    untouched = _stale(other_folder, ".a.csv.0a1b2c3d.tmp")  # no file is written there
    write_files(tmp_path, {"kpis.json": "{}", "charts/cash.html": "<html/>"})
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in [*others, fresh, untouched])


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="flock locks")
def test_a_temporary_held_by_a_live_writer_is_never_removed(tmp_path: Path) -> None:
    import fcntl

    from tem.exports.writer import remove_stale_temporaries

    held = _stale(tmp_path, ".a.csv.0a1b2c3d.tmp")
    left = _stale(tmp_path, ".b.csv.0a1b2c3d.tmp")
    code = (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX); "
        "print('locked', flush=True); time.sleep(30)"
    )
    writer = subprocess.Popen([sys.executable, "-c", code, str(held)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "locked"
        assert remove_stale_temporaries(tmp_path) == [left]
        assert held.exists()
    finally:
        writer.kill()
        writer.communicate()
    assert remove_stale_temporaries(tmp_path) == [held]  # its writer is gone: now it is stale
    del fcntl


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_run_killed_while_writing_leaves_temporaries_the_next_write_removes(tmp_path: Path) -> None:
    # the killed writer stands for `kill -9` during an export: staged files, nothing renamed
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from tem.exports import writer\n"
        "def die(*a): os.kill(os.getpid(), signal.SIGKILL)\n"
        "writer.os.replace = die\n"
        "writer.write_files(Path(sys.argv[1]), {'a.csv': 'x' * 100000, 'charts/b.html': 'y'})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == -9
    left = leftovers(tmp_path)
    assert len(left) == 2
    for name in left:  # as after a while: the next run comes seconds later
        past = Path(name).stat().st_mtime - 10
        os.utime(name, (past, past))
    write_files(tmp_path, {"a.csv": "new", "charts/b.html": "new"})
    assert leftovers(tmp_path) == []
    assert (tmp_path / "a.csv").read_text() == "new"


def test_concurrent_writers_into_one_folder_never_remove_each_others_files(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom tem.exports.writer import write_files\n"
        "for i in range(40):\n"
        "    write_files(Path(sys.argv[1]), {f'{n}.csv': sys.argv[2] * 20000 for n in 'abcdefgh'})\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), tag], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for tag in "xy"
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert leftovers(tmp_path) == []
    for n in "abcdefgh":
        assert (tmp_path / f"{n}.csv").read_text() in ("x" * 20000, "y" * 20000)

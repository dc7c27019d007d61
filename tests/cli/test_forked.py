"""tem/cli/forked.py: a step computed in a forked child gives what it gives in-process, raises what it raises,
writes nothing, and is killed and reaped when the parent stops waiting."""

from __future__ import annotations

import os
import re
import signal
import time
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

import tem
from tem.cli.forked import Forked, Inbox, fork_available
from tem.cli.run import EarlyWorkbook, OutputOptions, render_outputs

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(not fork_available(), reason="no os.fork here: steps run in-process")


def payload(n: int) -> dict[str, object]:
    return {"bytes": bytes(range(256)) * n, "floats": [0.1 * i for i in range(n)], "text": "Rs ₹ crore"}


class Unpicklable(Exception):
    def __reduce__(self) -> object:
        raise TypeError("no pickling")


def fail(kind: str) -> None:
    print("from the child")  # never reaches the console
    if kind == "value":
        raise ValueError("bad 42")
    if kind == "interrupt":
        raise KeyboardInterrupt
    if kind == "unpicklable":
        raise Unpicklable("odd")
    if kind == "killed":
        os.kill(os.getpid(), signal.SIGKILL)


def test_the_result_is_the_in_process_result() -> None:
    step = Forked(payload, 20_000)  # 5 MB: more than a pipe holds at once
    assert step.forked
    assert step.result() == payload(20_000)


def test_exceptions_come_back_with_their_type_and_message(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="bad 42"):
        Forked(fail, "value").result()
    with pytest.raises(KeyboardInterrupt):
        Forked(fail, "interrupt").result()
    with pytest.raises(RuntimeError, match=r"(?s)failed in its child process:.*Unpicklable: odd"):
        Forked(fail, "unpicklable").result()
    with pytest.raises(RuntimeError, match="stopped without a result \\(signal 9\\)"):
        Forked(fail, "killed").result()
    out, errors = capfd.readouterr()
    assert out == ""
    assert errors == ""


def test_cancel_kills_and_reaps_the_child() -> None:
    step = Forked(time.sleep, 60)
    pid = step._pid
    assert pid is not None
    started = time.monotonic()
    with step:
        pass  # leaving the block (an error, Ctrl-C) cancels
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)
    step.cancel()  # twice is harmless


def written(path: Path, text: str) -> None:
    """``text`` in ``path``, whole when the file appears (the test polls for it)."""
    part = path.with_name(path.name + ".part")
    part.write_text(text)
    os.replace(part, path)


def leave_a_temporary_file(marker: Path) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile(prefix="openpyxl.", suffix=".xml", delete=False) as f:
        f.write(b"<sheetData>")  # as openpyxl's sheet writer, until the workbook is saved
    written(marker, f.name)
    time.sleep(60)


def test_a_killed_child_leaves_no_temporary_file(tmp_path: Path) -> None:
    marker = tmp_path / "made"
    step = Forked(leave_a_temporary_file, marker)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    left = Path(marker.read_text())
    assert left.exists()
    assert left.parent.name.startswith("tem-step-")
    step.cancel()  # Ctrl-C or an error in the parent: the child is killed while its file is open
    assert not left.exists()
    assert not left.parent.exists()


def test_without_fork_the_step_runs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEM_NO_FORK", "1")
    step = Forked(payload, 3)
    assert not step.forked
    assert step.result() == payload(3)
    with pytest.raises(ValueError, match="bad 42"):
        Forked(fail, "value").result()


def read_inbox(inbox: Inbox[object], pid_file: Path | None = None) -> object:
    if pid_file is not None:
        written(pid_file, str(os.getpid()))
    return inbox.get()


def test_an_inbox_carries_a_value_sent_after_the_fork(tmp_path: Path) -> None:
    inbox: Inbox[object] = Inbox()
    step = Forked(read_inbox, inbox, tmp_path / "pid")
    deadline = time.monotonic() + 30
    while not (tmp_path / "pid").exists() and time.monotonic() < deadline:  # the child is waiting in get()
        time.sleep(0.01)
    assert int((tmp_path / "pid").read_text()) != os.getpid()
    inbox.send(payload(20_000))  # 5 MB: more than a pipe holds at once; the parent does not wait for the child
    assert step.result() == payload(20_000)
    with pytest.raises(RuntimeError, match="nothing was sent"):  # this side is closed once sent
        inbox.get()


def test_an_inbox_closed_without_sending_fails_the_child_step() -> None:
    inbox: Inbox[object] = Inbox()
    step = Forked(read_inbox, inbox)
    inbox.close()
    with pytest.raises(RuntimeError, match="sent nothing"):
        step.result()


def test_without_fork_an_inbox_hands_the_value_over_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEM_NO_FORK", "1")
    inbox: Inbox[object] = Inbox()
    step = Forked(read_inbox, inbox)
    assert not step.forked
    inbox.send([1.5, "x"])
    assert step.result() == [1.5, "x"]


def test_the_early_workbook_is_the_workbook_of_the_usual_step() -> None:
    """``tem run``'s workbook child forked before the model runs, sent the result, manifest and summary: the same
    workbook as the child forked with them (and the other files the same too)."""
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    options = OutputOptions(excel=True, charts=False)
    with EarlyWorkbook(a) as early:
        assert early.step.forked
        result = tem.run(a)  # while the child loads the workbook's modules
        sent, _ = render_outputs(result, a, options, early)
    usual, _ = render_outputs(result, a, options)
    assert sent.keys() == usual.keys()
    for name in sent:
        if name == "base.xlsx":
            assert _parts(sent[name]) == _parts(usual[name])  # type: ignore[arg-type]
        elif name != "manifest.json":  # it lists the workbook's hash, which has its save time in it
            assert _steady(sent[name]) == _steady(usual[name]), name  # kpis.json: the run's time
    with EarlyWorkbook(a) as other, pytest.raises(ValueError, match="another scenario"):
        render_outputs(result, a.model_copy(), options, other)


@pytest.mark.parametrize("closed", ["stdout", "stdout and stdin"])
def test_tem_run_with_standard_streams_closed_writes_every_output(tmp_path: Path, closed: str) -> None:
    """With stdout (and stdin) closed the pipes and the inbox's file get descriptors 0-2, where a forked child puts
    /dev/null: they are kept above them, so the workbook still arrives (it failed with EBADF, exit code 1)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TEM_NO_FORK"}
    shell = f"exec {sys.executable} -m tem run --no-png --no-charts --out {tmp_path} assumptions/base.yaml >&-"
    if "stdin" in closed:
        shell += " <&-"
    proc = subprocess.run(["bash", "-c", shell], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    with zipfile.ZipFile(tmp_path / "base" / "base.xlsx") as book:
        assert "xl/workbook.xml" in book.namelist()


def _parts(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(BytesIO(data))
    # the Cover's run date and the package's creation/modification times
    return {n: re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[0-9:+.Z]*", b"", z.read(n)) for n in z.namelist()}


def test_tem_run_outputs_equal_with_and_without_the_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    result = tem.run(a)
    options = OutputOptions(excel=True, charts=False)
    forked, _ = render_outputs(result, a, options)
    monkeypatch.setenv("TEM_NO_FORK", "1")
    in_process, _ = render_outputs(result, a, options)
    assert forked.keys() == in_process.keys()
    book = "base.xlsx"
    assert _parts(forked[book]) == _parts(in_process[book])  # type: ignore[arg-type]


_VARYING = re.compile(
    rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # plotly's div ids, fresh on every page
    rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?[0-9:+.Z]*"  # the report's run time
)


def _steady(content: bytes | str) -> bytes:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return _VARYING.sub(b"", data)


@pytest.mark.parametrize("png", [False, True], ids=["html", "png"])
def test_charts_and_report_equal_with_and_without_the_fork(monkeypatch: pytest.MonkeyPatch, png: bool) -> None:
    """The figures, their HTML, the PNGs (drawn from the dicts the child sends) and the report: the same files
    whether the chart step runs in a child or in-process."""
    if png:
        from tem.exports.charts.png import png_available

        ok, why = png_available()
        if not ok:
            if os.environ.get("TEM_REQUIRE_BROWSER") == "1":
                pytest.fail(f"TEM_REQUIRE_BROWSER=1 but {why}")
            pytest.skip(why)
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    result = tem.run(a)
    options = OutputOptions(excel=False, charts=True, png=png)
    forked, _ = render_outputs(result, a, options)
    monkeypatch.setenv("TEM_NO_FORK", "1")
    in_process, _ = render_outputs(result, a, options)
    assert list(forked) == list(in_process)
    assert sum(name.endswith(".png") for name in forked) == (7 if png else 0)
    assert sum(name.endswith(".html") for name in forked) == 8  # 7 charts and the report
    for name in forked:
        if name != "manifest.json":  # it lists the other files' hashes, which differ by the ids above
            assert _steady(forked[name]) == _steady(in_process[name]), name

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
from tem.cli.forked import Forked, fork_available
from tem.cli.run import OutputOptions, render_outputs

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


def test_without_fork_the_step_runs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEM_NO_FORK", "1")
    step = Forked(payload, 3)
    assert not step.forked
    assert step.result() == payload(3)
    with pytest.raises(ValueError, match="bad 42"):
        Forked(fail, "value").result()


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

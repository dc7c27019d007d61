"""stdout and stderr that cannot be written (tem.cli.streams): stderr is best effort, stdout's failure is one line
and exit code 1, never a traceback, and the files of a run are written whatever happens to what it prints."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tem.cli.streams import BestEffort, Reported, StdoutError

ROOT = Path(__file__).parents[2]
FULL = Path("/dev/full")  # every write fails with ENOSPC
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def _tem(shell_args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TEM_NO_FORK"}
    shell = f"exec {sys.executable} -m tem {shell_args}"
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        ["bash", "-c", shell], cwd=ROOT, env=env, text=True, timeout=300, **kwargs
    )


def _workbook_written(folder: Path) -> None:
    with zipfile.ZipFile(folder / "base" / "base.xlsx") as book:
        assert "xl/workbook.xml" in book.namelist()


@pytest.mark.parametrize("stderr", ["2>&-", "2</dev/null"])
def test_tem_run_with_stderr_unwritable_writes_every_output(tmp_path: Path, stderr: str) -> None:
    """The spinner's first write to a stderr that takes no writes (closed, or open for reading: EBADF, as Python
    sees a closed stderr when started through a shell wrapper such as pyenv's) ended the command with exit code 1
    and no file written."""
    proc = _tem(f"run --no-png --no-charts --out {tmp_path} assumptions/base.yaml {stderr}", capture_output=True)
    assert proc.returncode == 0
    assert "outputs written to" in proc.stdout
    _workbook_written(tmp_path)


@pytest.mark.parametrize("stderr", ["2>&-", "2</dev/null"])
def test_bad_input_with_stderr_unwritable_still_exits_2(stderr: str) -> None:
    proc = _tem(f"validate README.md {stderr}", capture_output=True)
    assert proc.returncode == 2


def test_tem_run_with_stderr_on_a_terminal_that_went_away(tmp_path: Path) -> None:
    """A pseudo-terminal whose other side closed (an SSH session that dropped): every write fails with EIO."""
    leader, follower = os.openpty()
    os.close(leader)
    try:
        proc = _tem(
            f"run --no-png --no-charts --out {tmp_path} assumptions/base.yaml",
            stdout=subprocess.PIPE,
            stderr=follower,
        )
    finally:
        os.close(follower)
    assert proc.returncode == 0
    _workbook_written(tmp_path)


@needs_dev_full
@pytest.mark.parametrize("as_json", [False, True])
def test_tem_run_into_a_full_disk_is_one_line_and_exit_code_1(tmp_path: Path, as_json: bool) -> None:
    """The KPI table (or ``--json``, buffered, failing only at the end) into a full disk: the files are written,
    then one line and exit code 1, no traceback."""
    option = "--json " if as_json else ""
    proc = _tem(
        f"run --no-png --no-charts {option}--out {tmp_path} assumptions/base.yaml > /dev/full", stderr=subprocess.PIPE
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: standard output could not be written (No space left on device): what the command printed there is "
        "incomplete; it ran to its end otherwise"
    ]
    assert "Traceback" not in proc.stderr
    assert "Exception ignored" not in proc.stderr
    _workbook_written(tmp_path)


@needs_dev_full
@pytest.mark.parametrize("args", ["schema", "--help", "--version", "validate assumptions/base.yaml"])
def test_printing_commands_into_a_full_disk(args: str) -> None:
    proc = _tem(f"{args} > /dev/full", stderr=subprocess.PIPE)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("error: standard output could not be written (No space left on device)") == 1
    assert "Traceback" not in proc.stderr
    assert "Exception ignored" not in proc.stderr


class _Failing(io.StringIO):
    def __init__(self, exc: OSError) -> None:
        super().__init__()
        self.exc = exc
        self.calls = 0

    def write(self, text: str) -> int:
        self.calls += 1
        raise self.exc


def test_reported_keeps_the_first_error_and_drops_the_rest() -> None:
    stream = _Failing(OSError(5, "Input/output error"))
    wrapped = Reported(stream)  # type: ignore[arg-type]
    assert wrapped.write("abc") == 3  # no exception: the command goes on to its end
    assert wrapped.write("more") == 4
    wrapped.flush()
    assert stream.calls == 1
    assert isinstance(wrapped.error, OSError)
    assert str(StdoutError(wrapped.error)).startswith("standard output could not be written (Input/output error)")


def test_best_effort_drops_what_fails_and_keeps_what_works() -> None:
    good = io.StringIO()
    wrapped = BestEffort(good)  # type: ignore[arg-type]
    assert wrapped.write("kept") == 4
    assert good.getvalue() == "kept"
    assert wrapped.encoding == good.encoding  # everything else is the stream's own
    failing = _Failing(OSError(9, "Bad file descriptor"))
    dropping = BestEffort(failing)  # type: ignore[arg-type]
    assert dropping.write("lost") == 4
    assert dropping.write("lost too") == 8
    dropping.flush()
    assert failing.calls == 1


def test_a_failed_stream_points_its_descriptor_at_dev_null() -> None:
    """What is still buffered must not fail again when Python flushes at exit: the descriptor goes to /dev/null."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to write_end now fails with EPIPE
    stream = os.fdopen(write_end, "w")
    wrapped = Reported(stream)
    wrapped.write("x" * 100_000)  # larger than the buffer: written through at once, and fails
    assert isinstance(wrapped.error, BrokenPipeError)
    stream.write("still buffered")
    stream.flush()  # no error: the descriptor is /dev/null's now
    assert os.path.samestat(os.fstat(write_end), os.stat(os.devnull))
    stream.close()


SCENARIOS = "assumptions/base.yaml assumptions/scenarios/slow_ramp.yaml assumptions/scenarios/pli_win.yaml"


@needs_dev_full
def test_every_scenario_is_run_and_written_when_stdout_fails(tmp_path: Path) -> None:
    """stdout failing after the first scenario's table stopped the run there: the other scenarios were never run,
    and the warnings printed after the tables were lost."""
    proc = _tem(f"run --no-png --no-charts --out {tmp_path} {SCENARIOS} > /dev/full", stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "pli_win", "slow_ramp"]
    for name in ("base", "pli_win", "slow_ramp"):
        assert (tmp_path / name / "manifest.json").is_file()
    assert proc.stderr.count("error: standard output could not be written") == 1
    assert "warning:" in proc.stderr


def test_a_reader_that_quits_still_gets_every_scenario_written(tmp_path: Path) -> None:
    proc = _tem(f"run --no-png --no-charts --out {tmp_path} {SCENARIOS} | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}")
    assert proc.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base", "pli_win", "slow_ramp"]


@pytest.mark.parametrize("args", ["schema", "decisions --json", "run --no-png --no-charts --json --out {out}", "schema <&-"])
def test_stdout_closed_from_the_start_is_dev_null(tmp_path: Path, args: str) -> None:
    """Python starts without sys.stdout when descriptor 1 is closed: a command that writes JSON there failed with
    a traceback (AttributeError on None)."""
    proc = _tem(args.format(out=tmp_path) + " >&-", capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr

"""Ctrl-C at any moment (issue 10, item 18): exit code 130 and one line on stderr, never a traceback.

SIGINT is sent to a real ``tem`` process at several delays: while the modules load, while the command runs,
while the outputs are written, and in an ``atexit`` handler (where kaleido closes its browser). Python's own
start-up (site-packages), before any tem code runs, is not tem's: Python's default applies there, and the delays
count from the moment tem's handler is installed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tem.cli.interrupts import EXIT_CODE, MESSAGE

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def interrupted(args: list[str], delay_s: float) -> subprocess.CompletedProcess[str]:
    """Run ``python -X importtime -m tem <args>``, send SIGINT ``delay_s`` after tem's handler is in place (the
    import of tem.cli.interrupts is reported on stderr; Python's own start-up before it can take long on a busy
    machine), and return the result with the import-time lines removed from stderr."""
    cmd = [sys.executable, "-X", "importtime", "-m", "tem", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "tem.cli.interrupts" in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert ready.wait(timeout=120)
    time.sleep(0.05 + delay_s)
    proc.send_signal(signal.SIGINT)
    out = proc.stdout.read() if proc.stdout is not None else ""
    proc.wait(timeout=300)
    reader.join()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    err = "".join(line for line in lines if not line.startswith("import time:"))
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def assert_one_line(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "KeyboardInterrupt" not in proc.stderr, proc.stderr
    assert "Aborted" not in proc.stderr, proc.stderr
    if proc.returncode == 0:  # finished before the signal came
        return
    assert proc.returncode == EXIT_CODE, proc.stderr
    assert proc.stderr.splitlines()[-1:] == [MESSAGE.strip()], proc.stderr
    assert proc.stderr.count(MESSAGE.strip()) == 1


def interrupt_once_there(proc: subprocess.Popen[str], marker: Path) -> tuple[str, str]:
    """Send Ctrl-C once ``marker`` exists (the process reached the moment under test); then check it ended with
    one line and exit code 130, and return its stdout and stderr."""
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert_one_line(subprocess.CompletedProcess([], proc.returncode, out, err))
    assert proc.returncode == EXIT_CODE
    return out, err


@pytest.mark.parametrize("delay_s", [0.0, 0.1, 0.4, 1.0, 2.5, 5.0])
def test_ctrl_c_during_a_run_exits_130_with_one_line(tmp_path: Path, delay_s: float) -> None:
    out = tmp_path / "out"
    proc = interrupted(["run", "--no-charts", "--out", str(out)], delay_s)
    assert_one_line(proc)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # no temporary file left behind


@pytest.mark.parametrize("delay_s", [3.0, 5.0])
def test_ctrl_c_during_a_run_with_every_output_exits_130_with_one_line(tmp_path: Path, delay_s: float) -> None:
    # the workbook in its forked child, the browser drawing PNGs: both stopped, one line, nothing half-written
    out = tmp_path / "out"
    proc = interrupted(["run", "--out", str(out)], delay_s)
    assert_one_line(proc)
    assert_nothing_half_written(out)


def assert_nothing_half_written(out: Path) -> None:
    """No temporary file is left, and every file the run's manifest lists is whole (its SHA-256). Each file
    replaces its old version only when complete (tem.exports.writer), so a Ctrl-C that lands while the files are
    being written (a fast run, or a busy machine) leaves the ones written so far, each whole."""
    import hashlib
    import json

    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(".tmp") or ".tmp" in p.suffixes], files
    for manifest in out.rglob("manifest.json"):
        listed = json.loads(manifest.read_text())["outputs"]
        for name, entry in listed.items():
            path = manifest.parent / name
            digest = entry["sha256"] if isinstance(entry, dict) else entry
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name


def test_nothing_after_the_line_when_clean_up_fails_after_ctrl_c(tmp_path: Path) -> None:
    # after Ctrl-C, an exit handler or finalizer that fails (Chromium still writing its profile folder when
    # it is removed: "OSError: Directory not empty") must not print a traceback after the line
    marker = tmp_path / "running"
    code = (
        "import atexit, sys, time\n"
        "from pathlib import Path\n"
        "sys.argv = ['tem', 'version']\n"
        "import tem.cli\n"
        "import tem.cli.run\n"
        "def failing():\n"
        "    raise OSError(39, 'Directory not empty', 'Default')\n"
        "atexit.register(failing)\n"
        "class Slow:\n"  # `tem version` prints through tem.cli.run.out: make that wait for the signal
        "    def print(self, *args, **kwargs):\n"
        f"        Path({str(marker)!r}).touch(); time.sleep(30)\n"
        "tem.cli.run.out = Slow()\n"
        "tem.cli.main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _out, err = interrupt_once_there(proc, marker)
    assert "OSError" not in err


def test_ctrl_c_in_an_atexit_handler_exits_130_with_one_line(tmp_path: Path) -> None:
    # an exit handler that takes time, as kaleido's browser shutdown and Chromium's profile clean-up do
    marker = tmp_path / "started"
    code = (
        "import atexit, sys, time\n"
        "from pathlib import Path\n"
        "sys.argv = ['tem', 'version']\n"
        "import tem.cli\n"
        f"atexit.register(lambda: (Path({str(marker)!r}).touch(), time.sleep(30)))\n"
        "tem.cli.main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, _err = interrupt_once_there(proc, marker)
    assert out.strip() == "0.1.0"  # the command itself had finished


def test_ctrl_c_while_a_command_runs_unwinds_and_removes_temporaries(tmp_path: Path) -> None:
    # the signal lands while write_files has staged its files: finally blocks remove them, then exit 130
    marker = tmp_path / "staged"
    code = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from tem.cli.interrupts import guarded, install\n"
        "from tem.exports import writer\n"
        "real = writer.os.replace\n"
        "def slow(src, dst):\n"
        f"    Path({str(marker)!r}).touch(); time.sleep(30); real(src, dst)\n"
        "writer.os.replace = slow\n"
        "install()\n"
        "guarded(lambda: writer.write_files(Path(sys.argv[1]), {'a.csv': 'x', 'b/c.csv': 'y'}))\n"
    )
    out_dir = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(out_dir)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _out, _err = interrupt_once_there(proc, marker)
    assert not [p for p in out_dir.rglob("*") if p.is_file()]


def test_the_handler_is_installed_before_anything_heavy_loads() -> None:
    heavy = "('numpy', 'pandas', 'plotly', 'typer', 'pydantic')"
    code = f"import sys, tem; print(sorted(m for m in {heavy} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"  # `import tem` alone is instant
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tem", "version"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    order = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    first_heavy = min(order.index(m) for m in ("numpy", "pandas", "typer") if m in order)
    assert order.index("tem.cli.interrupts") < first_heavy


def test_a_program_that_imports_tem_cli_keeps_its_own_ctrl_c() -> None:
    # a notebook kernel or a test run must not be ended by tem's handler
    code = "import signal, tem.cli; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "True"


def test_ctrl_c_wrapped_by_a_library_is_still_the_interrupt(tmp_path: Path) -> None:
    # pydantic turns an exception raised while it builds a validator into its own SchemaError (an Exception):
    # Ctrl-C landing there (a `tem run` importing the schema) must still give one line and 130, no traceback
    marker = tmp_path / "waiting"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tem.cli.interrupts import guarded, install\n"
        "def library():\n"
        "    try:\n"
        f"        Path({str(marker)!r}).touch(); time.sleep(30)\n"
        "    except BaseException as exc:\n"
        "        raise RuntimeError(f'Error building validator: {type(exc).__name__}') from None\n"
        "install()\n"
        "guarded(library)\n"
    )
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True, **pipes)
    _out, err = interrupt_once_there(proc, marker)
    assert "RuntimeError" not in err


AT_FORK = """
import os, signal, sys
from tem.cli import interrupts
from tem.cli.forked import Forked

def work():
    with open(sys.argv[1], "w") as f:  # the child says who it is, then would take long
        f.write(str(os.getpid()))
    import time
    time.sleep(30)
    return 42

def command():
    # Ctrl-C arriving while fork runs its own handlers (in the parent, after the fork): Python ignores an exception
    # raised there ("Exception ignored in ..."), so the interrupt used to be lost and the command went on
    os.register_at_fork(after_in_parent=lambda: (os.kill(os.getpid(), signal.SIGINT), sum(range(1000))))
    with Forked(work) as step:
        value = step.result()
    print("finished with", value)
    raise SystemExit(0)

interrupts.install()
interrupts.guarded(command)
"""


def test_ctrl_c_inside_forks_own_handlers_still_stops_the_command(tmp_path: Path) -> None:
    """...and the child just forked is stopped too (killed and reaped), not left running on its own."""
    pid_file = tmp_path / "child.pid"
    proc = subprocess.run(
        [sys.executable, "-c", AT_FORK, str(pid_file)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 130, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert proc.stderr == MESSAGE
    deadline = time.monotonic() + 2.0  # a child left running writes its pid soon; a stopped one may never
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_file.exists() and pid_file.read_text():  # the child got as far as its work before it was stopped
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)


FINALIZER = """
import gc, os, signal
from tem.cli import interrupts

class Late:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)  # the handler raises here, where Python ignores it
        sum(range(1000))

def command():
    Late()
    gc.collect()
    print("finished")
    raise SystemExit(0)

interrupts.install()
interrupts.guarded(command)
"""


def test_ctrl_c_swallowed_by_a_finalizer_still_ends_as_interrupted() -> None:
    """Wherever else Python ignores the interrupt's exception (a finalizer), the command ends with the one line and
    130, not with exit 0 and Python's "Exception ignored" traceback."""
    proc = subprocess.run(
        [sys.executable, "-c", FINALIZER], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 130, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr == MESSAGE


SHARED_CHUNKS = """
import os, sys, time
from pathlib import Path
pid_file, out_dir = sys.argv[1:]
sys.argv = ["tem", "montecarlo", "assumptions/base.yaml", "--n", "40000", "--no-png", "--no-excel", "--quiet",
            "--out", out_dir]
import tem.cli
from tem.analysis.montecarlo import stream

def held(*args):  # the child beside the engine: says who it is, then takes long
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(60)
    return {}

stream.chunks_taken = held
tem.cli.main()
"""


def test_ctrl_c_while_a_forked_child_shares_the_scenarios_stops_it(tmp_path: Path) -> None:
    # tem montecarlo evaluates its chunks here and in a forked child: Ctrl-C (sent to this process alone, the
    # harder case: a terminal sends it to the child too) gives one line and 130, and the child is stopped
    pid_file, out_dir = tmp_path / "child.pid", tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", SHARED_CHUNKS, str(pid_file), str(out_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    interrupt_once_there(proc, pid_file)
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):  # killed and reaped by the parent, not left running on its own
        os.kill(child, 0)
    assert not [p for p in out_dir.rglob("*") if p.is_file()]  # stopped while evaluating: nothing written

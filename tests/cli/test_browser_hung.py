"""A browser that never answers its first drawing must not hang the command at exit (kaleido's exit handler
waits for it forever): the command ends with its own exit code and output (tem/cli/__init__.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[2]

CODE = """
import atexit, sys, time
sys.argv = ['tem', 'version']
import tem.cli
import tem.exports.charts.png as png
atexit.register(lambda: time.sleep(20))  # as kaleido's close, joining a server that waits for the browser
png._server_state['hung'] = {hung!r}
tem.cli.main()
"""


def run(hung: str | None) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", CODE.format(hung=hung)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    return proc, time.monotonic() - started


def test_a_hung_browser_does_not_hold_the_exit() -> None:
    proc, took = run("yes")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "0.1.0"  # what the command printed is flushed
    assert took < 20


def test_otherwise_exit_handlers_run() -> None:
    proc, took = run(None)
    assert proc.returncode == 0
    assert took >= 20  # the handler ran: nothing skips it when the browser is fine

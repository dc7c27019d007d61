"""The ``tem`` command line: one module per command group, registered on one typer app.

- ``common``: the app, consoles, ``--set`` parsing, the exit-code guard and JSON output (shared by all commands);
- ``run``: ``tem run``, ``tem validate``, ``tem schema``, ``tem version``;
- ``sweep``, ``compare``, ``montecarlo``, ``decisions``, ``init``: the analyses and ``tem init``.

Top layer: may import anything below it (analysis, exports, api, model, assumptions, finance, catalogue, errors);
nothing in ``tem`` imports ``tem.cli`` except ``tem/__main__.py`` and the console script entry point.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

from tem.cli import streams
from tem.cli.interrupts import guarded, install, is_the_command_line

if is_the_command_line():
    install()  # first thing: Ctrl-C while the modules below load ends with one line and exit code 130

from tem.cli import compare as _compare  # noqa: F401  (registers `tem compare`)
from tem.cli import decisions as _decisions  # noqa: F401  (registers `tem decisions`)
from tem.cli import init as _init  # noqa: F401  (registers `tem init`)
from tem.cli import montecarlo as _montecarlo  # noqa: F401  (registers `tem montecarlo`)
from tem.cli import run as _run  # noqa: F401  (registers `tem run`, `validate`, `schema`, `version`)
from tem.cli import sweep as _sweep  # noqa: F401  (registers `tem sweep`)
from tem.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    """The ``tem`` console script (``python3 -m tem``); Ctrl-C at any moment: one line, exit code 130; stdout or
    stderr that cannot be written: :mod:`tem.cli.streams` (the command goes on; then one line and exit code 1)."""
    install()
    streams.install()
    code: object = 0
    try:
        guarded(app)
    except SystemExit as exc:
        code = exc.code
    code = _after_stdout(code)
    _leave_if_the_browser_hung(code)
    _leave_without_teardown(code)
    raise SystemExit(code)


def _after_stdout(code: object) -> object:
    """The exit code once what is still buffered for stdout is written (a file is block-buffered: ``--json`` into
    a full disk fails only here): when stdout failed at any moment, one line on stderr (none for a reader that
    quit, ``| head``) and exit code 1, unless the command already ended with another failing code."""
    if sys.stdout is not None:
        sys.stdout.flush()
    error = streams.stdout_error()
    if error is None:
        return code
    if not isinstance(error, BrokenPipeError):
        from tem.cli.common import tell

        tell("error:", streams.StdoutError(error))
    return code if code not in (0, None) else streams.FAILED_EXIT_CODE


def _leave_if_the_browser_hung(code: object) -> None:
    """When the browser for PNGs never answered (its charts were skipped with a note), kaleido's exit handler
    would wait for it forever: leave now, with the command's exit code, after flushing what was printed."""
    png = sys.modules.get("tem.exports.charts.png")
    if png is None or not png.browser_hung():
        return
    with contextlib.suppress(Exception):  # its processes and profile folder would outlive the command
        png.kill_hung_browser()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def _leave_without_teardown(code: object) -> None:
    """End the process once the command has ended, without Python's final teardown of its modules and objects.

    Every output was written and closed (atomically, :mod:`tem.exports.writer`) and every forked child reaped before
    the command returned; what would follow is the interpreter freeing each module, array and frame one by one:
    0.2-0.3 s after ``tem run`` and 0.5-0.6 s after a Monte Carlo of 100,000 on a 2-core VM at calibration 120 ms
    (benchmarks/common.py), a wait the user sees and nothing needs. The exit handlers still run first, in their usual
    order (kaleido closes its browser, the Ctrl-C handling of :mod:`tem.cli.interrupts` stays in its end-of-command
    mode), printed text is flushed, and the exit code is the command's. The usual ending is kept when anything could
    still need it: a non-integer exit code (Python prints it), a thread that is not a daemon still running (Python
    would wait for it), or printed text that cannot be flushed (a closed pipe: Python reports it in its own way)."""
    if not (code is None or isinstance(code, int)):
        return
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's, as the interpreter calls it at exit
    if run_exit_handlers is None or _threads_python_would_wait_for():
        return
    try:
        _flush()
    except Exception:  # e.g. a closed pipe: Python reports it in its own way
        return
    run_exit_handlers()
    with contextlib.suppress(Exception):  # what an exit handler printed
        _flush()
    os._exit(code or 0)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: Python started without that stream
            stream.flush()


def _threads_python_would_wait_for() -> bool:
    main = threading.main_thread()
    return any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate())

"""The ``tem`` command line: one module per command group, registered on one typer app.

- ``common``: the app, consoles, ``--set`` parsing, the exit-code guard and JSON output (shared by all commands);
- ``run``: ``tem run``, ``tem validate``, ``tem schema``, ``tem version``;
- ``sweep``, ``compare``, ``montecarlo``, ``decisions``, ``init``: the analyses and ``tem init``.

Top layer: may import anything below it (analysis, exports, api, model, assumptions, finance, catalogue, errors);
nothing in ``tem`` imports ``tem.cli`` except ``tem/__main__.py`` and the console script entry point.
"""

from __future__ import annotations

import contextlib
import os
import sys

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
    """The ``tem`` console script (``python3 -m tem``); Ctrl-C at any moment: one line, exit code 130."""
    install()
    try:
        guarded(app)
    except SystemExit as exc:
        _leave_if_the_browser_hung(exc.code)
        raise


def _leave_if_the_browser_hung(code: object) -> None:
    """When the browser for PNGs never answered (its charts were skipped with a note), kaleido's exit handler
    would wait for it forever: leave now, with the command's exit code, after flushing what was printed."""
    png = sys.modules.get("tem.exports.charts.png")
    if png is None or not png.browser_hung():
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))

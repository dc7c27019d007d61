"""Ctrl-C (SIGINT) at any moment of a ``tem`` command ends it with one line on stderr and exit code 130.

Python's default turns Ctrl-C into ``KeyboardInterrupt``: a traceback when it lands in an import, and click's
"Aborted!" with exit code 1 while a command runs; in an ``atexit`` handler (kaleido closing its browser,
Chromium's profile clean-up) or while the interpreter joins threads at exit it prints "Exception ignored ..."
with a traceback. :func:`install` replaces that handler, first thing when ``tem.cli`` is imported (``import tem``
itself loads nothing heavy), in one of two modes:

* *hard* (while modules load, and from the end of the command to the end of the process): write the line and
  leave at once with ``os._exit(130)``; nothing is being written then, and a clean-up that was interrupted is
  not retried (an output file is never half-written: see :mod:`tem.exports.writer`);
* *unwinding* (while a command runs, inside :func:`guarded`): raise :class:`Interrupted`, which is not a
  ``KeyboardInterrupt`` (so click does not turn it into "Aborted!") nor an ``Exception`` (so no ``except
  Exception`` swallows it); ``finally`` blocks run, removing temporary files, and :func:`guarded` writes the line
  and exits with 130 (``atexit`` handlers still run). A second Ctrl-C meanwhile leaves at once, and the line
  is written once whatever happens.

This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

EXIT_CODE = 130  # 128 + SIGINT, the shell convention
MESSAGE = "tem: interrupted (Ctrl-C); stopped with exit code 130, no output file is left half-written\n"


class Interrupted(BaseException):
    """Ctrl-C while a command runs (a BaseException, so that ``except Exception`` never swallows it)."""


_state = {"unwinding": False, "told": False}


def _tell() -> None:
    if not _state["told"]:
        _state["told"] = True
        with contextlib.suppress(OSError):  # stderr closed: the exit code still says it
            os.write(2, MESSAGE.encode())


def _leave_now() -> NoReturn:
    try:
        _tell()
    finally:
        os._exit(EXIT_CODE)


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state["unwinding"]:
        _state["unwinding"] = False  # a second Ctrl-C leaves at once
        raise Interrupted
    _leave_now()


def install() -> None:
    """Handle Ctrl-C the ``tem`` way from now on, in hard mode (a no-op outside the main thread)."""
    try:
        signal.signal(signal.SIGINT, _handler)
    except ValueError:  # not the main thread of the main interpreter: leave Python's default alone
        return
    _state["unwinding"] = False


def guarded(command: Callable[[], Any]) -> Any:
    """Run ``command`` (the typer app) with Ctrl-C unwinding it: then the line is written and SystemExit(130)
    lets the process end normally (``atexit`` handlers close kaleido's browser); Ctrl-C after that leaves at
    once."""
    _state["unwinding"] = True
    try:
        return command()
    except (Interrupted, KeyboardInterrupt):
        _state["unwinding"] = False
        _tell()
        raise SystemExit(EXIT_CODE) from None
    finally:
        _state["unwinding"] = False

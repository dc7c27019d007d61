"""Ctrl-C (SIGINT) at any moment of a ``tem`` command ends it with one line on stderr and exit code 130.

Python's default turns Ctrl-C into ``KeyboardInterrupt``: a traceback when it lands in an import, and click's
"Aborted!" with exit code 1 while a command runs; in an ``atexit`` handler (kaleido closing its browser,
Chromium's profile clean-up) or while the interpreter joins threads at exit it prints "Exception ignored ..."
with a traceback. :func:`install` replaces that handler, first thing when ``tem.cli`` is imported (``import tem``
itself loads nothing heavy) when the process is the ``tem`` command (:func:`is_the_command_line`; a notebook or a
test run that imports ``tem.cli`` keeps its own handling), in one of two modes:

* *hard* (while modules load, and from the end of the command to the end of the process, ``atexit`` handlers
  included): write the line and leave at once with ``os._exit(130)``; nothing is being written then, and a
  clean-up that was interrupted is not retried (an output file is never half-written: see
  :mod:`tem.exports.writer`); in Python's own final clean-up, after the last exit handler, Ctrl-C is ignored
  (Python would otherwise restore the default and be killed without a word) and the command's exit code stands;
* *unwinding* (while a command runs, inside :func:`guarded`): raise :class:`Interrupted`, which is not a
  ``KeyboardInterrupt`` (so click does not turn it into "Aborted!") nor an ``Exception`` (so no ``except
  Exception`` swallows it); ``finally`` blocks run, removing temporary files, and :func:`guarded` writes the line
  and exits with 130 (``atexit`` handlers still run). A second Ctrl-C meanwhile leaves at once, and the line
  is written once whatever happens.

This module imports only the standard library.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, NoReturn

EXIT_CODE = 130  # 128 + SIGINT, the shell convention
MESSAGE = "tem: interrupted (Ctrl-C); stopped with exit code 130, no output file is left half-written\n"


class Interrupted(BaseException):
    """Ctrl-C while a command runs (a BaseException, so that ``except Exception`` never swallows it)."""


_state = {"unwinding": False, "told": False, "registered": False, "received": False, "deferring": False, "held": False}


def _tell() -> None:
    """Write the line, once; then nothing more reaches stderr from this process (an exit handler or a finalizer
    that fails while the process winds down, e.g. a browser profile folder still being written when it is
    removed, would print a traceback after the line)."""
    if not _state["told"]:
        _state["told"] = True
        with contextlib.suppress(OSError):  # stderr closed: the exit code still says it
            os.write(2, MESSAGE.encode())
        with contextlib.suppress(OSError, ValueError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process


def _leave_now() -> NoReturn:
    try:
        _tell()
    finally:
        os._exit(EXIT_CODE)


def _handler(signum: int, frame: FrameType | None) -> None:
    _state["received"] = True
    if _state["deferring"]:  # raised where Python would ignore it: held until the end of the block (deferred)
        _state["held"] = True
        return
    if _state["unwinding"]:
        _state["unwinding"] = False  # a second Ctrl-C leaves at once
        raise Interrupted
    _leave_now()


def _ignore_from_now_on() -> None:
    # Run last of the exit handlers (registered first): Python resets a Python-level handler to the system
    # default for its final clean-up, so a Ctrl-C there would kill the process silently; the command has ended
    # and reported by then, and its exit code stands.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold a Ctrl-C that arrives inside the block and act on it at the block's end. For code where Python ignores
    an exception raised by the signal handler ("Exception ignored in ..."), losing the interrupt: ``os.fork()``
    runs Python's at-fork handlers (logging's lock release) in both processes, and a Ctrl-C there was printed as
    an ignored exception while the command went on to the end (or stopped with exit code 2)."""
    before = _state["deferring"]
    _state["deferring"] = True
    try:
        yield
    finally:
        _state["deferring"] = before
        if not before and _state["held"]:
            _state["held"] = False
            _handler(signal.SIGINT, None)


def is_the_command_line() -> bool:
    """Whether this process is the ``tem`` command (the console script or ``python -m tem``), rather than a
    program that imports ``tem.cli`` (a notebook, a test run), whose own Ctrl-C handling must stay."""
    argv0 = sys.argv[0] if sys.argv else ""
    return os.path.basename(argv0) in ("tem", "tem.exe", "tem-script.py") or argv0.endswith(
        os.path.join("tem", "__main__.py")
    )


def install() -> None:
    """Handle Ctrl-C the ``tem`` way from now on, in hard mode (a no-op outside the main thread)."""
    try:
        signal.signal(signal.SIGINT, _handler)
    except ValueError:  # not the main thread of the main interpreter: leave Python's default alone
        return
    _state["unwinding"] = False
    if not _state["registered"]:
        _state["registered"] = True
        atexit.register(_ignore_from_now_on)


def guarded(command: Callable[[], Any]) -> Any:
    """Run ``command`` (the typer app) with Ctrl-C unwinding it: then the line is written and SystemExit(130)
    lets the process end normally (``atexit`` handlers close kaleido's browser); Ctrl-C after that leaves at
    once."""
    _state["unwinding"] = True
    hook = sys.unraisablehook

    def unraisable(info: Any) -> None:  # Ctrl-C raised where Python ignores exceptions (a finalizer): reported below
        if not isinstance(info.exc_value, Interrupted):
            hook(info)

    sys.unraisablehook = unraisable
    try:
        outcome = command()
    except (Interrupted, KeyboardInterrupt):
        _state["unwinding"] = False
        _tell()
        raise SystemExit(EXIT_CODE) from None
    except (Exception, SystemExit):
        if not _state["received"]:
            raise
        # Ctrl-C landed inside a library that wrapped it in its own error (pydantic turns an exception raised
        # while it builds a validator into a SchemaError), or Python ignored its exception on the way (see
        # deferred) and the command went on to its end: still the interrupt, one line and 130
        _state["unwinding"] = False
        _tell()
        raise SystemExit(EXIT_CODE) from None
    finally:
        _state["unwinding"] = False
        sys.unraisablehook = hook
    if _state["received"]:
        _tell()
        raise SystemExit(EXIT_CODE)
    return outcome

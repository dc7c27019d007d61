"""Standard output and standard error of the ``tem`` command when they cannot be written.

A command's files are its product; what it prints is a report of them (tables, JSON with ``--json``, the schema)
on stdout, and progress, notes and errors on stderr. Either stream can fail under a user: closed (``2>&-``),
a full disk (``> /dev/full``), a terminal that went away (EIO after an SSH session dropped), a reader that quit
(``| head``). Python's default for each was a traceback, or an exit code 1 with no output files at all (a spinner's
write to a closed stderr ended ``tem run`` before it wrote anything). :func:`install` wraps both streams, for
the command line only (a notebook or a test keeps its own streams):

* **stderr** is best effort (:class:`BestEffort`): a write or flush that fails is dropped, and so is everything
  after it; the command goes on, writes its files, and its exit code still tells how it ended.
* **stdout** (:class:`Reported`): a write or flush that fails is dropped, and so is everything after it; the
  command goes on to its end (every scenario of a ``tem run`` of several is still run and written), and then
  :func:`tem.cli.main` ends it with one line, "error: standard output could not be written (No space left on
  device): ...", and exit code 1, never a traceback; a reader that quit (``BrokenPipeError``, ``| head``) ends it
  with exit code 1 and no line, as Rich does for its own output.
* Either stream that is closed when the command starts (``>&-``: Python then has no ``sys.stdout``) is
  ``/dev/null``: what would be printed there is not wanted, and the command runs as usual.

A failed stream's descriptor is pointed at ``/dev/null``, so that nothing still buffered fails again at exit.

This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any, TextIO

FAILED_EXIT_CODE = 1  # also for a reader that quit (| head): Rich's code for its own output, Python's advice


class StdoutError(Exception):
    """Standard output could not be written (not a closed pipe): the command ends with exit code 1 and this line."""

    def __init__(self, exc: OSError) -> None:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)
        super().__init__(
            f"standard output could not be written ({reason}): what the command printed there is incomplete; "
            "it ran to its end otherwise"
        )


class _Wrapped:
    """Delegates everything but ``write``, ``writelines`` and ``flush`` to the wrapped text stream."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property
    def wrapped(self) -> TextIO:
        return self._stream

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def _to_null(self) -> None:
        """Point the stream's descriptor at /dev/null, so that what is still buffered can be flushed at exit."""
        self._failed = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, self._stream.fileno())
            finally:
                os.close(null)


class BestEffort(_Wrapped):
    """stderr: a write or flush that fails is dropped (and every later one): progress and notes are lost, the exit
    code still says how the command ended."""

    def write(self, text: str) -> int:
        if not self._failed:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # ValueError: the stream was closed
                self._to_null()
        return len(text)

    def flush(self) -> None:
        if not self._failed:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._to_null()


class Reported(_Wrapped):
    """stdout: the first write or flush that fails is kept in :attr:`error` (reported by :func:`tem.cli.main`
    once the command has ended); it and every later write are dropped."""

    error: OSError | None = None

    def write(self, text: str) -> int:
        if not self._failed:
            try:
                return self._stream.write(text)
            except OSError as exc:
                self._fail(exc)
        return len(text)

    def flush(self) -> None:
        if not self._failed:
            try:
                self._stream.flush()
            except OSError as exc:
                self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self.error = exc
        self._to_null()


def stdout_error() -> OSError | None:
    """What made stdout fail in this process (None: it did not, or it is not the command line's)."""
    stream = sys.stdout
    return stream.error if isinstance(stream, Reported) else None


def install() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` (each once); a stream closed when the process started (Python has
    None for it) becomes ``/dev/null`` on its own descriptor (1 or 2), so that no file this process opens later
    takes that descriptor."""
    if sys.stdout is None:
        sys.stdout = _dev_null_on(1)
    if sys.stderr is None:
        sys.stderr = _dev_null_on(2)
    if not isinstance(sys.stdout, _Wrapped):
        sys.stdout = Reported(sys.stdout)
    if not isinstance(sys.stderr, _Wrapped):
        sys.stderr = BestEffort(sys.stderr)


def _dev_null_on(fd: int) -> TextIO:
    """``/dev/null`` opened for writing on descriptor ``fd`` (closed until now), as a text stream."""
    null = os.open(os.devnull, os.O_WRONLY)
    if null != fd:  # with stdin closed too, the lowest free descriptor was 0
        os.dup2(null, fd)
        os.close(null)
    return open(fd, "w", closefd=False)  # for the rest of the process

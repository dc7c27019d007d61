"""One rendering step of a command computed in a forked child process, beside the parent's own work.

``tem run`` spends most of its time on one core: the workbook (its build and save, about half the command's
CPU time) and then the charts and the report, one after the other, while the machine's second core only
draws PNGs. :class:`Forked` starts a function in a child made by ``os.fork()`` (a copy of the parent's memory:
nothing is pickled on the way in) and reads its result back through a pipe (pickled: the workbook's bytes), so
the workbook is built while the parent builds the figures and the report. ``tem montecarlo`` also evaluates
half of its scenarios in one (:func:`tem.analysis.montecarlo.stream.evaluate_shared`: the child takes chunks
from the same queue as the parent; it imports nothing, so a module another thread was importing at the fork
cannot block it).

Contract:

* The result is what the function returns in-process, bit for bit (the child runs the same code on a copy of
  the same objects); an exception in the child is raised again in the parent (the exception itself when it
  pickles, else a ``RuntimeError`` carrying the child's traceback text).
* The child writes nothing: no file, no console output (its standard streams go to ``/dev/null``), runs no exit
  handler of the parent (it leaves with ``os._exit``), and dies without a word on Ctrl-C (the parent reports
  the interrupt, once; see :mod:`tem.cli.interrupts`). The parent kills and reaps the child when it stops
  waiting for any reason (an interrupt, an error elsewhere): :meth:`Forked.cancel`, also on ``with``. The child's
  temporary files (openpyxl writes each sheet to one while it saves) go to a folder of its own, which the parent
  removes once the child has ended, so a child killed mid-save leaves none behind.
* Where ``os.fork`` is missing or unsafe (not Linux), or ``TEM_NO_FORK=1`` is set, the function runs in-process
  when its result is asked for: the same result, without the overlap.

:class:`Inbox` carries a value to a child after the fork: the child starts on what does not need it (``tem run``'s
workbook child loads openpyxl and the workbook's modules while the parent runs the model) and waits for it there.

This module imports only the standard library and :mod:`tem.cli.interrupts` (which does too).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from tem.cli.interrupts import deferred

T = TypeVar("T")


def fork_available() -> bool:
    """Whether steps are forked here: Linux (fork is safe with the libraries in use), unless TEM_NO_FORK=1."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and os.environ.get("TEM_NO_FORK", "") != "1"


class Forked(Generic[T]):
    """``fn(*args)`` computed in a forked child from now on; :meth:`result` waits for it and returns it."""

    def __init__(self, fn: Callable[..., T], *args: Any) -> None:
        self._fn, self._args = fn, args
        self._pid: int | None = None
        self._fd: int | None = None
        self._temp: str | None = None
        if not fork_available():
            return
        with contextlib.suppress(OSError):  # the child's temporary files: removed with it, even when it is killed
            self._temp = tempfile.mkdtemp(prefix="tem-step-")
        read_fd, write_fd = os.pipe()
        read_fd, write_fd = _fd_above_standard_streams(read_fd), _fd_above_standard_streams(write_fd)
        try:
            with deferred():  # a Ctrl-C inside fork's own handlers would be ignored: acted on right after
                pid = os.fork()
                if pid == 0:  # the child: compute, send, leave without running anything of the parent's
                    _child(read_fd, write_fd, fn, args, self._temp)
                os.close(write_fd)
                self._pid, self._fd = pid, read_fd
        except BaseException:  # the interrupt held during the fork: this child is stopped here, as on `with`
            self.cancel()
            raise

    @property
    def forked(self) -> bool:
        """Whether the step runs in a child process (False: it runs in-process at :meth:`result`)."""
        return self._pid is not None

    def result(self) -> T:
        """The function's result (raising what it raised); waits for the child."""
        if self._pid is None:
            return self._fn(*self._args)
        fd, self._fd = self._fd, None
        assert fd is not None
        try:
            with os.fdopen(fd, "rb") as pipe:
                payload = pipe.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
        finally:
            self.cancel()
        if not payload:
            code = os.waitstatus_to_exitcode(status)
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            raise RuntimeError(f"the child process rendering {self._name()} stopped without a result ({how})")
        kind, value = pickle.loads(payload)
        if kind == "ok":
            return value
        if isinstance(value, BaseException):
            raise value
        raise RuntimeError(f"rendering {self._name()} failed in its child process:\n{value}")

    def cancel(self) -> None:
        """Stop waiting: kill the child (if still running), reap it, close the pipe. Safe to call twice."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self._pid, 0)
            self._pid = None
        if self._temp is not None:  # the child has ended: what it left in its temporary folder goes
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def _name(self) -> str:
        return getattr(self._fn, "__qualname__", repr(self._fn))


class Inbox(Generic[T]):
    """One value sent to a forked child after the fork (made before the :class:`Forked` step that reads it, so
    the child inherits it). The parent :meth:`send` s it once; in the child :meth:`get` waits for it.

    The value travels pickled through an unnamed temporary file (any size, and the parent never waits for the
    child to read it), and a pipe says when it is complete: 8 bytes giving its length, then the pipe's end. A
    parent that ends or :meth:`close` s without sending makes :meth:`get` raise ``RuntimeError``. Without a
    fork (:func:`fork_available` false) :meth:`send` keeps the value and :meth:`get` returns it.
    """

    def __init__(self) -> None:
        self._kept: list[T] = []
        self._file: Any = None
        self._ready: tuple[int, int] | None = None
        if fork_available():
            self._file = _above_standard_streams(tempfile.TemporaryFile())  # noqa: SIM115 - closed by send or close
            read_fd, write_fd = os.pipe()
            self._ready = (_fd_above_standard_streams(read_fd), _fd_above_standard_streams(write_fd))

    def send(self, value: T) -> None:
        """In the parent: hand ``value`` to the child (once), then close this side."""
        if self._ready is None:
            self._kept.append(value)
            return
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._file.write(data)
            self._file.flush()
            os.write(self._ready[1], len(data).to_bytes(8, "little"))
        finally:
            self.close()

    def get(self) -> T:
        """In the child (or in-process without a fork): the value the parent sent, once it has been sent."""
        if self._ready is None:
            if not self._kept:
                raise RuntimeError("nothing was sent to this step")
            return self._kept[0]
        read_fd, write_fd = self._ready
        with contextlib.suppress(OSError):
            os.close(write_fd)  # the child's copy: the pipe ends when the parent's side closes
        header = b""
        while len(header) < 8:
            part = os.read(read_fd, 8 - len(header))
            if not part:
                raise RuntimeError("the parent process sent nothing to this step")
            header += part
        size, got = int.from_bytes(header, "little"), bytearray()
        while len(got) < size:
            part = os.pread(self._file.fileno(), size - len(got), len(got))
            if not part:
                raise RuntimeError("the value sent to this step is incomplete")
            got += part
        return pickle.loads(got)

    def close(self) -> None:
        """Close this process's side (a child still waiting then gets an error). Safe to call twice."""
        if self._ready is not None:
            for fd in self._ready:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._ready = None
            self._kept.clear()  # closed: get raises from now on in this process
            self._file.close()

    def __enter__(self) -> Inbox[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fd_above_standard_streams(fd: int) -> int:
    """``fd``, or a copy of it numbered 3 or more (closing ``fd``): when tem runs with stdin, stdout or stderr closed
    (``>&-``), a new descriptor takes that number, and a forked child's ``dup2`` onto 1 and 2 would replace it."""
    if fd > 2:
        return fd
    import fcntl  # POSIX only: called only where steps are forked

    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return new


def _above_standard_streams(file: Any) -> Any:
    if file.fileno() > 2:
        return file
    new = os.fdopen(_fd_above_standard_streams(os.dup(file.fileno())), "w+b")
    file.close()
    return new


def _child(read_fd: int, write_fd: int, fn: Callable[..., Any], args: tuple[Any, ...], temp: str | None) -> None:
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: die silently; the parent says it
        if temp is not None:  # e.g. openpyxl's sheet files: the parent removes the folder when it stops the child
            tempfile.tempdir = temp
            os.environ["TMPDIR"] = temp
        os.close(read_fd)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - also where Python's streams were replaced
        try:
            payload = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # sent to the parent, which raises it
            try:
                payload = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
                pickle.loads(payload)
            except Exception:
                payload = pickle.dumps(("error", traceback.format_exc()), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view) :]
    finally:
        os._exit(0)

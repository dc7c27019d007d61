"""Watching kaleido's browser: whether a drawing is answered, and what is left when the browser is gone.

kaleido runs the browser from a server thread (:mod:`kaleido._sync_server`) and answers each drawing through a
queue that is waited on without a time limit: a browser that closes at once ends that thread (about 2 s), and a
browser that is killed or crashes later leaves the thread waiting forever, and with it the command (seen: a
``tem run`` of three scenarios whose browser was killed after the first, still waiting after 300 s). So every
drawing is made on a helper thread and waited for here (:func:`answered`) until it is answered, kaleido's server
thread has stopped, the browser's process has ended, or a time limit has passed.

The browser is choreographer's wrapper process (``_unix_pipe_chromium_wrapper.py``), a child of this process,
and the browser under it. When it cannot be closed by kaleido (it stopped answering), :func:`kill_browser` ends
them and removes the profile folder the browser was given, so that nothing is left behind (Linux, ``/proc``;
elsewhere nothing is found and nothing is done).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WRAPPER = "_unix_pipe_chromium_wrapper"  # choreographer's process between this process and the browser
PROFILE_FLAG = "--user-data-dir="

server_errors: dict[int | None, str] = {}  # kaleido's server thread's error, by thread ident
_watched: set[threading.Thread] = set()


def server_thread() -> threading.Thread | None:
    """kaleido's server thread (it runs the browser), its error kept quiet and recorded in :data:`server_errors`
    (a thread's traceback on stderr is not something a user can act on; the command says what failed); None when
    this kaleido keeps it elsewhere (then only the browser's process and the time limit tell)."""
    with contextlib.suppress(ImportError, AttributeError):
        from kaleido._sync_server import GlobalKaleidoServer

        thread = GlobalKaleidoServer()._thread
        if isinstance(thread, threading.Thread) and thread in _watched:
            return thread
        if isinstance(thread, threading.Thread):
            _watched.add(thread)  # its error recorded by one hook, however often it is asked for
            previous = threading.excepthook

            def record(args: threading.ExceptHookArgs) -> None:
                if args.thread is not thread:
                    previous(args)
                    return
                exc = args.exc_value
                first = exc.args[0] if exc is not None and exc.args and isinstance(exc.args[0], str) else exc
                server_errors[thread.ident] = f"{type(exc).__name__}: {first}" if exc is not None else "no reason"

            threading.excepthook = record
            return thread
    return None


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process from ``/proc``, or None when it is gone (or there is no ``/proc``)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return fields[0], int(fields[1])


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def browser_processes() -> list[int]:
    """This process's children that run kaleido's browser (choreographer's wrapper), oldest first."""
    me = os.getpid()
    found = []
    for pid in _pids():
        stat = _stat(pid)
        if stat is not None and stat[1] == me and any(WRAPPER in part for part in _cmdline(pid)):
            found.append(pid)
    return sorted(found)


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def answered(
    work: Callable[[], Any], limit_s: float, server: threading.Thread | None, browsers: list[int]
) -> tuple[list[Any], str | None]:
    """Run ``work`` on a helper thread and wait for it: ``([value or exception], None)`` when it returned or
    raised, ``([], why)`` when kaleido's server thread stopped, every process in ``browsers`` ended, or
    ``limit_s`` passed first (the helper thread is then left waiting: a daemon, it ends with the process)."""
    outcome: list[Any] = []
    done = threading.Event()  # set once there is an outcome (the thread's own end can lag behind it)

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # handed to the caller
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="tem-kaleido-drawing").start()
    deadline = time.monotonic() + limit_s
    while not done.wait(0.05):
        if server is not None and not server.is_alive():
            return outcome, f"it stopped: {server_errors.get(server.ident, 'no reason given')}"
        if browsers and not any(alive(pid) for pid in browsers):
            return outcome, "its process ended"
        if time.monotonic() >= deadline:
            return outcome, f"no answer within {limit_s:.0f} s"
    return outcome, None


def kill_browser(browsers: list[int]) -> None:
    """End the browser's processes (``browsers`` and everything under them) and remove its profile folder: for a
    browser kaleido cannot close (it stopped answering), which would otherwise outlive the command."""
    doomed: set[int] = set()
    profiles: list[str] = []
    for pid in browsers:
        profiles += [part[len(PROFILE_FLAG) :] for part in _cmdline(pid) if part.startswith(PROFILE_FLAG)]
        doomed.add(pid)
    grew = True
    while grew:  # every descendant: the wrapper's shell, the browser, its helpers
        grew = False
        for pid in _pids():
            stat = _stat(pid)
            if stat is not None and stat[1] in doomed and pid not in doomed:
                doomed.add(pid)
                grew = True
    for pid in doomed:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for pid in browsers:  # reap this process's own children (no zombie left to its end)
        with contextlib.suppress(OSError):
            os.waitpid(pid, os.WNOHANG)
    temp = Path(tempfile.gettempdir()).resolve()
    for folder in profiles:  # only a folder choreographer made in the temporary directory
        if Path(folder).resolve().is_relative_to(temp):
            shutil.rmtree(folder, ignore_errors=True)

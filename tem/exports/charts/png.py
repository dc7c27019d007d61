"""PNG export of plotly figures through kaleido 1.x and a Chromium-based browser found on this machine.

kaleido drives a headless browser. Starting one costs seconds, so the first PNG starts kaleido's sync server
(one browser kept for the life of the process, closed by kaleido at exit) and later PNGs take about 0.2 s.
A command that will draw PNGs calls :func:`start_in_background` first thing, so the browser starts while the
model runs and the other files are rendered; :func:`pngs_in_background` draws a set of figures on a helper
thread (the browser does the work in its own process, so the main thread keeps rendering meanwhile).
Nothing is downloaded: the browser must be installed (Debian/Ubuntu: ``apt-get install chromium``), or named
by the ``BROWSER_PATH`` environment variable.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import os
import shutil
import subprocess
import threading
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from tem.errors import TemError
from tem.exports.charts import browser_watch as watch

if TYPE_CHECKING:  # plotly is imported when a figure is drawn, so the browser can start before it loads
    import plotly.graph_objects as go

INSTALL_HINT = (
    "install a Chromium-based browser (Debian/Ubuntu: `apt-get install chromium`) and the kaleido package "
    '(`pip install "kaleido>=1,<2"`), or set BROWSER_PATH to a Chrome/Chromium executable; '
    "HTML charts need neither"
)

T = TypeVar("T")
_server_lock = threading.Lock()
_server_state: dict[str, str | None] = {"started": None, "broken": None}
START_TIMEOUT_S = 60.0
DRAW_TIMEOUT_S = 60.0  # one figure: about 0.1 s when the browser is well


class PngUnavailableError(TemError):
    """PNG charts cannot be made here: no kaleido or no Chromium-based browser, or the browser failed."""


HEADLESS_SHELLS = ("chromium-headless-shell", "chrome-headless-shell")


def find_browser() -> str | None:
    """Path of the Chromium-based browser that draws the PNGs, or None: ``BROWSER_PATH`` when set; else
    Chromium's headless shell when installed (:data:`HEADLESS_SHELLS` on PATH; Debian's package
    ``chromium-headless-shell``, which ``setup.sh`` installs); else the browser kaleido would find itself (PATH
    and the usual install locations).

    The headless shell is the same rendering engine without the full browser around it: it starts in about half
    the time (2.0-2.4 s against 3.8-4.6 s to the first drawing, kaleido's page loaded, on a 2-core VM under load:
    benchmarks/RESULTS_cli.md) and draws the same PNG bytes (tests/exports/charts/test_png_browsers.py)."""
    if importlib.util.find_spec("choreographer") is None:
        return None
    if not os.environ.get("BROWSER_PATH"):
        for name in HEADLESS_SHELLS:
            shell = shutil.which(name)
            if shell and _answers_version(shell):
                return shell
    from choreographer.browsers import Chromium

    path = Chromium.find_browser(skip_local=False)
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return str(path)
    return None


@functools.lru_cache(maxsize=8)
def _answers_version(path: str) -> bool:
    """Whether ``path`` is an executable that says it is Chromium (``--version``, 10-20 ms, once per process): a
    headless shell that is broken (a stub left by a package, a missing library) is passed over for the browser
    kaleido finds, where it would have failed the PNGs after the start's time limit."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return False
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and "chrom" in proc.stdout.lower()


def png_available() -> tuple[bool, str]:
    """(True, browser path) when PNGs can be rendered, else (False, what is missing and how to install it)."""
    if importlib.util.find_spec("kaleido") is None:
        return False, f"PNG charts need the kaleido package: {INSTALL_HINT}"
    path = find_browser()
    if path is None:
        return False, f"PNG charts need a Chromium-based browser and none was found: {INSTALL_HINT}"
    return True, path


def _start_server() -> None:
    """Start kaleido's browser once per process, then draw a tiny figure to prove it works.

    kaleido's server thread dies when the browser cannot start (a browser that closes at once: about 2 s), and
    every later request would then wait forever; so the browser is looked for first, and the first drawing is
    waited for (:func:`tem.exports.charts.browser_watch.answered`) until it is answered, the server thread or the
    browser's process has ended, or the time limit passes.
    """
    with _server_lock:
        if _server_state["broken"]:
            raise PngUnavailableError(_server_state["broken"])
        if _server_state["started"]:
            return
        ok, why = png_available()
        if not ok:
            raise PngUnavailableError(why)
        keep_page_between_drawings()
        quiet_browser_wire()
        failed = _try_browser(why)
        if failed is not None:
            _server_state["broken"] = f"the browser at {why} did not render a test figure ({failed}); {INSTALL_HINT}"
            raise PngUnavailableError(_server_state["broken"])
        _server_state["started"] = why


def _try_browser(path: str) -> str | None:
    """Start kaleido's server on the browser at ``path`` and draw the test figure: None when it is drawn, else
    why not."""
    import kaleido

    kaleido.start_sync_server(silence_warnings=True, path=path)
    server = watch.server_thread()
    outcome, why = watch.answered(lambda: _to_png({"data": [], "layout": {}}, 10, 10, 1), START_TIMEOUT_S, server, [])
    if why is None and outcome and isinstance(outcome[0], bytes):
        _browsers[:] = watch.browser_processes()
        return None
    if why is None:  # kaleido answered with an error
        return str(outcome[0])
    if server is None or server.is_alive():  # kaleido waits for that answer at exit: the command must not
        _server_state["hung"] = "yes"  # (see browser_hung)
        _browsers[:] = watch.browser_processes()
    return why


_browsers: list[int] = []  # the browser's processes under this one, once it has started


def kill_hung_browser() -> None:
    """End the processes and profile folder of a browser that stopped answering (kaleido cannot close it)."""
    if browser_hung():
        watch.kill_browser(_browsers or watch.browser_processes())


def keep_page_between_drawings(keep: bool = True) -> bool:
    """Let kaleido's browser tab draw figure after figure on the page it has (``keep=False``: kaleido's own way back).

    After every drawing kaleido reloads its page (``Page.reload``: plotly.js parsed and compiled again), which is
    about three quarters of the browser's time per PNG on this machine (6 Monte Carlo PNGs: 1.3 s of browser CPU
    with the reloads, 0.33 s without) and a cost on the critical path of every command that draws PNGs. Each
    drawing is ``Plotly.toImage`` of a figure given as data: plotly.js draws it on a graph div of its own and purges
    and removes that div afterwards, so nothing of one figure is left for the next and the reload is not needed;
    the PNGs are the same bytes (tests/exports/charts/test_png_pages.py draws the commands' figures both ways, in
    two orders). Called before the browser starts; returns whether kaleido had the hook (a kaleido without it
    is left as it is and reloads as before).
    """
    from kaleido.kaleido import Kaleido

    current = getattr(Kaleido, "_return_kaleido_tab", None)
    if current is None:
        return False
    original = getattr(current, "reloading", current)
    if not keep:
        Kaleido._return_kaleido_tab = original
        return True

    async def put_back(self: Any, tab: Any) -> None:  # kaleido's method without its `await tab.reload()`
        await self.tabs_ready.put(tab)

    put_back.reloading = original  # type: ignore[attr-defined]
    Kaleido._return_kaleido_tab = put_back
    return True


WIRE_LOGGER = "choreographer.channels"
WATCHDOG_LOGGER = "choreographer.browser_async"


def quiet_browser_wire() -> None:
    """Keep choreographer's wire log off the console: it logs a message from the browser it cannot decode at ERROR
    level, with a traceback on stderr, and then ignores it ("JSONError decoding message. Ignoring"; seen a few
    times under heavy load, with every output written). That is the library's own recovery, not something a user
    can act on; a failure that matters still reaches the command as an exception or a drawing's time limit."""
    logging.getLogger(WIRE_LOGGER).setLevel(logging.CRITICAL)
    # "Wait expired, Browser is being closed by watchdog." when the browser process ended (it closed at once, or
    # crashed): the command says so itself (the start's error, or a drawing's), in its own words
    logging.getLogger(WATCHDOG_LOGGER).setLevel(logging.ERROR)
    # its "The temporary directory could not be deleted, execution will continue. errors: [...]" warning (the
    # browser still writing its profile while choreographer removes it at exit; seen once in a CI run under load)
    # printed a traceback-like list on a successful run's stderr: the library's own cleanup, nothing to act on
    with contextlib.suppress(ImportError):
        from choreographer.utils._tmpfile import TmpDirWarning

        warnings.filterwarnings("ignore", category=TmpDirWarning)


def start_in_background(then: Callable[[], None] | None = None) -> threading.Thread | None:
    """Start the browser on a helper thread now, so it is ready when the first PNG is drawn (no-op when started).
    ``then`` (which must not raise) runs on that thread once the browser has started or failed to (e.g. work that
    uses plotly, which must not run beside the browser's first drawing); returns the thread (None, and ``then``
    is not run, when no browser will start).

    The thread is not a daemon: a command that ends early (an output cannot be written, an interrupt) waits for
    the start to finish, so kaleido's exit handler closes the browser and its profile folder is removed
    cleanly. Call it once the inputs are known to be good. Nothing is reported here: a browser that is missing
    or fails is reported by the first :func:`figure_png`, exactly as without the early start. The modules both
    threads use (plotly's, the browser finder's) are imported here first, on the caller's thread, so the two
    threads never import the same module at once.
    """
    if not png_available()[0]:
        return None
    import plotly.io
    import plotly.utils

    del plotly

    with _server_lock:
        if _server_state["started"] or _server_state["broken"] or _background:
            return None
        thread = threading.Thread(target=_start_quietly, args=(then,), daemon=False, name="tem-browser-start")
        _background.append(thread)
    thread.start()
    return thread


_background: list[threading.Thread] = []


def start_failure() -> str | None:
    """Why the browser cannot draw in this process (it failed to start or stopped), or None."""
    return _server_state["broken"]


def browser_hung() -> bool:
    """Whether the browser started but never answered its first drawing: kaleido's exit handler would then wait
    for it forever, so a command ends without running it (:func:`tem.cli.main`)."""
    return bool(_server_state.get("hung"))


def wait_for_start() -> None:
    """Wait until the browser start begun by :func:`start_in_background` (its first drawing included) has
    finished; at once when none was begun. Call it before this process first uses plotly on another thread:
    plotly's first use beside the browser's first drawing can leave kaleido's server waiting forever (seen as a
    ``tem run`` of two scenarios that never ended, the probe figure never answered)."""
    for thread in list(_background):
        if thread is not threading.current_thread():
            thread.join()


def _start_quietly(then: Callable[[], None] | None = None) -> None:
    try:
        _start_server()
    except PngUnavailableError:
        pass  # the first figure_png says why
    except Exception as exc:  # whatever kaleido raised: kept for the first figure_png, never a thread traceback
        with _server_lock:
            _server_state["broken"] = f"the browser did not start ({exc}); {INSTALL_HINT}"
    if then is not None:
        then()


def _to_png(fig: go.Figure | Mapping[str, Any], width: int, height: int, scale: float) -> bytes:
    import plotly.io as pio

    with warnings.catch_warnings():
        # plotly passes options the long-lived server does not take; harmless, and said on every figure.
        warnings.filterwarnings("ignore", message="The kopts argument is ignored if using a server", category=UserWarning)
        # a plain dict comes from Figure.to_dict() of a validated figure: no second validation
        validate = not isinstance(fig, Mapping)
        return bytes(pio.to_image(fig, format="png", width=width, height=height, scale=scale, validate=validate))


def drawn_or_why(draw: Callable[[], T]) -> tuple[T | None, str | None]:
    """``(draw(), None)``, or ``(None, why)`` when the browser could not draw (:class:`PngUnavailableError`: it
    is missing, would not start, or stopped). For a command whose PNGs are a default rather than asked for
    (``--png`` not given): it then writes every other file and says why the PNGs were skipped, as when no
    browser is installed."""
    try:
        return draw(), None
    except PngUnavailableError as exc:
        return None, str(exc)


def figure_png(fig: go.Figure | Mapping[str, Any], width: int, height: int, scale: float = 1) -> bytes:
    """PNG bytes of a figure (or of its ``Figure.to_dict()``) at ``width`` x ``height`` CSS pixels times ``scale``.

    Raises :class:`PngUnavailableError` when the browser cannot draw it: it fails to start, reports an error, or
    stops answering (its process ended, or no answer within :data:`DRAW_TIMEOUT_S`); every later drawing then
    fails at once with the same message."""
    _start_server()
    outcome, why = watch.answered(
        lambda: _to_png(fig, width, height, scale), DRAW_TIMEOUT_S, watch.server_thread(), list(_browsers)
    )
    if why is not None:
        with _server_lock:
            _server_state["hung"] = "yes"  # kaleido would wait for that answer at exit: the command must not
            _server_state["broken"] = f"the browser stopped while drawing a PNG ({why}); {INSTALL_HINT}"
        raise PngUnavailableError(_server_state["broken"])
    first = outcome[0]
    if isinstance(first, (RuntimeError, OSError)):  # e.g. the browser's channel closed: it is gone
        with _server_lock:
            _server_state["broken"] = f"PNG rendering failed ({first}); {INSTALL_HINT}"
        raise PngUnavailableError(_server_state["broken"]) from first
    if isinstance(first, BaseException):
        raise first
    return bytes(first)


def pngs_in_background(
    figures: Mapping[str, go.Figure | Mapping[str, Any]], width: int, height: int, scale: float = 1
) -> Future[dict[str, bytes]]:
    """Draw ``figures`` (each a figure or its ``Figure.to_dict()``, e.g. made in another process) as PNGs on a
    helper thread; ``.result()`` gives PNG bytes by name (or raises what :func:`figure_png` raised).

    Figures are copied to plain dicts here, on the caller's thread, so the helper shares no plotly object
    with code that keeps using them; the PNGs are the same bytes as :func:`figure_png` of each figure.
    """
    specs = {name: fig if isinstance(fig, Mapping) else fig.to_dict() for name, fig in figures.items()}
    # the browser's first drawing on this thread, never beside the caller's next use of plotly (wait_for_start)
    wait_for_start()
    with contextlib.suppress(PngUnavailableError):  # figure_png raises it again, from .result()
        _start_server()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tem-png")
    try:
        return pool.submit(lambda: {name: figure_png(spec, width, height, scale) for name, spec in specs.items()})
    finally:
        pool.shutdown(wait=False)

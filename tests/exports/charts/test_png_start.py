"""The browser's early start (tem/exports/charts/png.py, issue 15): work handed to it runs on its thread after the
start, whether the browser started or not; no browser, no thread."""

from __future__ import annotations

import threading

import pytest

from tem.exports.charts import png


def test_then_runs_on_the_start_thread_after_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(png, "png_available", lambda: (True, "/usr/bin/chromium"))
    monkeypatch.setattr(png, "_server_state", {"started": None, "broken": None})
    monkeypatch.setattr(png, "_background", [])
    calls: list[tuple[str, str]] = []

    def failing_start() -> None:
        calls.append(("start", threading.current_thread().name))
        raise png.PngUnavailableError("the browser did not render a test figure")

    monkeypatch.setattr(png, "_start_server", failing_start)
    thread = png.start_in_background(then=lambda: calls.append(("then", threading.current_thread().name)))
    assert thread is not None
    thread.join()
    assert calls == [("start", "tem-browser-start"), ("then", "tem-browser-start")]
    assert png.start_in_background(then=lambda: calls.append(("again", ""))) is None  # one start per process
    assert len(calls) == 2


def test_no_browser_no_thread_and_nothing_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(png, "png_available", lambda: (False, "no Chromium-based browser"))
    ran: list[int] = []
    assert png.start_in_background(then=lambda: ran.append(1)) is None
    assert ran == []

"""User-facing errors: each names the file, line, dotted path, bad value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHOWN_CHARS = 60  # a value longer than this is shown cut, with "..."


def show_value(value: Any) -> str:
    """A value as the user wrote it, for messages: YAML spellings (null, true, false), text in quotes, and
    long lists or mappings cut to ``SHOWN_CHARS`` characters.

    >>> show_value(None), show_value(True), show_value("eighty"), show_value(0.05)
    ('null', 'true', "'eighty'", '0.05')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input. ``file`` may be '--set' or '<python>' for overrides.

    ``via`` says how a file the user did not name was reached, e.g. ``"scenario.yaml:1 extends: base.yaml"``.
    """

    file: str | None
    line: int | None
    path: str
    message: str
    via: str = ""

    def __str__(self) -> str:
        where = self.file or "<assumptions>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} (reached through {self.via})" if self.via else text


class TemError(Exception):
    """Base of errors caused by user input (the CLI shows them without a traceback, exit code 2)."""


class AssumptionError(TemError):
    """All problems found in an assumption set, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the assumptions:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class OptionError(AssumptionError):
    """A bad value of one option (``--n``) or argument (``n``) that the rules of a file check (a Monte Carlo spec's
    ``n``): one line naming the option, the value as given and what is allowed, as a usage error of the command
    line (the CLI puts the command before it: ``tem montecarlo --n: -5 is not allowed; allowed: ...``)."""

    def __init__(self, option: str, value: Any, allowed: str):
        self.option, self.value, self.allowed = option, value, allowed
        super().__init__([Problem(option, None, "", f"{show_value(value)} is not allowed; allowed: {allowed}")])

    def __str__(self) -> str:
        return f"{self.option}: {show_value(self.value)} is not allowed; allowed: {self.allowed}"


class BatchInputError(TemError):
    """A per-scenario value given to run_batch is not usable (unknown path, wrong shape, out of bounds)."""

"""User-facing errors: each names the file, line, dotted path, bad value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input. ``file`` may be '--set' or '<python>' for overrides."""

    file: str | None
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file or "<assumptions>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


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


class BatchInputError(TemError):
    """A per-scenario value given to run_batch is not usable (unknown path, wrong shape, out of bounds)."""

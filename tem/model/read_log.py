"""Which inputs a computation reads: :func:`paths_read` runs it on inputs whose arrays note every read.

Used to decide what a batch may share between its scenarios (the import-only counterfactual, when no varied input
reaches it: :func:`tem.model.engine.shared_counterfactual`). Conservative by construction: a computation that
lists the paths (iterates the arrays, e.g. to copy them) may read any of them, and is reported as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from tem.model.inputs import Inputs


class ReadLog(Mapping[str, np.ndarray]):
    """The arrays of some inputs, noting the paths read (``listed``: the paths were iterated, so any may have
    been read)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._arrays = arrays
        self.read: set[str] = set()
        self.listed = False

    def __getitem__(self, path: str) -> np.ndarray:
        self.read.add(path)
        return self._arrays[path]

    def __iter__(self) -> Iterator[str]:
        self.listed = True
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)


def paths_read(fn: Callable[[Inputs], Any], inp: Inputs) -> set[str] | None:
    """The paths of ``inp`` that ``fn(inp)`` reads (None: it listed them, so it may read any)."""
    log = ReadLog(inp.arrays)
    fn(replace(inp, arrays=log))
    return None if log.listed else log.read

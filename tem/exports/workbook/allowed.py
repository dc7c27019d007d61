"""What each input of the workbook may hold, read from the assumption schema (not a hand list).

* A choice (a ``Literal`` or ``Enum`` field: ``tax.structure``, ``valuation.terminal_value_method``, a segment's
  ``price_rule`` ...) may hold one of its words, exactly (the formulas compare ``="standalone"`` case-blind, so
  ``Within_Parent`` would be read as a choice the engine refuses); where the workbook's formulas follow only some
  of the schema's words (a price rule switches between import parity and cost plus; a price path has its own
  price inputs) the narrower list is given by the caller.
* A scalar number with bounds in the schema (``ge``/``gt``/``le``/``lt``: the discount rate ``0 < r < 1``), a whole
  number (``int``: years, counts) or a switch (``bool``, written 1 or 0) must be a number within them; a null of the
  assumptions written as a number (``transition.local_cells_start_fy``: 1000000 for never, also in an import-only
  set) is allowed.
* A yearly row (a path along the timeline: prices, duties, volumes, FX) must hold a number in every year within
  the bound the loader enforces on its values (:data:`tem.assumptions.fields.YEARLY_LIMITS`: a BCD rate typed as 20
  is refused as the loader refuses it); a list laid along the row (a ramp, a spend profile) must hold a number within
  its items' bounds in each entry, and nothing may be typed after its last year or entry (not read).
* The loader's rules that the fixed timeline makes bounds of one cell narrow them (:mod:`.rules`: a commissioning
  year inside the horizon and after the gates that can remove the phase, a capacity that must be 0 ...); the first
  year and the horizon are fixed (the columns are the years).
* Grey inputs (no formula reads them: :func:`tem.exports.workbook.inputs_sheet.mark_unread_inputs`) are checked
  too: a number within the loader's bounds (the engine does not read it either), a choice only as written (the
  formulas follow that policy, kind or gate test; the engine would follow another word).

The Inputs sheet gets a data-validation list or range on each such cell (Excel refuses another entry with a message
naming what is allowed); the Checks sheet gets a live row per input and an overall status that the integrity flag
and the Summary's verdict follow (a pasted value or LibreOffice's laxer validation still gets caught).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from tem.assumptions.fields import YEARLY_LIMITS
from tem.assumptions.schema import Assumptions
from tem.assumptions.walk import Leaf, iter_leaves
from tem.assumptions.yearly import fy_label
from tem.exports.workbook.grid import FIRST_COL, Grid
from tem.exports.workbook.rules import FIXED, capacity_limit, fixed_text, year_limits
from tem.model.inputs import NEVER_FY


@dataclass(frozen=True)
class Allowed:
    """The values one input cell (``Inputs!$E$12``) may hold: ``words`` for a choice, else a number in bounds; with
    ``span`` > 1, each of the cells along the row from ``cell`` (a yearly path, a list)."""

    path: str
    cell: str
    words: tuple[str, ...] = ()
    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    hi_open: bool = False
    whole: bool = False
    also: tuple[float, ...] = ()  # numbers allowed besides the bounds (a null written as a number)
    span: int = 1  # cells along the row from ``cell``: one per year of a yearly path, one per entry of a list
    read: bool = True  # some formula reads it (blue); else grey, fixed for the workbook (see allowed_inputs)
    why: str = ""  # what is allowed, in words, where the bounds alone do not say it (a fixed input, a horizon)
    past: int = 0  # cells after the span that must stay empty (a value typed there is not read)
    after: str = ""  # the last value read, in words ("FY45, the last year (not read)"), with ``past``

    @property
    def cells(self) -> str:
        """``cell``, or the range of its ``span`` cells (``Inputs!$G$40:$Z$40``)."""
        if self.span == 1:
            return self.cell
        sheet, _, ref = self.cell.rpartition("!")
        row = ref.lstrip("$").split("$")[1]
        col = ref.lstrip("$").split("$")[0]
        last = get_column_letter(column_index_from_string(col) + self.span - 1)
        return f"{sheet}!${col}${row}:${last}${row}"

    @property
    def past_cells(self) -> str:
        """The ``past`` cells after the span (``Inputs!$AA$40:$BD$40``), empty when ``past`` is 0."""
        if not self.past:
            return ""
        sheet, _, ref = self.cell.rpartition("!")
        col, row = ref.lstrip("$").split("$")
        start = column_index_from_string(col) + self.span
        return f"{sheet}!${get_column_letter(start)}${row}:${get_column_letter(start + self.past - 1)}${row}"

    def _bound_tests(self, x: str) -> list[str]:
        """The comparisons of ``x`` (a cell or a range) with the bounds: lower, upper, whole number."""
        tests = []
        if self.lo is not None:
            tests.append(f"{x}{'>' if self.lo_open else '>='}{_num(self.lo)}")
        if self.hi is not None:
            tests.append(f"{x}{'<' if self.hi_open else '<='}{_num(self.hi)}")
        if self.whole:
            tests.append(f"{x}=INT({x})")
        return tests

    def valid(self, ref: str | None = None) -> str:
        """An Excel expression, TRUE when the cell (or the single cell ``ref``, a data validation's) holds an
        allowed value; with ``span`` > 1 and no ``ref``, TRUE when every cell of the span does."""
        if ref is None and self.past:  # nothing typed after the last value read
            return f"AND({self._valid_values()},COUNTA({self.past_cells})=0)"
        return self._valid_values(ref)

    def _valid_values(self, ref: str | None = None) -> str:
        if ref is None and self.span > 1:
            r = self.cells
            tests = [f"ISNUMBER({r})", *(f"({t})" for t in self._bound_tests(r))]
            return f"IFERROR(SUMPRODUCT({'*'.join(tests)})={self.span},FALSE)"
        x = ref or self.cell
        if self.words:
            return "OR(" + ",".join(f"EXACT({x},{_quote(w)})" for w in self.words) + ")"
        tests = self._bound_tests(x)
        within = f"AND({','.join(tests)})" if tests else "TRUE"
        if self.also:
            within = "OR(" + ",".join(f"{x}={_num(v)}" for v in self.also) + f",{within})"
        return f"IF(ISNUMBER({x}),{within},FALSE)"

    def holds(self, value: Any) -> bool:
        """What :meth:`valid` gives for ``value`` (the cached value of a check cell)."""
        if self.words:
            return isinstance(value, str) and value in self.words
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        x = float(value)
        if x in self.also:
            return True
        lo_ok = self.lo is None or (x > self.lo if self.lo_open else x >= self.lo)
        hi_ok = self.hi is None or (x < self.hi if self.hi_open else x <= self.hi)
        return lo_ok and hi_ok and (not self.whole or x == int(x))

    def holds_all(self, values: Any) -> bool:
        """What :meth:`valid` gives for the cells' values: each one allowed (a span) or the one value."""
        if self.span == 1:
            return self.holds(values)
        return len(values) == self.span and all(self.holds(v) for v in values)

    @property
    def text(self) -> str:
        """What is allowed, in words: ``one of: standalone, within_parent`` or ``a number > 0 and < 1``."""
        text = self.why or self._number_text()
        text = text.replace("a number", "in each cell a number", 1) if self.span > 1 else text
        return f"{text}; nothing typed after {self.after}" if self.past else text

    def _number_text(self) -> str:
        if self.words:
            return "one of: " + ", ".join(self.words)
        if self.whole and (self.lo, self.hi, self.lo_open, self.hi_open) == (0.0, 1.0, False, False):
            return "1 (yes) or 0 (no)"
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {_num(self.lo)}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {_num(self.hi)}")
        kind = "a whole number" if self.whole else "a number"
        text = kind + (" " + " and ".join(parts) if parts else "")
        if self.also:
            text += " (or " + ", ".join(_num(v) for v in self.also) + ", as exported)"
        if self.hi is not None and self.hi <= 1 and not self.whole:
            text += "; a fraction, not a percent (0.125 for 12.5%)"
        return text


def _num(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def choice_words(annotation: Any) -> tuple[str, ...]:
    """The words of a ``Literal`` or ``Enum`` type (also inside ``Optional``/``Annotated``); () for other types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return tuple(str(v.value if isinstance(v, enum.Enum) else v) for v in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(m.value) for m in annotation)
    if origin is not None:  # Optional / Union / Annotated: the words of its choice members
        words: list[str] = []
        for arg in typing.get_args(annotation):
            words += [w for w in choice_words(arg) if w not in words]
        return tuple(words)
    return ()


def _number_kind(annotation: Any) -> str | None:
    """ "bool", "int" or "float" for a scalar number field (also ``X | None``); None for anything else."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    members = tuple(m for m in (typing.get_args(annotation) if union else (annotation,)) if m is not type(None))
    if len(members) != 1:
        return None
    m = members[0]
    return {bool: "bool", int: "int", float: "float"}.get(m)


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in metadata:
        for name, key, open_ in (("ge", "lo", False), ("gt", "lo", True), ("le", "hi", False), ("lt", "hi", True)):
            v = getattr(meta, name, None)
            if v is not None:
                out[key], out[f"{key}_open"] = float(v), open_
    return out


def _item_bounds(annotation: Any) -> dict[str, Any]:
    """The bounds of the items of a ``list[Annotated[float, Field(ge=..., le=...)]]`` (a ramp, a spend profile)."""
    (item,) = typing.get_args(annotation) or (None,)
    return _bounds([m for arg in typing.get_args(item)[1:] for m in getattr(arg, "metadata", [arg])])


def _list_type(annotation: Any) -> Any:
    """``list[X]`` itself or the list member of ``list[X] | None``; None for another type."""
    if typing.get_origin(annotation) is list:
        return annotation
    return next((m for m in typing.get_args(annotation) if typing.get_origin(m) is list), None)


PAST_COLS = 30  # cells checked after a yearly row's last year or a list's last entry: a value typed there is not read


def _row_allowed(leaf: Leaf, ws_in: Worksheet, row: int, span: int, yearly: bool, last_fy: int, read: bool) -> Allowed:
    """A yearly row (the loader's bound on its values) or a list along the row (its items' bounds), from column G
    over ``span`` cells, nothing typed in the :data:`PAST_COLS` cells after it (a longer list is not read: the
    loader refuses a yearly list longer than the horizon, and a longer ramp the workbook would not follow)."""
    if yearly:
        lo, lo_open, hi, hi_open = YEARLY_LIMITS[leaf.yearly_bound or "any"]
        bounds: dict[str, Any] = {"lo": lo, "lo_open": lo_open, "hi": hi, "hi_open": hi_open}
        after = f"{fy_label(last_fy)}, the last year (not read)"
    else:
        bounds = _item_bounds(_list_type(leaf.field.annotation))
        after = f"its {span} entr{'y' if span == 1 else 'ies'} (not read: a longer list goes in the assumption file)"
    cell = f"Inputs!${get_column_letter(FIRST_COL)}${row}"
    item = Allowed(leaf.path, cell, span=span, past=PAST_COLS, after=after, read=read, **bounds)
    values = [ws_in.cell(row, FIRST_COL + t).value for t in range(span)]
    if yearly and leaf.yearly_bound == "rate" and not item.holds_all(values):  # grown past 1 by a growth path: allowed
        bounds |= {"hi": None, "hi_open": False}
        item = Allowed(leaf.path, cell, span=span, past=PAST_COLS, after=after, read=read, **bounds)
    return item


def _scalar_allowed(leaf: Leaf, a: Assumptions, cell: str, written: Any, kind: str, read: bool) -> Allowed:
    """A scalar number: its schema bounds, narrowed by the loader's rules on one cell (a fiscal year inside the
    horizon, a capacity that must be 0; :mod:`.rules`); a fixed input (the first year, the horizon) only as written."""
    whole = kind != "float"
    if leaf.path in FIXED and isinstance(written, (int, float)):
        x = float(written)
        return Allowed(leaf.path, cell, lo=x, hi=x, whole=whole, read=read, why=fixed_text(x, a))
    bounds = _bounds(list(leaf.field.metadata))
    if kind == "bool":
        bounds = {"lo": 0.0, "hi": 1.0}
    why = ""
    years = year_limits(a, leaf.path)
    if years is not None:
        bounds |= {"lo": max(years[0], bounds.get("lo", years[0])), "hi": min(years[1], bounds.get("hi", years[1]))}
        why = years[2]
    zero = capacity_limit(a, leaf.path)
    if zero is not None:
        bounds, why = {"lo": 0.0, "hi": 0.0}, zero
    if leaf.path == "transition.local_cells_start_fy":  # null in the assumptions (never) is a number here
        why = f"{why}, or {NEVER_FY:.0f} for never (null in the assumptions)"
        return Allowed(leaf.path, cell, whole=whole, also=(NEVER_FY,), read=read, why=why, **bounds)
    item = Allowed(leaf.path, cell, whole=whole, read=read, why=why, **bounds)
    if isinstance(written, (int, float)) and not item.holds(written):  # an import-only set's
        also, why = (float(written),), why and f"{why} (or {written:g}, as exported)"
        item = Allowed(leaf.path, cell, whole=whole, also=also, read=read, why=why, **bounds)
    return item


def allowed_inputs(a: Assumptions, grid: Grid, ws_in: Worksheet, narrowed: Mapping[str, tuple[str, ...]]) -> list[Allowed]:
    """Every choice, every scalar number, every yearly row and every list of the Inputs sheet, in the sheet's
    order. ``read`` where a formula reads it (``grid.used_input_rows`` so far: call once the model's formulas are
    written). An input no formula reads is grey, fixed for the workbook: a choice keeps only the word written (the
    workbook's formulas follow that policy, kind or gate; the engine would follow another), a number what the
    loader allows (no formula of the engine reads it either: test_allowed_inputs checks that on every scenario),
    so an edit the loader refuses is caught there too. ``narrowed``: the words the workbook's formulas follow
    where they are fewer than the schema's."""
    out = []
    last_fy = a.timeline.first_fy + a.timeline.horizon_years - 1
    for leaf in iter_leaves(a):
        ref = grid.inputs.get(leaf.path)
        if ref is None:
            continue
        read = ref.row in grid.used_input_rows
        cell = f"Inputs!$E${ref.row}"
        if ref.kind == "text":
            words = choice_words(leaf.field.annotation) if isinstance(leaf.value, str) else ()
            if words and not read:
                why = f"one of: {leaf.value} (as exported: fixed in this workbook; edit the assumption file to change it)"
                out.append(Allowed(leaf.path, cell, words=(str(leaf.value),), read=False, why=why))
            elif words:
                out.append(Allowed(leaf.path, cell, words=tuple(narrowed.get(leaf.path) or words)))
            continue
        if ref.kind in ("yearly", "list"):
            span = grid.n_years if ref.kind == "yearly" else len(leaf.value)
            out.append(_row_allowed(leaf, ws_in, ref.row, span, ref.kind == "yearly", last_fy, read))
            continue
        kind = _number_kind(leaf.field.annotation)
        if ref.kind != "scalar" or kind is None:
            continue
        out.append(_scalar_allowed(leaf, a, cell, ws_in.cell(ref.row, 5).value, kind, read))
    return out


def add_validations(ws_in: Worksheet, allowed: list[Allowed]) -> None:
    """A drop-down list on each choice cell, a range on each number, row and list, nothing after a row's last
    year or a list's last entry; Excel refuses anything else with a message naming what is allowed."""
    for item in allowed:
        local = item.cell.removeprefix("Inputs!").replace("$", "")
        where = item.cells.removeprefix("Inputs!").replace("$", "")  # the data validation's range
        if item.words:
            dv = DataValidation(type="list", formula1=_quote(",".join(item.words)), allow_blank=False)
        else:
            dv = DataValidation(type="custom", formula1=item.valid(local), allow_blank=False)
        dv.showErrorMessage, dv.errorStyle = True, "stop"
        dv.errorTitle = "Not an allowed value"
        dv.error = f"{item.path}: {item.text}"[:255]
        dv.showInputMessage, dv.promptTitle, dv.prompt = True, "Allowed", item.text[:255]
        ws_in.add_data_validation(dv)
        dv.add(where)
        if item.past:  # after the last value read: nothing (Excel refuses an entry there)
            past = item.past_cells.removeprefix("Inputs!").replace("$", "")
            dv = DataValidation(type="custom", formula1=f"ISBLANK({past.split(':')[0]})", allow_blank=False)
            dv.showErrorMessage, dv.errorStyle = True, "stop"
            dv.errorTitle = "Not read"
            dv.error = f"{item.path}: nothing is read after {item.after}"[:255]
            ws_in.add_data_validation(dv)
            dv.add(past)

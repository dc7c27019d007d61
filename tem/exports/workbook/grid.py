"""The grid shared by the workbook's Inputs and Calculations sheets: one timeline across the columns.

Columns: A key, B label, C unit, D note, E scalar value (Inputs) / total (Calculations), F spacer, then one
column per fiscal year from G. Both sheets use the same columns, so a relative reference ``Inputs!H12``
in column H of Calculations is the same year.

Formula templates name rows instead of cells; :func:`render` turns them into A1 references for one column:

* ``{key}``: the row ``key`` of Calculations in this column (``G15``);
* ``{key:prev}``: the same row in the previous column (blank before the first year, i.e. 0);
* ``{key:upto}``: from the first year to this column (``$G15:G15``), for running totals;
* ``{key:all}``: the whole timeline of the row (``$G$15:$Z$15``);
* ``{in:path}``: an input by dotted path: a scalar (``Inputs!$E$7``), a yearly value in this column
  (``Inputs!G12``), or a list laid along the timeline from the first year (``Inputs!$G$30:$Z$30``);
* ``{c:name}``: a named constant on the Inputs sheet (units conversions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

FIRST_COL = 7  # G
SCALAR_COL = 5  # E
TOKEN = re.compile(r"\{([a-z]+:[^{}]+|[A-Za-z0-9_.]+(?::(?:prev|upto|all))?)\}")


@dataclass
class InputRef:
    row: int
    kind: str  # "scalar" | "yearly" | "list" | "text"


@dataclass
class Grid:
    """Row positions of inputs, constants and calculation rows; renders formula templates."""

    n_years: int
    inputs: dict[str, InputRef] = field(default_factory=dict)
    constants: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    # rows of the Inputs sheet some formula reads (shared by the grids of one workbook: see used_by_formulas)
    used_input_rows: set[int] = field(default_factory=set)
    # the formulas of each template as rendered (its pieces -> one formula per year) and each template's parts,
    # shared like used_input_rows: the sheets of one workbook (Calculations, Import-only, the steps) repeat most rows
    rendered: dict[object, list[str]] = field(default_factory=dict, repr=False, compare=False)
    _letters: list[str] = field(default_factory=list, repr=False, compare=False)

    def col(self, t: int) -> str:
        return get_column_letter(FIRST_COL + t)

    @property
    def last_col(self) -> str:
        return self.col(self.n_years - 1)

    def render(self, template: str, t: int) -> str:
        """The formula of ``template`` for year index ``t`` (column G + t)."""
        return self._fill(self._pieces(template), t)

    def render_all(self, template: str) -> list[str]:
        """``render(template, t)`` for every year index ``t``, the template read once: its pieces become one
        format string (``{0}`` this year's column, ``{1}`` the previous one) that ``str.format`` fills per year."""
        pieces = tuple(self._pieces(template))
        done = self.rendered.get(pieces)
        if done is None:
            fmt = "=" + "".join(
                _braced(p) if isinstance(p, str) else _braced(p[0]) + ("{1}" if p[1] else "{0}") + _braced(p[2])
                for p in pieces
            )
            if len(self._letters) != self.n_years + 1:  # column letters of the year indices -1 .. T-1, made once
                self._letters[:] = [get_column_letter(FIRST_COL + t - 1) for t in range(self.n_years + 1)]
            letters = self._letters
            done = self.rendered[pieces] = [fmt.format(letters[t + 1], letters[t]) for t in range(self.n_years)]
        return list(done)

    def _fill(self, pieces: list[str | tuple[str, bool, str]], t: int) -> str:
        """The pieces of a template for year ``t``: text, or (before, previous column?, after) around a column."""
        c, prev = self.col(t), get_column_letter(FIRST_COL + t - 1)
        return "=" + "".join(p if isinstance(p, str) else p[0] + (prev if p[1] else c) + p[2] for p in pieces)

    def _pieces(self, template: str) -> list[str | tuple[str, bool, str]]:
        """``template`` split into literal text and its tokens' references (see the module docstring)."""
        first, last = self.col(0), self.last_col
        scalar = get_column_letter(SCALAR_COL)
        pieces: list[str | tuple[str, bool, str]] = []
        parts = self.rendered.get(template)  # the template split once per workbook
        if parts is None:
            parts = self.rendered[template] = TOKEN.split(template)
        for i, part in enumerate(parts):
            if i % 2 == 0:  # the text between tokens
                if part:
                    pieces.append(part)
                continue
            if part.startswith("in:"):
                ref = self.inputs[part[3:]]
                self.used_input_rows.add(ref.row)
                if ref.kind in ("scalar", "text"):
                    pieces.append(f"Inputs!${scalar}${ref.row}")
                elif ref.kind == "yearly":
                    pieces.append(("Inputs!", False, f"{ref.row}"))
                else:
                    pieces.append(f"Inputs!${first}${ref.row}:${last}${ref.row}")
                continue
            if part.startswith("c:"):
                pieces.append(f"Inputs!${scalar}${self.constants[part[2:]]}")
                continue
            key, _, mode = part.partition(":")
            r = self.rows[key]
            if mode == "prev":
                pieces.append(("", True, f"{r}"))
            elif mode == "upto":
                pieces.append((f"${first}{r}:", False, f"{r}"))
            elif mode == "all":
                pieces.append(f"${first}${r}:${last}${r}")
            else:
                pieces.append(("", False, f"{r}"))
        return pieces

    def whole_row(self, key: str, sheet: str = "Calculations") -> str:
        r = self.rows[key]
        return f"{sheet}!${self.col(0)}${r}:${self.last_col}${r}"

    def scalar_cell(self, path: str) -> str:
        self.used_input_rows.add(self.inputs[path].row)
        return f"Inputs!${get_column_letter(SCALAR_COL)}${self.inputs[path].row}"


def _braced(text: str) -> str:
    """``text`` as literal text of a ``str.format`` string."""
    return text.replace("{", "{{").replace("}", "}}")

"""The verdict sentence, once: as text (the report, ``tem run``) and as a live Excel formula over the workbook's
Summary cells (so NPV, IRR against the hurdle, each step's increment and the gates' value move when a director
edits an input and recalculates). Both come from the same pieces, so the formula shows the text exactly for the
inputs as exported.

A piece is literal text, or a figure with its reference: ``TEXT(ref, format)`` in Excel, the catalogue's format in
Python (``-3,269 INR crore``, ``+163 INR crore``, ``3.3%``). Without references (``refs=None``) only the text is
made. The breakeven clause is a value of the run (goal seeks by tem) and stays text in the formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tem import catalogue

MONEY = '"#,##0;-#,##0"'
SIGNED = '"+#,##0;-#,##0;0"'
RATE = '"0.0%"'


@dataclass(frozen=True)
class Piece:
    text: str
    formula: str  # an Excel expression giving ``text`` for the values as exported


def _quote(text: str) -> str:
    """An Excel string constant; one longer than Excel's 255 characters is joined from shorter ones."""
    chunks = [text[i : i + 200] for i in range(0, len(text), 200)] or [""]
    return "&".join('"' + c.replace('"', '""') + '"' for c in chunks)


def literal(text: str) -> Piece:
    return Piece(text, _quote(text))


def money(value: float | None, ref: str | None, signed: bool = False) -> Piece:
    """``-3,269 INR crore`` (``+163 INR crore`` with ``signed``), as :func:`tem.catalogue.format_value`."""
    text = catalogue.format_value("npv_inr_cr", value, with_unit=True)
    if signed and value is not None and value > 0:
        text = "+" + text
    if ref is None:
        return Piece(text, _quote(text))
    return Piece(text, f'TEXT({ref},{SIGNED if signed else MONEY})&" INR crore"')


def creates(npv: float | None, ref: str | None) -> Piece:
    text = "creates" if (npv or 0.0) >= 0 else "destroys"
    return Piece(text, _quote(text) if ref is None else f'IF({ref}>=0,"creates","destroys")')


def irr_against_hurdle(irr: float | None, ref: str | None, hurdle: float, hurdle_ref: str | None) -> Piece:
    """``its IRR of 3.3% is below the 14.5% hurdle`` or ``it has no IRR``."""
    if irr is None:
        text = "it has no IRR"
    else:
        side = "above" if irr >= hurdle else "below"
        text = f"its IRR of {catalogue.format_value('irr', irr)} is {side} the {hurdle:.1%} hurdle"
    if ref is None or hurdle_ref is None:
        return Piece(text, _quote(text))
    formula = (
        f'IF(ISNUMBER({ref}),"its IRR of "&TEXT({ref},{RATE})&" is "&IF({ref}>={hurdle_ref},"above","below")'
        f'&" the "&TEXT({hurdle_ref},{RATE})&" hurdle","it has no IRR")'
    )
    return Piece(text, formula)


@dataclass(frozen=True)
class VerdictRefs:
    """Cells of the workbook the live verdict reads: the run's NPV and IRR, the hurdle rate, each step's
    increment (in step order) and the gates' value."""

    npv: str
    irr: str
    hurdle: str
    steps: Sequence[str]
    gates_value: str | None = None


def verdict_pieces(
    npv: float | None,
    irr: float | None,
    hurdle: float,
    steps: Sequence[tuple[str, float | None]],
    gates: tuple[Sequence[str], float | None, float | None] | None,
    breakeven: str,
    refs: VerdictRefs | None = None,
) -> list[Piece]:
    """The sentence's pieces: whether the program creates value (NPV) and beats the hurdle; by decision, what each
    step adds (they add up to the NPV); with a gate that says no go, what the gates are worth against committing
    to every phase (``gates``: the phases stopped, the gates' value, the committed NPV); ``breakeven`` (text)."""
    r: Mapping[str, str | None] = (
        {"npv": refs.npv, "irr": refs.irr, "hurdle": refs.hurdle, "gates": refs.gates_value} if refs else {}
    )
    pieces = [
        literal("At these assumptions the program "),
        creates(npv, r.get("npv")),
        literal(" value (NPV "),
        money(npv, r.get("npv")),
        literal(") and "),
        irr_against_hurdle(irr, r.get("irr"), hurdle, r.get("hurdle")),
    ]
    for i, (name, increment) in enumerate(steps):
        pieces.append(literal(("; by decision: " if i == 0 else ", ") + name.lower().removeprefix("+ ") + " "))
        ref = refs.steps[i] if refs is not None and i < len(refs.steps) else None
        pieces.append(money(increment, ref, signed=i > 0))
    if gates is not None:
        stopped, value, committed = gates
        pieces += [
            literal(f"; its gates stop {', '.join(stopped)} and are worth "),
            money(value, r.get("gates"), signed=True),
            literal(f" against committing to every phase (NPV {money(committed, None).text})"),
        ]
    pieces.append(literal(breakeven + "."))
    return pieces


def text_of(pieces: Sequence[Piece]) -> str:
    return "".join(p.text for p in pieces)


def formula_of(pieces: Sequence[Piece]) -> str:
    """One Excel formula: adjacent literals merged (formulas stay short)."""
    parts: list[str] = []
    buffer = ""
    for p in pieces:
        if p.formula == _quote(p.text):
            buffer += p.text
            continue
        if buffer:
            parts.append(_quote(buffer))
            buffer = ""
        parts.append(p.formula)
    if buffer:
        parts.append(_quote(buffer))
    return "=" + "&".join(parts)

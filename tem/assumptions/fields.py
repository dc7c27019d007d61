"""Field helpers for the assumption schema: every input declares its unit, bounds and description once.

The declaration drives validation, the JSON Schema (``tem schema``) and the flattening of an assumption set
into arrays (``tem.model.inputs``). A yearly field carries ``json_schema_extra={"yearly": <bound>}``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from tem.assumptions.yearly import check_yearly_form, yearly_numbers

Bound = str  # "share" [0, 1], "rate" (-1, 1], "nonneg" >= 0, "positive" > 0, "any"

YEARLY_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "description": "the same value every year"},
        {"type": "array", "items": {"type": "number"}, "description": "one value per year of the horizon"},
        {
            "type": "object",
            "properties": {"start": {"type": "number"}, "growth": {"type": "number", "exclusiveMinimum": -1}},
            "required": ["start", "growth"],
            "additionalProperties": False,
            "description": "start * (1 + growth) ** year_index",
        },
        {
            "type": "object",
            "patternProperties": {"^FY(\\d{2}|\\d{4})$": {"type": "number"}},
            "properties": {"interpolation": {"enum": ["hold", "linear"]}},
            "additionalProperties": False,
            "description": "fiscal-year points, held or linearly interpolated",
        },
    ]
}


IDENTIFIER = r"^[A-Za-z0-9_]{1,60}$"


def _identifier(name: str) -> str:
    if not re.fullmatch(IDENTIFIER, name):
        fixed = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")[:60] or "name_1"
        raise ValueError(
            f"{name!r} is not allowed as a name: use 1 to 60 letters, digits and underscores, e.g. {fixed!r} "
            "(names become keys of the workbook's formulas and of input paths)"
        )
    return name


_KINDS = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "not a character",
    "Co": "a private-use character",
    "Cn": "not an assigned character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Zs": "a space other than the plain space",
}


def text_problem(text: str, *, multiline: bool) -> str | None:
    """Why ``text`` cannot be shown as a label (in the workbook, CSV files, charts, the terminal); None if fine.

    Printable text only (``str.isprintable``; the plain space included): refused are control characters (tab
    and line break are allowed in ``multiline`` text), invisible formatting characters such as U+202E
    (right-to-left override, which makes a label read other than it is), other spaces and separators, lone
    surrogates (which no file encoding can hold), private-use and unassigned code points, U+FFFE and U+FFFF.
    """
    for i, ch in enumerate(text):
        if ch.isprintable() or (multiline and ch in "\t\n"):
            continue
        code = ord(ch)
        category = unicodedata.category(ch)
        name = unicodedata.name(ch, "") if category != "Cs" else ""
        kind = _KINDS.get(category, "not printable")
        shown = f"U+{code:04X}" + (f" ({name})" if name else "")
        return f"character {i + 1} is {shown}, {kind}; labels hold printable text only"
    return None


def _plain_text(multiline: bool) -> Any:
    def check(text: str) -> str:
        problem = text_problem(text, multiline=multiline)
        if problem:
            raise ValueError(problem)
        return text

    return check


Identifier = Annotated[
    str,
    AfterValidator(_identifier),
    WithJsonSchema({"type": "string", "pattern": IDENTIFIER, "description": "letters, digits and _ (1 to 60)"}),
]
Label = Annotated[str, AfterValidator(_plain_text(multiline=False))]  # a one-line text shown in outputs
Note = Annotated[str, AfterValidator(_plain_text(multiline=True))]  # a text of several lines shown in outputs


class StrictModel(BaseModel):
    """Base for every block: unknown keys and NaN/inf are errors; models are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, validate_default=True, strict=True)


def percent_hint(x: float, upper: float = 1.0) -> str:
    """' use 0.05 for 5%' when ``x`` looks like a percent typed where a fraction (at most ``upper``) belongs."""
    if 2.0 <= x <= 100.0 and x / 100.0 <= upper:
        return f": this is a fraction, not a percent; use {x / 100:g} for {x:g}%"
    return ""


# each yearly bound as limits (lower, lower exclusive, upper, upper exclusive) of a value as written, the ones
# :func:`bound_problem` enforces (a value derived from a growth path: a rate has no upper limit); read by the
# workbook's validations of yearly rows (tem.exports.workbook.allowed)
YEARLY_LIMITS: dict[Bound, tuple[float | None, bool, float | None, bool]] = {
    "share": (0.0, False, 1.0, False),
    "rate": (-1.0, True, 1.0, False),
    "nonneg": (0.0, False, None, False),
    "positive": (0.0, True, None, False),
    "any": (None, False, None, False),
}


def bound_problem(x: float, bound: Bound, name_hint: str = "", derived: bool = False) -> str | None:
    """Why ``x`` breaks ``bound``, with a suggestion; None when it is fine. ``derived`` values (computed from
    a growth path) get no percent hint."""
    if not math.isfinite(x):
        return f"{x} is not a finite number"
    if bound == "share" and not 0.0 <= x <= 1.0:
        return f"{x:g} is outside [0, 1] (a fraction)" + ("" if derived else percent_hint(x))
    if bound == "rate" and not (-1.0 < x <= 1.0 or (derived and x > -1.0)):
        # a value as written at most 1 (a percent typed as 5 is refused); a growth path may carry it above 1
        return f"{x:g} is outside (-1, 1] (a fraction: 0.05 = 5%)" + ("" if derived else percent_hint(x))
    if bound == "nonneg" and x < 0:
        return f"{x:g} is negative; {name_hint or 'this value'} must be >= 0"
    if bound == "positive" and x <= 0:
        return f"{x:g} must be > 0"
    return None


def _yearly_checker(bound: Bound):
    def check(value: Any) -> Any:
        problems = check_yearly_form(value)
        if not problems:
            for x in yearly_numbers(value):
                p = bound_problem(x, bound)
                if p:
                    problems.append(p)
                    break
        if problems:
            raise ValueError("; ".join(problems))
        return value

    return check


def _yearly_type(bound: Bound) -> Any:
    return Annotated[Any, BeforeValidator(_yearly_checker(bound)), WithJsonSchema(YEARLY_JSON_SCHEMA)]


YearlyShare = _yearly_type("share")
YearlyNonNeg = _yearly_type("nonneg")
YearlyPositive = _yearly_type("positive")
YearlyRate = _yearly_type("rate")
YearlyAny = _yearly_type("any")


def yearly(description: str, bound: Bound = "nonneg", default: Any = ...) -> Any:
    """A yearly input field (number, growth path, FY points or list); values nominal."""
    return Field(default, description=description, json_schema_extra={"yearly": bound})


def share(description: str, default: Any = ...) -> Any:
    """A fraction in [0, 1] (never a percent)."""
    return Field(default, ge=0.0, le=1.0, description=description, json_schema_extra={"unit": "fraction"})


MAX_INR_CR = 1_000_000.0  # Rs 10 lakh crore: above any one amount of this program (Rs 5,000-10,000 crore) by 100x
MAX_MULTIPLE = 1000.0  # an exit multiple of EBITDA ([x]); listed companies trade at 5-40x, tests use 250x


def nonneg(description: str, default: Any = ...) -> Any:
    """A number >= 0; an amount in INR crore at most :data:`MAX_INR_CR` and a multiple ([x]) at most
    :data:`MAX_MULTIPLE` (a typo guard: 1e20 crore is refused, not computed)."""
    if "[INR crore" in description:
        return Field(default, ge=0.0, le=MAX_INR_CR, description=description)
    if "[x]" in description:
        return Field(default, ge=0.0, le=MAX_MULTIPLE, description=description)
    return Field(default, ge=0.0, description=description)


def positive(description: str, default: Any = ...) -> Any:
    return Field(default, gt=0.0, description=description)


def fiscal_year(description: str, default: Any = ...) -> Any:
    """A fiscal year as a number: 2028 means FY28 (April 2027 to March 2028)."""
    return Field(default, ge=2000, le=2100, description=description, json_schema_extra={"unit": "FY"})

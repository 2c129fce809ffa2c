"""Plain numbers without sympy: the fast path that decides most answers.

`parse_number` reads a normalized string as an exact `Fraction` and says whether it was written
as a decimal, and to which place.

Tolerance policy (`numbers_equal`):
- both sides exact (integers, fractions): equal values only;
- a decimal against anything: relative tolerance `REL_TOL` (1e-6);
- a decimal against an exact value (an integer or a fraction) also matches when it is that value
  rounded to the places the decimal shows, and it shows at least `MIN_ROUNDED_DIGITS`
  significant digits: ``0.33`` and ``0.333`` are ``1/3``, ``2.6667`` is ``8/3``, but ``0.3`` is
  not ``1/3`` (too few digits to tell), and ``2.34`` is not ``7/3`` (2.333... rounds to 2.33).
  Irrational exact values (``\\pi``, ``\\sqrt{2}``) are compared by sympy with `REL_TOL` only.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

#: Relative tolerance for comparisons where at least one side is written as a decimal:
#: |a - b| <= REL_TOL * max(|a|, |b|). Both sides exact (integers, fractions) compare exactly.
REL_TOL = 1e-6
#: A decimal must show this many significant digits to match an exact fraction by rounding.
MIN_ROUNDED_DIGITS = 2

_INT = r"[+-]?\d+"
_DEC = r"[+-]?(?:\d+\.\d*|\.\d+|\d+)"
_DECIMAL_RE = re.compile(rf"({_DEC})(?:[eE]({_INT}))?")
_SCIENTIFIC_RE = re.compile(rf"({_DEC})?(?:\\times|\\cdot|\*|x)?10\^(?:\{{({_INT})\}}|({_INT}))")
_FRACTION_RE = re.compile(rf"({_INT})/({_INT})")
_LATEX_FRACTION_RE = re.compile(rf"([+-]?)\\frac\{{({_INT})\}}\{{({_INT})\}}")
_MIXED_RE = re.compile(rf"({_INT})\\frac\{{(\d+)\}}\{{(\d+)\}}")


class Number(NamedTuple):
    value: Fraction
    inexact: bool  # written with a decimal point or as a rounded scientific mantissa
    # Half a unit in the last place shown, for decimals with enough significant digits.
    half_unit: Fraction | None = None


def parse_number(s: str) -> Number | None:
    """Read `s` as a number, or None when it is anything else.

    >>> parse_number("0.25")
    Number(value=Fraction(1, 4), inexact=True, half_unit=Fraction(1, 200))
    >>> parse_number("-\\\\frac{3}{6}")
    Number(value=Fraction(-1, 2), inexact=False, half_unit=None)
    """
    s = s.strip()
    if s.startswith("{") and s.endswith("}"):
        s = s[1:-1]
    if len(s) > 200:
        return None
    try:
        return _parse(s)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def _parse(s: str) -> Number | None:
    if match := _DECIMAL_RE.fullmatch(s):
        mantissa, exponent = match.groups()
        if exponent is not None and abs(int(exponent)) > 400:
            return None
        value = Fraction(mantissa) * Fraction(10) ** int(exponent or 0)
        return Number(value, "." in mantissa, _half_unit(mantissa, int(exponent or 0)))
    if match := _SCIENTIFIC_RE.fullmatch(s):
        mantissa, braced, bare = match.groups()
        exponent = int(braced if braced is not None else bare)
        if abs(exponent) > 400:
            return None
        value = Fraction(mantissa or 1) * Fraction(10) ** exponent
        return Number(value, "." in (mantissa or ""), _half_unit(mantissa or "1", exponent))
    if match := _FRACTION_RE.fullmatch(s):
        return Number(Fraction(int(match.group(1)), int(match.group(2))), False)
    if match := _LATEX_FRACTION_RE.fullmatch(s):
        sign, num, den = match.groups()
        value = Fraction(int(num), int(den))
        return Number(-value if sign == "-" else value, False)
    if match := _MIXED_RE.fullmatch(s):
        # `2\frac{1}{2}` is the mixed number 5/2 (school convention), not 2 * 1/2.
        whole, num, den = match.groups()
        part = Fraction(int(num), int(den))
        value = int(whole) - part if whole.startswith("-") else int(whole) + part
        return Number(Fraction(value), False)
    return None


def _half_unit(mantissa: str, exponent: int) -> Fraction | None:
    """Half a unit in the last place of a decimal mantissa, or None (no point, or too few
    significant digits to stand for a rounded exact value)."""
    if "." not in mantissa:
        return None
    places = len(mantissa.split(".", 1)[1])
    significant = len(mantissa.replace("-", "").replace("+", "").replace(".", "").lstrip("0"))
    if places == 0 or significant < MIN_ROUNDED_DIGITS:
        return None
    return Fraction(1, 2) * Fraction(10) ** (exponent - places)


def numbers_equal(a: Number, b: Number) -> bool:
    """Exact equality, or within `REL_TOL` when either side was written as a decimal, or a
    decimal that is the other (exact) side rounded to the places it shows.

    >>> numbers_equal(parse_number("2.6667"), parse_number("8/3"))
    True
    >>> numbers_equal(parse_number("2.34"), parse_number("7/3"))
    False
    """
    if a.value == b.value:
        return True
    if not (a.inexact or b.inexact):
        return False
    for rounded, exact in ((a, b), (b, a)):
        half_unit = rounded.half_unit
        if (
            half_unit is not None
            and not exact.inexact
            and abs(rounded.value - exact.value) <= half_unit
        ):
            return True
    scale = max(abs(a.value), abs(b.value))
    return abs(a.value - b.value) <= Fraction(REL_TOL) * scale

"""Plain numbers without sympy: the fast path that decides most answers.

`parse_number` reads a normalized string as an exact `Fraction` and says whether it was written
as a decimal (then it is compared with `REL_TOL`, since a decimal is usually rounded).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

#: Relative tolerance for comparisons where at least one side is written as a decimal:
#: |a - b| <= REL_TOL * max(|a|, |b|). Both sides exact (integers, fractions) compare exactly.
REL_TOL = 1e-6

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


def parse_number(s: str) -> Number | None:
    """Read `s` as a number, or None when it is anything else.

    >>> parse_number("0.5")
    Number(value=Fraction(1, 2), inexact=True)
    >>> parse_number("-\\\\frac{3}{6}")
    Number(value=Fraction(-1, 2), inexact=False)
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
        return Number(value, "." in mantissa)
    if match := _SCIENTIFIC_RE.fullmatch(s):
        mantissa, braced, bare = match.groups()
        exponent = int(braced if braced is not None else bare)
        if abs(exponent) > 400:
            return None
        value = Fraction(mantissa or 1) * Fraction(10) ** exponent
        return Number(value, "." in (mantissa or ""))
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


def numbers_equal(a: Number, b: Number) -> bool:
    """Exact equality, or within `REL_TOL` when either side was written as a decimal."""
    if a.value == b.value:
        return True
    if not (a.inexact or b.inexact):
        return False
    scale = max(abs(a.value), abs(b.value))
    return abs(a.value - b.value) <= Fraction(REL_TOL) * scale

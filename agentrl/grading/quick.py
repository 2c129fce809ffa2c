"""The fast comparator: strings and plain numbers, no sympy. Answers None when unsure."""

from __future__ import annotations

import re

from agentrl.grading.numbers import numbers_equal, parse_number

_CHOICE_RE = re.compile(r"\(?([A-E])\)?")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z ]{2,}")
_LETTERS_RE = re.compile(r"[A-Za-z ]{2,}")
_RATIO_RE = re.compile(r"[^:]+(?::[^:]+)+")


class QuickComparator:
    """A `structure.LeafComparator` that decides equal strings and numbers only."""

    def equal(self, a: str, b: str) -> bool | None:
        if a == b:
            return True
        if _WORD_RE.fullmatch(a) and _WORD_RE.fullmatch(b):
            if a.lower() == b.lower():
                return True  # `Monday` vs `monday`; short names like `AB` stay case-sensitive
            if sorted(a.lower().replace(" ", "")) != sorted(b.lower().replace(" ", "")):
                # Read as words or as products of letters, these differ either way.
                return False
        choice_a, choice_b = _CHOICE_RE.fullmatch(a), _CHOICE_RE.fullmatch(b)
        if choice_a and choice_b:
            return choice_a.group(1) == choice_b.group(1)  # `(C)` vs `C`
        if _RATIO_RE.fullmatch(a) and _RATIO_RE.fullmatch(b):
            return _ratios_equal(a, b)
        number_a, number_b = parse_number(a), parse_number(b)
        if number_a is not None and number_b is not None:
            return numbers_equal(number_a, number_b)
        if (number_a is not None and _LETTERS_RE.fullmatch(b)) or (
            number_b is not None and _LETTERS_RE.fullmatch(a)
        ):
            return False  # a number is never a word or a product of letters
        return None

    def relation_equal(self, op: str, a: tuple[str, str], b: tuple[str, str]) -> bool | None:
        return None


def _ratios_equal(a: str, b: str) -> bool | None:
    """``7:32`` equals ``14:64``: ratios of numbers are equal when proportional."""
    terms_a = [parse_number(t) for t in a.split(":")]
    terms_b = [parse_number(t) for t in b.split(":")]
    if len(terms_a) != len(terms_b):
        return False
    if any(t is None for t in (*terms_a, *terms_b)):
        return None
    values_a = [t.value for t in terms_a if t is not None]
    values_b = [t.value for t in terms_b if t is not None]
    if values_a[0] == 0 or values_b[0] == 0:
        return values_a == values_b
    return all(x * values_b[0] == y * values_a[0] for x, y in zip(values_a, values_b))

"""The fast comparator: strings and plain numbers, no sympy. Answers None when unsure."""

from __future__ import annotations

import re

from agentrl.grading.numbers import numbers_equal, parse_number

_CHOICE_RE = re.compile(r"\(?([A-E])\)?")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z ]{2,}")
_LETTERS_RE = re.compile(r"[A-Za-z ]{2,}")


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

"""The sympy comparator: decides the scalars the fast path could not. Worker processes only.

Exact sides are equal when ``a - b`` is structurally zero, or ``simplify(a - b) == 0``, or (when
simplify cannot prove it) the difference vanishes at several random points to 30 digits. A
decimal on either side switches to numeric comparison with `numbers.REL_TOL`. Relations compare
their ``lhs - rhs`` differences: equations up to a nonzero constant factor, inequalities up to
a positive one.
"""

from __future__ import annotations

import random
from typing import Any

import sympy

from agentrl.grading.latex import LatexParseError, parse_latex
from agentrl.grading.numbers import REL_TOL
from agentrl.grading.quick import QuickComparator

_MAX_OPS = 400  # larger expressions skip simplify and are compared numerically only
_POINTS = 5


class SympyComparator:
    """A `structure.LeafComparator` that always answers (True or False)."""

    def __init__(self) -> None:
        self.quick = QuickComparator()
        self.notes: list[str] = []

    def equal(self, a: str, b: str) -> bool | None:
        quick = self.quick.equal(a, b)
        if quick is not None:
            return quick
        try:
            pa, pb = parse_latex(a), parse_latex(b)
        except (LatexParseError, TypeError, ValueError, ZeroDivisionError) as e:
            self.notes.append(f"cannot parse: {e}")
            return False
        inexact = pa.inexact or pb.inexact
        matrices = [isinstance(x, sympy.MatrixBase) for x in (pa.expr, pb.expr)]
        if any(matrices):
            if not all(matrices) or pa.expr.shape != pb.expr.shape:
                return False
            pairs = zip(pa.expr, pb.expr)  # entry by entry, row-major
            return all(expressions_equal(x, y, inexact=inexact) for x, y in pairs)
        return expressions_equal(pa.expr, pb.expr, inexact=inexact)

    def relation_equal(self, op: str, a: tuple[str, str], b: tuple[str, str]) -> bool | None:
        try:
            da = parse_latex(a[0]).expr - parse_latex(a[1]).expr
            db = parse_latex(b[0]).expr - parse_latex(b[1]).expr
        except (LatexParseError, TypeError, ValueError, ZeroDivisionError) as e:
            self.notes.append(f"cannot parse: {e}")
            return False
        if expressions_equal(da, db, inexact=False):
            return True
        if db == 0:
            return False
        ratio = sympy.simplify(da / db)
        if ratio.free_symbols or not ratio.is_number or ratio == 0:
            return False
        # `a < b` and `2a < 2b` say the same; `a < b` and `-a < -b` do not.
        return bool(ratio.is_positive) if op in ("<", "\\le") else bool(ratio.is_nonzero)


def expressions_equal(a: Any, b: Any, *, inexact: bool) -> bool:
    """Equality of two sympy expressions under the rules of the module docstring."""
    if a == b:
        return True
    if inexact:
        return _numerically_equal(a, b, rel_tol=REL_TOL)
    diff = a - b
    if diff == 0:
        return True
    if sympy.count_ops(diff) <= _MAX_OPS and sympy.simplify(diff) == 0:
        return True
    if not diff.free_symbols:
        if diff.is_Rational:
            return False  # the symbols cancelled and left a nonzero constant
        if a.free_symbols or b.free_symbols:
            return abs(sympy.N(diff, 60)) < 1e-40
        # Constants simplify could not reduce (nested radicals...): trust 50 digits.
        return _numerically_equal(a, b, rel_tol=1e-40)
    return _numerically_equal(a, b, rel_tol=1e-25)


def _numerically_equal(a: Any, b: Any, *, rel_tol: float) -> bool:
    """Equal at `_POINTS` random points (or once, for constants) within `rel_tol`."""
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(0)
    checked = 0
    for _ in range(_POINTS if symbols else 1):
        point = {s: sympy.Rational(rng.randint(101, 997), rng.randint(53, 211)) for s in symbols}
        exact = (a - b).subs(point)
        if exact.is_Rational:  # polynomials and rational functions: decide exactly
            if exact != 0:
                return False
            checked += 1
            continue
        va = sympy.N(a.subs(point), 50)
        vb = sympy.N(b.subs(point), 50)
        if not (va.is_number and vb.is_number) or va.has(sympy.nan, sympy.zoo):
            continue  # a singular point; try another
        if va.is_infinite or vb.is_infinite:
            if va != vb:
                return False
            checked += 1
            continue
        scale = max(abs(va), abs(vb))
        if abs(va - vb) > rel_tol * scale:
            return False
        checked += 1
    return checked > 0

"""The ``calculator`` tool: exact arithmetic, parsed by sympy, never by `eval` of raw text.

The expression is first checked token by token (numbers, operators, parentheses and a fixed list
of function and constant names; no attribute access, strings, brackets or other names), so what
reaches sympy's parser is arithmetic and nothing else. It is then parsed unevaluated, and powers,
factorials and exponentials whose result would have more than `MAX_DIGITS` digits are refused
before anything is computed. Evaluation runs in a helper process with a hard timeout.
"""

from __future__ import annotations

import io
import math
import tokenize
from typing import Any

from agentrl.errors import CalculatorError
from agentrl.tools.base import tool

from ._worker import Worker, WorkerError, WorkerTimeout

MAX_LENGTH = 1000
MAX_DIGITS = 4000  # below Python's 4300-digit int-to-str limit
TIMEOUT_S = 5.0
_CANONICAL = {"ln": "log", "abs": "Abs", "ceil": "ceiling", "mod": "Mod"}
_OPERATORS = {"+", "-", "*", "/", "**", "^", "(", ")", ",", "%", "//", "!"}
# fmt: off
_FUNCTIONS = (
    "sqrt", "cbrt", "root", "exp", "log", "ln", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "factorial", "binomial", "gcd", "lcm", "abs", "Abs", "floor",
    "ceiling", "ceil", "Mod", "mod", "Rational", "pi", "E", "e",
)
# fmt: on


def _check_tokens(expression: str) -> None:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(expression).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as e:
        raise CalculatorError(
            f"cannot read {expression!r}: unbalanced parentheses or {e}"
        ) from None
    for token in tokens:
        kind, text = token.type, token.string
        if kind in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER) or not text.strip():
            continue
        if kind == tokenize.NUMBER and "_" not in text:
            continue
        if kind == tokenize.NAME and text in _FUNCTIONS:
            continue
        if kind in (tokenize.OP, tokenize.ERRORTOKEN) and text in _OPERATORS:
            continue
        raise CalculatorError(
            f"{text!r} is not allowed in {expression!r}; use numbers, + - * / ^ % ! ( ) and "
            "functions such as sqrt, log, factorial, gcd"
        )


def _namespace() -> dict[str, Any]:
    import sympy

    names: dict[str, Any] = {
        name: getattr(sympy, name)
        for name in (
            "Integer",
            "Float",
            "Rational",
            "Symbol",
            "factorial",
            "sqrt",
            "cbrt",
            "root",
            "exp",
            "log",
            "sin",
            "cos",
            "tan",
            "asin",
            "acos",
            "atan",
            "sinh",
            "cosh",
            "tanh",
            "binomial",
            "gcd",
            "lcm",
            "Abs",
            "floor",
            "ceiling",
            "Mod",
            "pi",
            "E",
            "Add",
            "Mul",
            "Pow",
        )
    }
    names.update(ln=sympy.log, abs=sympy.Abs, ceil=sympy.ceiling, mod=sympy.Mod, e=sympy.E)
    return names


def _inert_namespace() -> dict[str, Any]:
    """The parser's names with every function left unapplied (sympy evaluates function calls
    even when parsing with evaluate=False, and ``9999999!`` must not be computed to be sized)."""
    import sympy

    names = _namespace()
    for name in _FUNCTIONS:
        if name not in ("pi", "E", "e"):
            names[name] = sympy.Function(_CANONICAL.get(name, name))
    names["factorial"] = sympy.Function("factorial")
    return names


def _parse(expression: str, evaluate: bool) -> Any:
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication,
        parse_expr,
        standard_transformations,
    )

    transformations = (*standard_transformations, implicit_multiplication, convert_xor)
    try:
        return parse_expr(
            expression,
            local_dict={},
            global_dict=_namespace() if evaluate else _inert_namespace(),
            transformations=transformations,
            evaluate=evaluate,
        )
    except (SyntaxError, TypeError, ValueError, AttributeError, NameError, ZeroDivisionError) as e:
        raise CalculatorError(f"cannot parse {expression!r}: {type(e).__name__}: {e}") from None


def _number(expr: Any, what: str) -> float:
    if _digits(expr) > 6:
        raise CalculatorError(f"{what} is too large")
    value = complex(expr.evalf(30))
    if value.imag:
        raise CalculatorError(f"{what} is not real")
    return value.real


def _digits(expr: Any) -> float:
    """An estimate of the digits needed to hold `expr`'s exact value (numerator + denominator).

    Floats count as 16: sympy keeps them at fixed precision, so their powers stay cheap.
    """
    import sympy

    if expr.is_Integer or expr.is_Rational:
        p, q = abs(int(expr.p)), int(expr.q)
        return (math.log10(p) if p else 0.0) + math.log10(q)
    if expr.is_Float:
        return 16.0
    if expr.is_Number or expr.is_NumberSymbol or expr is sympy.I:
        return 1.0
    name = type(expr).__name__
    if expr.is_Pow or name == "exp":
        base, exponent = (expr.base, expr.exp) if expr.is_Pow else (sympy.E, expr.args[0])
        if base.is_Float:
            return 16.0
        return abs(_number(exponent, "the exponent")) * _digits(base)
    if name in ("factorial", "binomial") and expr.args:
        n = abs(_number(expr.args[0], f"the {name}'s argument"))
        return n * math.log10(max(n, 2.0)) + 1.0
    sizes = [_digits(arg) for arg in expr.args]
    if expr.is_Add:
        return max(sizes) + math.log10(len(sizes))
    return sum(sizes)


def evaluate(expression: str) -> str:
    """The exact value of `expression`, with a decimal approximation when it is not rational."""
    import sympy

    if not isinstance(expression, str) or not expression.strip():
        raise CalculatorError("give an arithmetic expression, e.g. '2^10 / 3'")
    if len(expression) > MAX_LENGTH:
        raise CalculatorError(f"the expression has {len(expression)} characters; max {MAX_LENGTH}")
    expression = expression.strip()
    _check_tokens(expression)
    digits = _digits(_parse(expression, evaluate=False))
    if digits > MAX_DIGITS:
        raise CalculatorError(
            f"the result would have about {digits:.3g} digits; the calculator stops at {MAX_DIGITS}"
        )
    value = _parse(expression, evaluate=True)
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return "undefined (division by zero or an infinite result)"
    if value.free_symbols:
        raise CalculatorError(f"cannot evaluate {expression!r}")
    exact = str(value)
    if value.is_Rational and value.is_Integer:
        return exact
    approx = sympy.N(value, 15)
    if value.is_Rational:
        return f"{exact} ≈ {approx}"
    return exact if str(approx) == exact else f"{exact} ≈ {approx}"


_WORKER = Worker("agentrl.tools.calculator:evaluate")


@tool(name="calculator", timeout_s=TIMEOUT_S + 30.0, max_output_chars=4000, register=False)
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression exactly, e.g. ``(3 + 4^2) / 7`` or ``sqrt(8) * 10!``.

    Supports + - * / ^ (or **) % and !, parentheses, pi, e, sqrt, cbrt, root, exp, log/ln,
    trigonometric functions, factorial, binomial, gcd, lcm, abs, floor, ceil and mod.

    Args:
        expression: the arithmetic expression to evaluate.
    """
    try:
        return str(_WORKER.call(expression, timeout_s=TIMEOUT_S))
    except WorkerTimeout:
        return f"error: the calculation took longer than {TIMEOUT_S:g} s and was stopped"
    except WorkerError as e:
        return f"error: {e}"

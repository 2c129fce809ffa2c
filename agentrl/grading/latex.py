"""A small LaTeX math parser that builds sympy expressions directly (no ``eval``).

Runs only in grader worker processes. It reads what answers are written in: numbers (decimals
are kept exact as rationals; `Parsed.inexact` records that one appeared), letters and Greek
letters as symbols (``x_1`` and ``x_{12}`` too), ``e`` and ``i`` as the constants, ``\\pi``,
``\\infty``, ``+ - * / ^``, ``\\cdot``, ``\\times``, ``\\div``, implicit products (``2x``,
``2\\sqrt{2}``, ``x(y+1)``), ``\\frac``, ``\\sqrt[n]{}``, ``\\binom``, ``!``, ``|x|``,
``\\lfloor``/``\\lceil``, matrices (``\\begin{pmatrix}``, so sums and products of matrices
evaluate), and the usual functions (``\\sin^2 x``, ``\\log_2 8``, ``\\ln``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy

_TOKEN_RE = re.compile(r"\s*(\d+\.?\d*|\.\d+|\\[a-zA-Z]+|\\[{}|]|\S)")
_FUNCTIONS: dict[str, Any] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "cot": sympy.cot,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "ln": sympy.log,
    "log": sympy.log,
    "exp": sympy.exp,
    "det": lambda x: x,
}
_INVERSES: dict[str, Any] = {
    "sin": sympy.asin,
    "cos": sympy.acos,
    "tan": sympy.atan,
    "cot": sympy.acot,
    "sec": sympy.asec,
    "csc": sympy.acsc,
}
_GREEK = set(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "omicron",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Pi",
        "Sigma",
        "Phi",
        "Psi",
        "Omega",
        "hbar",
        "ell",
    ]
)
_ACCENTS = {"dot", "ddot", "hat", "bar", "vec", "tilde", "overline", "widehat", "mathcal"}
_MULTIPLY = {"*", "\\cdot", "\\times"}
_DIVIDE = {"/", "\\div"}


class LatexParseError(ValueError):
    """The text is not a math expression this parser understands."""


@dataclass
class Parsed:
    expr: Any
    inexact: bool


def parse_latex(text: str) -> Parsed:
    """Parse one scalar expression (no commas, no relations) into sympy."""
    parser = _Parser(_TOKEN_RE.findall(text))
    expr = parser.expression()
    if parser.pos != len(parser.tokens):
        raise LatexParseError(f"unexpected {parser.tokens[parser.pos]!r} in {text!r}")
    return Parsed(expr, parser.inexact)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.inexact = False
        self.abs_depth = 0

    # -- token helpers -------------------------------------------------------------------------
    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise LatexParseError(f"expected {expected or 'more input'}, got {token!r}")
        self.pos += 1
        return token

    def group(self) -> Any:
        """A ``{...}`` argument, or a single token used as one (``\\frac12``, ``x^2``)."""
        if self.peek() == "{":
            self.take("{")
            expr = self.expression()
            self.take("}")
            return expr
        return self.atom()

    # -- grammar -------------------------------------------------------------------------------
    def expression(self) -> Any:
        expr = self.term()
        while self.peek() in ("+", "-"):
            sign = self.take()
            right = self.term()
            expr = expr + right if sign == "+" else expr - right
        return expr

    def term(self) -> Any:
        expr = self.unary()
        while True:
            token = self.peek()
            if token in _MULTIPLY:
                self.take()
                expr = expr * self.unary()
            elif token in _DIVIDE:
                self.take()
                expr = expr / self.unary()
            elif self._starts_atom(token):
                expr = expr * self.power()
            else:
                return expr

    def unary(self) -> Any:
        if self.peek() == "-":
            self.take()
            return -self.unary()
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Any:
        base = self.postfix()
        if self.peek() == "^":
            self.take()
            if self.peek() == "-":
                self.take()
                return base ** (-self.group())
            return base ** self.group()
        return base

    def postfix(self) -> Any:
        expr = self.atom()
        while self.peek() in ("!", "'"):
            if self.take() == "!":
                expr = sympy.factorial(expr)
            else:
                expr = sympy.Symbol(str(expr) + "'")
        return expr

    def _starts_atom(self, token: str | None) -> bool:
        if token is None or token in ("}", ")", "]", "\\}", "\\rfloor", "\\rceil", "&", "\\end"):
            return False
        if token == "|":
            return self.abs_depth == 0
        return (
            token[0].isalnum()
            or token in ("(", "[", "{", ".")
            or (token.startswith("\\") and token != "\\")
        )

    def atom(self) -> Any:
        token = self.take()
        if token[0].isdigit() or token[0] == ".":
            self.inexact = self.inexact or "." in token
            return sympy.Rational(token)
        if token.isalpha():
            return self._symbol(token)
        if token in ("(", "[", "{"):
            expr = self.expression()
            self.take({"(": ")", "[": "]", "{": "}"}[token])
            return expr
        if token == "|":
            self.abs_depth += 1
            expr = self.expression()
            self.take("|")
            self.abs_depth -= 1
            return sympy.Abs(expr)
        if token.startswith("\\"):
            return self._command(token[1:])
        raise LatexParseError(f"unexpected {token!r}")

    def _symbol(self, name: str) -> Any:
        if self.peek() == "_":
            self.take()
            sub = self.take()
            if sub == "{":
                parts = []
                while self.peek() not in ("}", None):
                    parts.append(self.take())
                self.take("}")
                sub = "".join(parts)
            return sympy.Symbol(f"{name}_{sub}")
        if name == "e":
            return sympy.E
        if name == "i":
            return sympy.I
        return sympy.Symbol(name)

    def _command(self, name: str) -> Any:
        if name == "frac":
            numerator = self.group()
            return numerator / self.group()
        if name == "sqrt":
            index = None
            if self.peek() == "[":
                self.take()
                index = self.expression()
                self.take("]")
            radicand = self.group()
            return sympy.sqrt(radicand) if index is None else sympy.root(radicand, index)
        if name in ("binom", "dbinom", "tbinom"):
            n = self.group()
            return sympy.binomial(n, self.group())
        if name == "begin":
            return self._matrix()
        if name == "pi":
            return sympy.pi
        if name == "infty":
            return sympy.oo
        if name in ("lfloor", "lceil"):
            expr = self.expression()
            self.take("\\rfloor" if name == "lfloor" else "\\rceil")
            return sympy.floor(expr) if name == "lfloor" else sympy.ceiling(expr)
        if name in _FUNCTIONS:
            return self._function(name)
        if name in _GREEK:
            return self._symbol(name)
        if name in _ACCENTS:
            # `\dot{x}_0`, `\bar{z}`: a symbol of its own, named after the whole accent.
            return self._symbol(f"{name}({self.group()})")
        raise LatexParseError(f"unknown command \\{name}")

    def _environment_name(self) -> str:
        self.take("{")
        parts = []
        while self.peek() not in ("}", None):
            parts.append(self.take())
        self.take("}")
        return "".join(parts)

    def _matrix(self) -> Any:
        """``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` as a sympy Matrix."""
        name = self._environment_name()
        if not name.endswith("matrix"):
            raise LatexParseError(f"unknown environment {name!r}")
        rows: list[list[Any]] = [[]]
        while self.peek() != "\\end":
            token = self.peek()
            if token is None:
                raise LatexParseError("matrix without \\end")
            if token == "\\":  # `\\\\` (two tokens) ends a row
                self.take()
                self.take("\\")
                rows.append([])
            elif token == "&":
                self.take()
            else:
                rows[-1].append(self.expression())
        self.take("\\end")
        self._environment_name()
        rows = [row for row in rows if row]
        if not rows or any(len(row) != len(rows[0]) for row in rows):
            raise LatexParseError("matrix rows of different lengths")
        return sympy.Matrix(rows)

    def _function(self, name: str) -> Any:
        base = None
        if name == "log" and self.peek() == "_":
            self.take()
            token = self.peek() or ""
            if len(token) > 1 and token.isdigit():
                # `\log_28` (spaces squeezed out of `\log_2 8`): LaTeX takes one digit.
                self.tokens[self.pos] = token[1:]
                base = sympy.Integer(token[0])
            else:
                base = self.group()
        exponent = None
        if self.peek() == "^":
            self.take()
            exponent = self.group()
        if self.peek() in ("(", "{"):
            argument = self.atom()
        else:
            # `\sin 2x` is sin(2x): the argument runs over numbers and letters.
            argument = self.power()
            while self.peek() is not None and (self.peek() or " ")[0].isalnum():
                argument = argument * self.power()
        if exponent == -1 and name in _INVERSES:
            return _INVERSES[name](argument)  # `\\sin^{-1} x` is arcsin, not 1/sin
        value = _FUNCTIONS[name](argument) if base is None else sympy.log(argument, base)
        return value if exponent is None else value**exponent

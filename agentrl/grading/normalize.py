"""Rewrite an answer string into a canonical LaTeX-ish form, without sympy.

Both the prediction and the gold go through `normalize`, so any rewrite here only has to be
consistent, not perfect. What it does, in order: drops math delimiters and sizing commands
(``$``, ``\\(``, ``\\left``, ``\\displaystyle``), spacing commands (``\\,``, ``\\!``, ``~``),
unwraps ``\\text{}``-like commands, spells ``\\dfrac``/``\\tfrac`` as ``\\frac`` and braces their
arguments (``\\frac12``), drops degree marks, percent and dollar signs, trailing unit words
(``5 cm``, ``12 dollars``; only after a number, so ``Monday`` stays ``Monday``), thousands
separators of a lone number (``1,000``), trailing punctuation, and whitespace.
"""

from __future__ import annotations

import re
from fractions import Fraction

# Commands whose braced argument is plain text or a font change; the argument is kept.
_UNWRAP = (
    "text",
    "textbf",
    "textit",
    "textrm",
    "textnormal",
    "mbox",
    "mathrm",
    "mathbf",
    "mathit",
    "mathsf",
    "mathtt",
    "mathnormal",
    "boldsymbol",
    "operatorname",
    "boxed",
    "fbox",
)
_UNWRAP_RE = re.compile(r"\\(?:" + "|".join(_UNWRAP) + r")\s*\{")

# Units dropped after a number: `5 cm`, `12\\text{ cm}^2`, `15000 kcal m^{-2} yr^{-1}`.
# One-letter units (`5 m`) need a space before them, or another unit: `2m` is a product.
_UNITS = (
    "square units|sq units|units?|square|sq|cubic|"
    "cm|mm|km|nm|um|meters?|metres?|inch(?:es)?|in|feet|foot|ft|yards?|yd|miles?|mi|"
    "kg|grams?|mg|pounds?|lbs?|ounces?|oz|liters?|litres?|ml|gallons?|"
    "dollars?|cents?|euros?|percentage|percent|pct|degrees?|deg|radians?|rad|"
    "seconds?|sec|minutes?|min|hours?|hrs?|days?|weeks?|months?|years?|yrs?|mph|kph|"
    "hz|khz|mhz|ghz|hertz|ev|kev|mev|gev|erg|ergs|joules?|kj|cal|kcal|watts?|volts?|"
    "newtons?|pa|kpa|atm|mol|kelvin|pc|kpc|mpc|au|"
    "people|persons?|students?|apples?|marbles?|cookies?|pages?|points?|ways?|times"
)
_SINGLE_UNITS = "m|g|s|h|l|L|K|J|W|N|V"
_EXPONENT = r"(?:\s*\^\s*\{?\s*-?\d\s*\}?)?"
_UNIT_RE = re.compile(
    rf"(?:(?<=[\d}}).])\s*(?:{_UNITS})|(?<=[\d}}).])\s+(?:{_SINGLE_UNITS})|\s+(?:{_UNITS})){_EXPONENT}"
    rf"(?:\s*(?:/|\\cdot|\s)\s*(?:{_UNITS}|{_SINGLE_UNITS}){_EXPONENT})*\s*$",
    re.IGNORECASE,
)
_THOUSANDS_RE = re.compile(r"-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")

_REPLACEMENTS = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\leqslant", "\\le"),
    ("\\geqslant", "\\ge"),
    ("\\leq", "\\le"),
    ("\\geq", "\\ge"),
    ("\\neq", "\\ne"),
    ("≤", "\\le "),
    ("≥", "\\ge "),
    ("≠", "\\ne "),
    ("−", "-"),
    ("×", "\\times "),
    ("·", "\\cdot "),
    ("π", "\\pi "),
    ("∞", "\\infty "),
    ("√", "\\sqrt"),
    ("\\lbrace", "\\{"),
    ("\\rbrace", "\\}"),
    ("\\lvert", "|"),
    ("\\rvert", "|"),
    ("\\vert", "|"),
    ("\\mid", "|"),
    ("\\colon", ":"),
    (">=", "\\ge "),  # ASCII relations
    ("=<", "\\le "),
    ("<=", "\\le "),
    ("!=", "\\ne "),
    ("\\approx", "\\approx "),
)
# `1{,}000` / `14 {, }916`: LaTeX's thousands separator.
_BRACED_COMMA_RE = re.compile(r"\{\s*,\s*\}")
# `\\frac` written with its backslash escaped twice (JSON or a Python repr pasted as is).
_DOUBLED_BACKSLASH_RE = re.compile(r"(?<!\\)\\\\(?=[a-zA-Z])")
_LT_GT_RE = re.compile(r"\\([lg])t(?![a-zA-Z])")
_ARRAY_RE = re.compile(r"\\begin\{array\}\s*\{[^{}]*\}|\\end\{array\}")
# `(11,7)or(7,11)`: a list of bracketed answers joined by a word.
_GLUED_OR_RE = re.compile(r"(?<=[)\]])\s*(?:or|and)\s*(?=[(\[])")
# Degree marks, percent and dollar signs, and spacing that carries no meaning.
_DROP_RE = re.compile(
    r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree|\\%|%|\\\$|\$|"
    r"\\displaystyle|\\(?:left|right|big|Big|bigg|Bigg)[lr]?(?![a-zA-Z])|\\[!,;:]"
)
_PRIMES_RE = re.compile(r"\^\s*\{\s*(?:\\prime\s*)+\}|\^\s*\\prime|\\prime")
_TRIG_RE = re.compile(r"\\(?:sin|cos|tan|cot|sec|csc)(?![a-z])")
_DEGREES_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°)")
_REPEATING_RE = re.compile(r"(-?)(\d*)\.(\d*)\\overline\{(\d+)\}")
_SPACE_RE = re.compile(r"(?<!\\)\\ |~|\\q?quad")
_DELIMITERS_RE = re.compile(r"^\\\(|\\\)$|^\\\[|\\\]$")


def normalize(text: str) -> str:
    """The canonical form of one answer string (see the module docstring).

    >>> normalize(r"$\\dfrac12$ ")
    '\\\\frac{1}{2}'
    >>> normalize(r"\\text{1,000 dollars}.")
    '1000'
    """
    s = str(text).strip()
    s = _DELIMITERS_RE.sub("", s)
    if "\\begin{" not in s:  # inside a matrix `\\\\` ends a row
        s = _DOUBLED_BACKSLASH_RE.sub(r"\\", s)
    s = _BRACED_COMMA_RE.sub("", s)
    s = re.sub(r"(?<=\d),\\!\s*(?=\d{3})", ",", s)  # `11,\! 111`: a typeset thousands comma
    s = _LT_GT_RE.sub(lambda m: "<" if m.group(1) == "l" else ">", s)
    s = _ARRAY_RE.sub(lambda m: "\\end{pmatrix}" if "end" in m.group(0) else "\\begin{pmatrix}", s)
    for old, new in _REPLACEMENTS:
        s = s.replace(old, new)
    s = _PRIMES_RE.sub(lambda m: "'" * m.group(0).count("\\prime"), s)  # `x^{\\prime}` -> `x'`
    s = _unwrap_commands(s)
    s = re.sub(r"\s+(?:and|or)\s+", ",", s)  # `1 \text{ and } 2` is a list
    s = _GLUED_OR_RE.sub(",", s)
    s = _trig_degrees(s)
    s = _DROP_RE.sub("", s)
    s = _REPEATING_RE.sub(_repeating_to_fraction, s)
    s = s.replace("\\left.", "").replace("\\right.", "")
    s = _SPACE_RE.sub(" ", s)
    s = _brace_short_arguments(s)
    s = _strip_trailing(s)
    s = _strip_units(s)
    s = re.sub(r"(?<=\d)\s*'{1,2}$", "", s)  # arc minutes/seconds, feet/inches: units too
    # `1,000` is one thousand, but `32, 349` (a space after the comma) is a list of two.
    thousands = _THOUSANDS_RE.fullmatch(s.strip()) is not None
    s = _squeeze_spaces(s)
    s = re.sub(r"(?:\\text\{\s*\}|\{\})+$", "", s)
    if thousands or (_THOUSANDS_RE.fullmatch(s) and " " not in text):
        s = s.replace(",", "")
    return s


def _trig_degrees(s: str) -> str:
    """Inside trigonometry a degree mark is a unit to convert: ``\\cos 60^\\circ`` is cos(pi/3).
    Elsewhere it is dropped (``90^\\circ`` equals ``90``)."""
    if not _TRIG_RE.search(s):
        return s
    return _DEGREES_RE.sub(r"(\1\\pi/180)", s)


def _repeating_to_fraction(match: re.Match[str]) -> str:
    """``0.1\\overline{6}`` -> ``\\frac{1}{6}``: a repeating decimal is an exact fraction."""
    sign, whole, fixed, repeat = match.groups()
    value = Fraction(int(whole or 0)) + (Fraction(int(fixed), 10 ** len(fixed)) if fixed else 0)
    value += Fraction(int(repeat), (10 ** len(repeat) - 1) * 10 ** len(fixed))
    value = -value if sign else value
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _unwrap_commands(s: str) -> str:
    """``\\text{ cm}`` -> `` cm``: keep the argument, drop the command and its braces."""
    while (match := _UNWRAP_RE.search(s)) is not None:
        end = _matching_brace(s, match.end() - 1)
        if end is None:
            return s[: match.start()] + s[match.end() :]
        s = s[: match.start()] + " " + s[match.end() : end] + " " + s[end + 1 :]
    return s


def _matching_brace(s: str, open_pos: int) -> int | None:
    """Index of the ``}`` that closes the ``{`` at `open_pos`, ignoring escaped braces."""
    depth = 0
    for i in range(open_pos, len(s)):
        if s[i] == "{" and s[i - 1] != "\\":
            depth += 1
        elif s[i] == "}" and s[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i
    return None


def _brace_short_arguments(s: str) -> str:
    """Brace one-token arguments: ``\\frac12`` -> ``\\frac{1}{2}``, ``\\sqrt2`` -> ``\\sqrt{2}``."""
    arg = r"\s*(\\[a-zA-Z]+|[0-9a-zA-Z])"
    s = re.sub(r"\\frac" + arg + arg, r"\\frac{\1}{\2}", s)
    s = re.sub(r"\\frac(\{[^{}]*\})" + arg, r"\\frac\1{\2}", s)
    s = re.sub(r"\\frac" + arg + r"\s*(\{)", r"\\frac{\1}\2", s)
    return re.sub(r"\\sqrt" + arg, r"\\sqrt{\1}", s)


def _strip_trailing(s: str) -> str:
    """Trailing sentence punctuation (`5.`, `x=3;`) is not part of the answer."""
    s = s.strip()
    while s and (s[-1] in ",;:" or (s[-1] == "." and not re.search(r"\d\.$", s[-3:]))):
        s = s[:-1].rstrip()
    if re.fullmatch(r"-?\d+\.", s):
        s = s[:-1]  # `42.` at the end of a sentence
    return s


def _strip_units(s: str) -> str:
    """Drop unit words that follow a number or a closing group: `12 cm^2` -> `12`."""
    for _ in range(3):  # `5 square feet`, `3 cm per second` stop after a few words
        stripped = _UNIT_RE.sub("", s)
        if stripped == s or not stripped.strip():
            break
        s = _strip_trailing(stripped)
    return s


def _squeeze_spaces(s: str) -> str:
    """Remove whitespace, except between a command and a following letter (`\\pi r`) and
    between two words (`New York`)."""
    parts = s.split()
    out = parts[0] if parts else ""
    for part in parts[1:]:
        glue = re.search(r"(\\[a-zA-Z]+|[a-zA-Z]{2,})$", out) and part[0].isalpha()
        out += (" " if glue else "") + part
    return out

"""The shape of an answer: a scalar, a tuple or interval, a set, a union, or a relation.

`parse` splits a normalized answer at its top level (respecting brackets); `compare` walks two
shapes and asks a `LeafComparator` about the scalars. The same walk runs twice: in the caller's
process with a string/number comparator that may answer "don't know" (None), and, only then,
in a worker process with the sympy comparator.

Rules (each has a case in tests/grading/test_cases.py):
- ``(a, b)`` / ``[a, b)``: ordered; the brackets must match too, so ``(0,1]`` != ``[0,1]``.
  A tuple and an open interval are written alike and compare alike.
- ``\\{a, b\\}`` and a bare list ``a, b``: unordered (a multiset). A one-element set equals
  its element.
- ``A \\cup B``: unordered union.
- ``\\begin{pmatrix}..\\end{pmatrix}``: rows and columns in order; a column or row vector
  equals the tuple of its entries.
- A one-variable inequality equals its interval: ``x<3`` is ``(-\\infty,3)``, ``0<x\\le 1``
  is ``(0,1]``.
- ``a \\pm b`` is the set {a+b, a-b}.
- Relations: ``y=2x+1`` equals ``2x+1=y``; ``x<3`` equals ``3>x``. ``x=3`` equals ``3`` (a bare
  variable on the left is a label); ``x \\in [0,1]`` equals ``[0,1]``.
- Labels are names without numbers: ``f(x)``, ``(p,q)``, ``S_{MBCN}:S``, ``\\frac{NO}{BO}``,
  ``|AB|``. ``5 \\times 6 = 30`` (no letters on either side) states ``30``.
- A chain ``z = 1+1 = 2`` is ``z = 2`` (``2`` when the left side is no name).
  ``x = 1/3 \\approx 0.33`` is ``x = 1/3``; ``x \\approx 11`` is ``11``.
- ``;`` separates items like ``,``: ``-12;-11``, ``(0;-2;6)``, ``p=5,q=2;p=7,q=2``.
- A list of labelled equations compared with values: one name (``x=1, x=2``) gives the set of
  values; distinct names (a system, ``p=5, q=2``) give the tuple ``(5, 2)``.
- ``{1,2}`` with unescaped braces is a set too. A list that repeats an item equals the list
  without the repeat.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Protocol

_OPENERS = ("\\{", "(", "[", "{")
_CLOSERS = ("\\}", ")", "]", "}")
_RELATIONS = ("\\le", "\\ge", "\\ne", "\\lt", "\\gt", "<", ">", "=")
_FLIP = {"\\ge": "\\le", ">": "<", "\\gt": "<", "\\lt": "<", "\\le": "\\le", "<": "<"}
_LABEL_RE = re.compile(r"[A-Za-z](?:_\{?\w+\}?|\([a-z]\))?|\\[a-zA-Z]+|[A-Za-z][A-Za-z ]*")
# A name standing for the answer: letters, subscripts and notation but no number of its own
# (`S_{MBCN}:S`, `\frac{NO}{BO}`, `|AB|`, `V_{1}:V_{2}`, `(p,q)`).
_SUBSCRIPT_RE = re.compile(r"_\{[^{}]*\}|_\w")
_NAME_RE = re.compile(r"(?:[A-Za-z(),:|{}^'\s/]|\\(?:frac|angle|overline|vec|hat|bar)(?![a-z]))+")
_CONSTANTS = frozenset(("e", "i", "\\pi", "\\infty"))
# One matrix, nothing around it: `\\begin{pmatrix}..\\end{pmatrix}+\\begin{pmatrix}..` is a sum.
_MATRIX_RE = re.compile(
    r"\\begin\{[pbvBV]?matrix\}((?:(?!\\begin\{|\\end\{).)*)\\end\{[pbvBV]?matrix\}", re.DOTALL
)


@dataclass(frozen=True)
class Node:
    """kind: "leaf" (text), "seq" (brackets in `text`, e.g. "(]"), "set", "union", "matrix",
    or "rel" (operators in `ops`, one fewer than `items`)."""

    kind: str
    text: str = ""
    items: tuple[Node, ...] = ()
    ops: tuple[str, ...] = ()


class LeafComparator(Protocol):
    def equal(self, a: str, b: str) -> bool | None:
        """Whether two scalars are equal; None when this comparator cannot tell."""

    def relation_equal(self, op: str, a: tuple[str, str], b: tuple[str, str]) -> bool | None:
        """Whether ``a[0] op a[1]`` and ``b[0] op b[1]`` say the same; None if unsure."""


_BRACKET = r"\\\{|\\\}|[(\[{)\]}]"
_BRACKET_RE = re.compile(_BRACKET)


@functools.lru_cache(maxsize=16)
def _splitter(seps: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(x) for x in sorted(seps, key=len, reverse=True))
    return re.compile(f"{_BRACKET}|{alternatives}")


def split_top(s: str, seps: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split `s` at separators outside brackets; returns (parts, separators found)."""
    if not any(sep in s for sep in seps):
        return [s], []
    parts, found, depth, start = [], [], 0, 0
    for match in _splitter(seps).finditer(s):
        token = match.group()
        if token in _OPENERS:
            depth += 1
        elif token in _CLOSERS:
            depth -= 1
        elif depth == 0 and not (token[0] == "\\" and s[match.end() : match.end() + 1].isalpha()):
            parts.append(s[start : match.start()])
            found.append(token)
            start = match.end()
    parts.append(s[start:])
    return parts, found


def _wrapped(s: str) -> tuple[str, str] | None:
    """The (opener, closer) when one bracket pair encloses all of `s`."""
    opener = next((o for o in _OPENERS if s.startswith(o)), None)
    closer = next((c for c in _CLOSERS if s.endswith(c)), None)
    if not opener or not closer or len(s) < len(opener) + len(closer):
        return None
    depth = 0
    for match in _BRACKET_RE.finditer(s, 0, len(s) - len(closer)):
        depth += 1 if match.group() in _OPENERS else -1
        if depth == 0:
            return None  # the first bracket closes before the end: `(1)(2)`
    return opener, closer


def parse(s: str) -> Node:
    """The shape of a normalized answer string."""
    s = s.strip()
    if (matrix := _MATRIX_RE.fullmatch(s)) is not None:
        rows = [r for r in re.split(r"\\\\", matrix.group(1)) if r.strip()]
        cells = tuple(Node("seq", "[]", tuple(parse(c) for c in row.split("&"))) for row in rows)
        return Node("matrix", items=cells)
    parts, _ = split_top(s, ("\\cup",))
    if len(parts) > 1:
        return Node("union", items=tuple(parse(p) for p in parts))
    parts, _ = split_top(s, (";",))  # `p=5,q=2;p=7,q=2`, `-12;-11;-10`
    if len(parts) > 1 and all(p.strip() for p in parts):
        return Node("set", items=tuple(parse(p) for p in parts))
    parts, _ = split_top(s, (",",))
    if len(parts) > 1:
        return Node("set", items=tuple(parse(p) for p in parts))
    parts, _ = split_top(s, ("\\approx",))
    if len(parts) > 1 and all(p.strip() for p in parts):
        # `x = 1/3 \approx 0.33`: the exact value is the answer; `x \approx 11`: the value.
        return parse(parts[-1] if is_label(parts[0].strip()) else parts[0])
    parts, ops = split_top(s, _RELATIONS)
    if len(parts) > 1 and all(p.strip() for p in parts):
        if len(ops) > 1 and all(op == "=" for op in ops):
            # `z = 1 + 1 = 2`: a chain of equalities states its last value.
            keep = [parts[0], parts[-1]] if is_label(parts[0].strip()) else [parts[-1]]
            if len(keep) == 1:
                return parse(keep[0])
            parts, ops = keep, ["="]
        return Node("rel", items=tuple(parse(p) for p in parts), ops=tuple(ops))
    in_parts, _ = split_top(s, ("\\in",))
    if len(in_parts) == 2 and is_label(in_parts[0].strip()):
        return parse(in_parts[1])
    wrap = _wrapped(s)
    if wrap is not None:
        opener, closer = wrap
        inner = s[len(opener) : len(s) - len(closer)]
        items, _ = split_top(inner, (",", ";"))  # `(0;-2;6)` is a triple
        if (opener, closer) in (("\\{", "\\}"), ("{", "}")) and (opener == "\\{" or len(items) > 1):
            return Node("set", items=tuple(parse(p) for p in items if p.strip()))
        if len(items) > 1:
            return Node("seq", opener + closer, tuple(parse(p) for p in items))
        if opener + closer in ("()", "{}", "[]"):
            return parse(inner)
    pm, _ = split_top(s, ("\\pm",))
    if len(pm) == 2:
        return _plus_minus(*pm)
    return Node("leaf", s)


def _plus_minus(a: str, b: str) -> Node:
    """``a \\pm b`` is the two-element set {a+b, a-b}."""
    if len(split_top(b, ("+", "-"))[0]) > 1:
        b = "(" + b + ")"
    return Node("set", items=(parse(f"{a}+{b}" if a else b), parse(f"{a}-{b}")))


def _orient(node: Node) -> Node:
    """Write `a > b` as `b < a`, so equivalent relations share operators."""
    if node.ops and all(op in ("\\ge", ">", "\\gt") for op in node.ops):
        return Node("rel", items=node.items[::-1], ops=tuple(_FLIP[o] for o in node.ops[::-1]))
    return Node("rel", items=node.items, ops=tuple(_FLIP.get(o, o) for o in node.ops))


def is_label(text: str) -> bool:
    """Whether `text` names the answer rather than computes it: ``x``, ``f(x)``, ``(p,q)``,
    ``S_{MBCN}:S``, ``\\frac{NO}{BO}``, ``|AB|`` (letters and notation, no number, no constant)."""
    if _LABEL_RE.fullmatch(text):
        return True
    bare = _SUBSCRIPT_RE.sub("", text)
    return (
        len(text) <= 40
        and _NAME_RE.fullmatch(bare) is not None
        and any(c.isalpha() for c in bare)
        and bare.strip() not in _CONSTANTS
    )


def _label_text(node: Node) -> str | None:
    """The text of `node` when it is a name (a leaf, or a tuple of names like ``(p,q)``)."""
    if node.kind == "leaf":
        return node.text if is_label(node.text) else None
    if node.kind == "seq" and all(_label_text(item) is not None for item in node.items):
        return node.text + ",".join(item.text for item in node.items)
    return None


def _unlabel(node: Node) -> Node:
    """``x = 3`` -> ``3`` when the left side is a name: the name only labels the answer.
    ``5 \\times 6 = 30`` -> ``30`` too: arithmetic without letters states its result."""
    if node.kind != "rel" or node.ops != ("=",):
        return node
    left = node.items[0]
    if _label_text(left) is not None:
        return node.items[1]
    right = node.items[1]
    if left.kind == right.kind == "leaf" and not (_letters(left.text) or _letters(right.text)):
        return right

    return node


def _letters(text: str) -> bool:
    """Whether `text` has a letter outside LaTeX command names."""
    return re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", text)) is not None


def _as_values(node: Node, other: Node) -> Node:
    """A list of labelled equations read as the values it gives, when compared with values:
    ``x=1, x=2`` is the set {1, 2}; ``p=5, q=2`` (a system) is the tuple (5, 2)."""
    if node.kind != "set" or len(node.items) < 2 or other.kind == "rel":
        return node
    labels = []
    for item in node.items:
        if item.kind != "rel" or item.ops != ("=",) or _label_text(item.items[0]) is None:
            return node
        labels.append(item.items[0].text)
    values = tuple(item.items[1] for item in node.items)
    if other.kind == "seq" and len(set(labels)) == len(labels):
        return Node("seq", "()", values)
    if other.kind == "set" and any(item.kind == "rel" for item in other.items):
        return node  # equations against equations: compared as such
    return Node("set", items=values)


def _matrix_text(node: Node) -> str | None:
    """A matrix node written back as LaTeX (None when a cell is not a plain value)."""
    rows = []
    for row in node.items:
        if any(cell.kind != "leaf" for cell in row.items):
            return None
        rows.append("&".join(cell.text for cell in row.items))
    return "\\begin{pmatrix}" + "\\\\".join(rows) + "\\end{pmatrix}"


def _as_tuple(node: Node, other_kind: str) -> Node:
    """A one-column (or one-row) matrix read as a tuple, when compared with a tuple."""
    if node.kind != "matrix" or other_kind != "seq":
        return node
    if all(len(row.items) == 1 for row in node.items):
        return Node("seq", "()", tuple(row.items[0] for row in node.items))
    if len(node.items) == 1:
        return Node("seq", "()", node.items[0].items)
    return node


def _as_interval(node: Node, other_kind: str) -> Node:
    """``x<3`` -> ``(-\\infty,3)``, ``0<x\\le 1`` -> ``(0,1]``, when compared with an interval."""
    if node.kind != "rel" or other_kind not in ("seq", "union"):
        return node
    rel = _orient(node)
    if any(op not in ("<", "\\le") for op in rel.ops) or len(rel.items) not in (3, 2):
        return node
    texts = [item.text if item.kind == "leaf" else "" for item in rel.items]
    if len(texts) == 3 and is_label(texts[1]):
        low, high, ops = texts[0], texts[2], rel.ops
    elif len(texts) == 2 and is_label(texts[0]):
        low, high, ops = "-\\infty", texts[1], ("<", *rel.ops)
    elif len(texts) == 2 and is_label(texts[1]):
        low, high, ops = texts[0], "\\infty", (*rel.ops, "<")
    else:
        return node
    brackets = ("(" if ops[0] == "<" else "[") + (")" if ops[1] == "<" else "]")
    return Node("seq", brackets, (Node("leaf", low), Node("leaf", high)))


def compare(a: Node, b: Node, leaf: LeafComparator) -> bool | None:
    """Whether two shapes are equal; None when `leaf` could not decide some scalar."""
    a, b = _as_values(a, b), _as_values(b, a)
    if a.kind == "rel" and b.kind != "rel":
        a = _unlabel(a)
    if b.kind == "rel" and a.kind != "rel":
        b = _unlabel(b)
    if a.kind == "set" and len(a.items) == 1 and b.kind != "set":
        a = a.items[0]
    if b.kind == "set" and len(b.items) == 1 and a.kind != "set":
        b = b.items[0]
    for x, y in ((a, b), (b, a)):
        if x.kind == "matrix" and y.kind == "leaf" and "\\begin{" in y.text:
            # Matrix arithmetic (`A + B`, `AB`) is evaluated by the sympy comparator.
            text = _matrix_text(x)
            return leaf.equal(text, y.text) if text is not None else False
    a, b = _as_tuple(a, b.kind), _as_tuple(b, a.kind)
    a, b = _as_interval(a, b.kind), _as_interval(b, a.kind)
    if a.kind != b.kind:
        return False
    if a.kind == "leaf":
        return leaf.equal(a.text, b.text)
    if a.kind == "rel":
        return _compare_relations(_orient(a), _orient(b), leaf)
    if a.kind in ("set", "union"):
        return _compare_unordered(a.items, b.items, leaf)
    if a.text != b.text or len(a.items) != len(b.items):
        return False  # different brackets or lengths
    return _all_equal(list(zip(a.items, b.items)), leaf)


def _all_equal(pairs: list[tuple[Node, Node]], leaf: LeafComparator) -> bool | None:
    unsure = False
    for x, y in pairs:
        result = compare(x, y, leaf)
        if result is False:
            return False
        unsure = unsure or result is None
    return None if unsure else True


def _compare_unordered(
    a: tuple[Node, ...], b: tuple[Node, ...], leaf: LeafComparator
) -> bool | None:
    """Multiset equality by greedy matching; None if some pairing stayed undecided. Lists of
    different lengths are equal as sets when each item of either has an equal in the other
    (an answer listed twice is still one answer)."""
    if len(a) != len(b):
        return _covers(a, b, leaf) if len(set(a)) < len(a) or len(set(b)) < len(b) else False
    remaining = list(b)
    unsure = False
    for x in a:
        results = [compare(x, y, leaf) for y in remaining]
        if True in results:
            remaining.pop(results.index(True))
        elif None in results:
            unsure = True
        else:
            return False
    return None if unsure else True


def _covers(a: tuple[Node, ...], b: tuple[Node, ...], leaf: LeafComparator) -> bool | None:
    unsure = False
    for xs, ys in ((a, b), (b, a)):
        for x in xs:
            results = [compare(x, y, leaf) for y in ys]
            if True not in results:
                if None not in results:
                    return False
                unsure = True
    return None if unsure else True


def _compare_relations(a: Node, b: Node, leaf: LeafComparator) -> bool | None:
    if a.ops != b.ops:
        return False
    if _all_equal(list(zip(a.items, b.items)), leaf):
        return True
    if (
        len(a.ops) == 1
        and a.ops[0] in ("=", "\\ne")
        and _all_equal(list(zip(a.items, b.items[::-1])), leaf)
    ):
        return True
    if len(a.ops) != 1 or any(n.kind != "leaf" for n in (*a.items, *b.items)):
        return _all_equal(list(zip(a.items, b.items)), leaf)
    sides_a = (a.items[0].text, a.items[1].text)
    sides_b = (b.items[0].text, b.items[1].text)
    return leaf.relation_equal(a.ops[0], sides_a, sides_b)

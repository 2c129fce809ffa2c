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
_MATRIX_RE = re.compile(r"\\begin\{[pbvBV]?matrix\}(.*)\\end\{[pbvBV]?matrix\}", re.DOTALL)


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
    parts, _ = split_top(s, (",",))
    if len(parts) > 1:
        return Node("set", items=tuple(parse(p) for p in parts))
    parts, ops = split_top(s, _RELATIONS)
    if len(parts) > 1 and all(p.strip() for p in parts):
        return Node("rel", items=tuple(parse(p) for p in parts), ops=tuple(ops))
    in_parts, _ = split_top(s, ("\\in",))
    if len(in_parts) == 2 and _LABEL_RE.fullmatch(in_parts[0].strip()):
        return parse(in_parts[1])
    wrap = _wrapped(s)
    if wrap is not None:
        opener, closer = wrap
        inner = s[len(opener) : len(s) - len(closer)]
        items, _ = split_top(inner, (",",))
        if opener == "\\{" and closer == "\\}":
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


def _unlabel(node: Node) -> Node:
    """``x = 3`` -> ``3`` when the left side is a bare name: the name only labels the answer."""
    if (
        node.kind == "rel"
        and node.ops == ("=",)
        and node.items[0].kind == "leaf"
        and _LABEL_RE.fullmatch(node.items[0].text)
    ):
        return node.items[1]
    return node


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
    if len(texts) == 3 and _LABEL_RE.fullmatch(texts[1]):
        low, high, ops = texts[0], texts[2], rel.ops
    elif len(texts) == 2 and _LABEL_RE.fullmatch(texts[0]):
        low, high, ops = "-\\infty", texts[1], ("<", *rel.ops)
    elif len(texts) == 2 and _LABEL_RE.fullmatch(texts[1]):
        low, high, ops = texts[0], "\\infty", (*rel.ops, "<")
    else:
        return node
    brackets = ("(" if ops[0] == "<" else "[") + (")" if ops[1] == "<" else "]")
    return Node("seq", brackets, (Node("leaf", low), Node("leaf", high)))


def compare(a: Node, b: Node, leaf: LeafComparator) -> bool | None:
    """Whether two shapes are equal; None when `leaf` could not decide some scalar."""
    if a.kind == "rel" and b.kind != "rel":
        a = _unlabel(a)
    if b.kind == "rel" and a.kind != "rel":
        b = _unlabel(b)
    if a.kind == "set" and len(a.items) == 1 and b.kind != "set":
        a = a.items[0]
    if b.kind == "set" and len(b.items) == 1 and a.kind != "set":
        b = b.items[0]
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
    """Multiset equality by greedy matching; None if some pairing stayed undecided."""
    if len(a) != len(b):
        return False
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

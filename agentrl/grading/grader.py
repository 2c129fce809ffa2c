"""`grade`: extract, normalize, compare; sympy only when strings and numbers cannot decide."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agentrl.errors import ConfigError, GradingError
from agentrl.grading.extract import extract_answer, final_boxes, looks_like_solution
from agentrl.grading.normalize import normalize
from agentrl.grading.numbers import REL_TOL, parse_number
from agentrl.grading.pool import WorkerPool, default_pool
from agentrl.grading.quick import QuickComparator
from agentrl.grading.structure import Node, compare, parse

#: Bumped whenever a verdict could change; store it next to graded results.
GRADER_VERSION = "agentrl-math-2.0"
DEFAULT_TIMEOUT = 5.0

Verdict = Literal["correct", "wrong", "unparseable", "timeout"]
Gold = str | int | float | Sequence[str | int | float]

# Longer extracted answers are not compared (the longest gold in DeepScaleR's sets is 204).
MAX_ANSWER_CHARS = 2000
# Deeper bracket nesting skips the in-process structural pass (it would be quadratic).
_MAX_FAST_DEPTH = 40
# A power whose result would have more digits than this is not worth evaluating.
_MAX_POWER_DIGITS = 100_000
_MAX_FACTORIAL = 20_000
_POWER_RE = re.compile(r"(\d+)\s*\^\s*(?:\{\s*(\d+)\s*\}|(\d+))")
_FACTORIAL_RE = re.compile(r"(\d+)\s*!")
# `1000,99` / `2,74`: a decimal comma, read as such only against a single-number answer.
_DECIMAL_COMMA_RE = re.compile(r"-?\d+,\d+")


@dataclass(frozen=True)
class Grade:
    """The verdict on one response.

    Attributes:
        verdict: "correct", "wrong", "unparseable" (no answer found in the response) or
            "timeout" (sympy ran out of time or memory; neither right nor wrong).
        reason: a short human explanation.
        predicted: the extracted, normalized answer ("" when none).
        gold: the normalized gold answer (alternatives joined with " | ").
    """

    verdict: Verdict
    reason: str
    predicted: str
    gold: str

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"


def grade(
    response: str, gold: Gold, *, timeout: float = DEFAULT_TIMEOUT, pool: WorkerPool | None = None
) -> Grade:
    """Grade a model response against one gold answer or a list of acceptable ones.

    Args:
        response: the model's text; its final answer is found as `agentrl.grading.extract`
            says (boxes first; several final boxes form one answer when the gold has several
            items).
        gold: the gold answer, or a list of alternatives (Minerva-style); correct if any matches.
        timeout: seconds sympy may spend on this call, in total over the alternatives.
        pool: worker pool for sympy (default: a shared pool of 2 processes).

    Raises:
        GradingError: the gold answer is missing or empty.
        ConfigError: `timeout` is not a positive number.

    >>> grade(r"so the answer is \\boxed{\\dfrac{1}{2}}", "0.5").verdict
    'correct'
    """
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise ConfigError(f"got timeout={timeout!r}, need a number of seconds > 0")
    golds = _gold_list(gold)
    gold_text = " | ".join(golds)
    raw = extract_answer(response) if isinstance(response, str) else None
    if raw is not None and len(raw) <= MAX_ANSWER_CHARS:
        raw = _join_boxes(response, raw, golds[0])
    if raw is not None and len(raw) > MAX_ANSWER_CHARS:
        reason = f"answer has {len(raw)} characters; the grader compares up to {MAX_ANSWER_CHARS}"
        return Grade("timeout", reason, raw[:80] + "...", gold_text)
    predicted = normalize(raw) if raw is not None else ""
    if not predicted:
        return Grade("unparseable", "no final answer found in the response", "", gold_text)
    if predicted in golds:
        return Grade("correct", "matches the gold answer", predicted, predicted)
    if _depth(predicted) > _MAX_FAST_DEPTH:
        return _grade_with_sympy(predicted, golds, gold_text, timeout, pool or default_pool())
    pred_tree = parse(predicted)
    undecided = []
    for g in golds:
        if _DECIMAL_COMMA_RE.fullmatch(predicted) and parse_number(g) is not None:
            pred_tree = parse(predicted.replace(",", "."))  # `1000,99` against `1000.99`
        elif _DECIMAL_COMMA_RE.fullmatch(g) and parse_number(predicted) is not None:
            g = g.replace(",", ".")
        else:
            pred_tree = parse(predicted)
        quick = compare(pred_tree, parse(g), QuickComparator())
        if quick:
            return Grade("correct", "matches the gold answer", predicted, g)
        if quick is None:
            undecided.append(g)
    if not undecided:
        return Grade("wrong", explain(pred_tree, parse(golds[0])), predicted, gold_text)
    return _grade_with_sympy(predicted, undecided, gold_text, timeout, pool or default_pool())


def _grade_with_sympy(
    predicted: str, golds: list[str], gold_text: str, timeout: float, pool: WorkerPool
) -> Grade:
    deadline = time.monotonic() + timeout
    timeout_reason, last_reason = "", "not equivalent"
    for g in golds:
        explosive = prescreen(predicted) or prescreen(g)
        if explosive:
            timeout_reason = f"not evaluated: {explosive}"
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timeout_reason = timeout_reason or f"grading budget of {timeout:g}s spent"
            break
        reply = pool.run(predicted, g, remaining)
        if reply["verdict"] == "correct":
            return Grade("correct", reply["reason"], predicted, g)
        if reply["verdict"] == "timeout":
            timeout_reason = reply["reason"]
        last_reason = reply["reason"]
    if timeout_reason:
        return Grade("timeout", timeout_reason, predicted, gold_text)
    return Grade("wrong", last_reason, predicted, gold_text)


_KINDS = {
    "leaf": "a single value",
    "seq": "a tuple or interval",
    "set": "a set or list",
    "union": "a union",
    "matrix": "a matrix",
    "rel": "an equation or inequality",
}


def explain(pred: Node, gold: Node) -> str:
    """A short reason why the fast path found `pred` and `gold` different."""
    if pred.kind != gold.kind:
        return f"{_KINDS[pred.kind]}, but the gold is {_KINDS[gold.kind]}"
    if pred.kind == "seq" and pred.text != gold.text:
        return f"brackets {pred.text} differ from the gold's {gold.text}"
    if pred.items and len(pred.items) != len(gold.items):
        return f"{len(pred.items)} items, but the gold has {len(gold.items)}"
    if pred.ops != gold.ops:
        return "different relation"
    a, b = parse_number(pred.text), parse_number(gold.text)
    if pred.kind == "leaf" and a is not None and b is not None:
        if a.inexact or b.inexact:
            scale = max(abs(a.value), abs(b.value))
            relative = float(abs(a.value - b.value) / scale)
            return f"relative difference {relative:.1e} exceeds the tolerance {REL_TOL:g}"
        return "a different exact value"
    return "differs from the gold answer"


def _join_boxes(response: str, raw: str, gold: str) -> str:
    """Several final boxes (``\\boxed{1}, \\boxed{2}``) are one answer when the gold has
    several items: a tuple when the gold is one, else a list. Otherwise the last box counts."""
    boxes = final_boxes(response)
    if len(boxes) < 2 or raw != boxes[-1] or _depth(gold) > _MAX_FAST_DEPTH:
        return raw
    shape = parse(gold)
    if shape.kind == "seq":
        return "(" + ", ".join(boxes) + ")"
    if shape.kind in ("set", "union") and len(shape.items) > 1:
        return ", ".join(boxes)
    return raw


def _gold_text(text: str) -> str:
    """A gold answer as written, or the final answer of a gold that is a worked solution."""
    if not looks_like_solution(text):
        return text
    boxes = list(dict.fromkeys(final_boxes(text)))  # the same box twice is one answer
    if len(boxes) > 1:
        return ", ".join(boxes)  # `\boxed{1} and \boxed{-2}`: the gold lists two answers
    answer = extract_answer(text)
    return answer if answer is not None else text


def _gold_list(gold: Gold) -> list[str]:
    if gold is None:
        raise GradingError("gold answer is None; nothing to grade against")
    items = [gold] if isinstance(gold, str | int | float) else list(gold)
    golds = []
    for item in items:
        if isinstance(item, float) and item.is_integer():
            item = int(item)  # JSON numbers such as AMC's `142.0`
        text = str(item) if item is not None else ""
        text = normalize(_gold_text(text)) or normalize(text)
        if text:
            golds.append(text)
    if not golds:
        raise GradingError(f"gold answer {gold!r} is empty; nothing to grade against")
    return golds


def _depth(s: str) -> int:
    """Maximum bracket nesting depth of `s`."""
    depth = deepest = 0
    for char in s:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def prescreen(s: str) -> str | None:
    """Why `s` is too big to hand to sympy (giant powers, towers, factorials), or None."""
    for match in _FACTORIAL_RE.finditer(s):
        if len(match.group(1)) > 6 or int(match.group(1)) > _MAX_FACTORIAL:
            return f"factorial of {match.group(1)} is too large"
    for _ in range(10):
        power = _POWER_RE.search(s)
        if power is None:
            return None
        base, exponent = int(power.group(1)[:50]), power.group(2) or power.group(3)
        nested = s[: power.start()].count("^{") > s[: power.start()].count("}")
        digits = math.inf if len(exponent) > 12 else int(exponent) * math.log10(max(base, 2))
        if (nested and digits > 6) or digits > _MAX_POWER_DIGITS:
            return f"power {power.group(0)!r} has too many digits"
        # Replace a small power by its value so an enclosing power can be checked too.
        value = str(base ** int(exponent)) if nested else "0"
        s = s[: power.start()] + value + s[power.end() :]
    return None

"""`countdown-v0`: reach a target number from given numbers, each used at most once.

The agent answers with an arithmetic expression (``+ - * /`` and parentheses) in ``\\boxed{}``
(or ``<answer>...</answer>``). The expression is parsed with `ast` and evaluated exactly with
fractions, never with `eval`. Reward 1 when it uses only the given numbers, each at most once,
and equals the target; else 0. ``info["reward_components"]`` also reports ``valid_expression``
(weight 0: a metric, not trained on).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from agentrl.env import Env, Task, Turn
from agentrl.errors import ConfigError
from agentrl.messages import Message
from agentrl.rewards import Rubric

_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_MAX_EXPRESSION_CHARS = 200


class ExpressionError(ValueError):
    """The text is not an allowed countdown expression."""


def evaluate(expression: str) -> tuple[Fraction, list[int]]:
    """Exact value of an arithmetic expression and the integers it uses.

    Only integer literals, ``+ - * /`` and parentheses are allowed.

    Raises:
        ExpressionError: anything else (names, calls, powers, floats, division by zero, ...).
    """
    if len(expression) > _MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression longer than {_MAX_EXPRESSION_CHARS} characters")
    text = (
        expression.replace("×", "*").replace("÷", "/").replace("\\times", "*").replace("\\div", "/")
    )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not an arithmetic expression: {expression!r}") from e
    used: list[int] = []
    return _value(tree.body, used), used


def _value(node: ast.AST, used: list[int]) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        used.append(node.value)
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _value(node.left, used), _value(node.right, used)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise ExpressionError("division by zero")
        return left / right
    raise ExpressionError(f"{type(node).__name__} is not allowed; use integers, + - * / and ( )")


def extract_expression(text: str) -> str | None:
    """The last ``\\boxed{...}`` or ``<answer>...</answer>`` in `text`, or None."""
    boxed = _BOXED.findall(text)
    tagged = _ANSWER_TAG.findall(text)
    candidates = [*tagged, *boxed]
    if not candidates:
        return None
    last = max(candidates, key=lambda c: text.rfind(c))
    # "3 + 4 = 7" is a common way to answer; the expression is left of "=".
    return last.split("=")[0].strip()


def verdict(text: str, numbers: list[int], target: int) -> str:
    """ "correct", "wrong value", "numbers not allowed", "invalid" or "no answer"."""
    expression = extract_expression(text)
    if expression is None:
        return "no answer"
    try:
        value, used = evaluate(expression)
    except ExpressionError:
        return "invalid"
    if Counter(used) - Counter(numbers):
        return "numbers not allowed"
    return "correct" if value == target else "wrong value"


class ReachesTarget:
    """Reward: 1 if the answer is an allowed expression equal to the target, else 0."""

    name = "correct"
    reward_range = (0.0, 1.0)

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        meta = task["metadata"]
        return float(verdict(completion, meta["numbers"], meta["target"]) == "correct")


class ValidExpression:
    """Metric: 1 if the answer parses as an arithmetic expression (whatever its value)."""

    name = "valid_expression"
    reward_range = (0.0, 1.0)

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        expression = extract_expression(completion)
        if expression is None:
            return 0.0
        try:
            evaluate(expression)
        except ExpressionError:
            return 0.0
        return 1.0


class CountdownEnv(Env):
    """Make the target from the given numbers; reward 1 for a valid expression that hits it.

    Args:
        num_numbers: how many numbers are given (2-6).
        max_number: the numbers are drawn from 1..max_number.
    """

    reward_range = (0.0, 1.0)

    def __init__(
        self, num_numbers: int = 4, max_number: int = 50, *, render_mode: str | None = None
    ) -> None:
        if not 2 <= num_numbers <= 6:
            raise ConfigError(f"got num_numbers={num_numbers}, need 2 <= num_numbers <= 6")
        if max_number < 2:
            raise ConfigError(f"got max_number={max_number}, need >= 2")
        super().__init__(max_turns=1, render_mode=render_mode)
        self.num_numbers = num_numbers
        self.max_number = max_number
        self.numbers: list[int] = []
        self.rubric = Rubric([ReachesTarget(), ValidExpression()], weights=[1.0, 0.0])
        self.target = 0

    def _reset(self, options: dict[str, Any]) -> tuple[list[Message], Task]:
        numbers, target, solution = make_puzzle(self.np_random, self.num_numbers, self.max_number)
        self.numbers, self.target = numbers, target
        prompt = (
            f"Using the numbers {numbers}, each at most once, and + - * / with parentheses, "
            f"write an expression that equals {target}. Give the expression in \\boxed{{}}, "
            f"for example \\boxed{{(1 + 2) * 3}}."
        )
        task = Task(
            f"countdown/{'-'.join(map(str, numbers))}/{target}",
            prompt,
            str(target),
            solution,
            metadata={"numbers": list(numbers), "target": target},
        )
        return [{"role": "user", "content": prompt}], task

    def _step(self, action: str) -> Turn:
        task = self.task.to_dict() if self.task else {}
        result = self.rubric(action, task)
        return Turn([], result.total, True, result.components, {"verdict": self.check(action)})

    def check(self, text: str) -> str:
        """The verdict on `text` for the current puzzle (see `verdict`)."""
        return verdict(text, self.numbers, self.target)

    def oracle_action(self) -> str | None:
        if self.task is None or self.done:
            return None
        return self.task.solution


def make_puzzle(
    rng: np.random.Generator, count: int, max_number: int
) -> tuple[list[int], int, str]:
    """Numbers, a reachable positive integer target, and a worked solution using all numbers.

    The target comes from folding the shuffled numbers with random operations, keeping every
    intermediate a positive integer so that the worked solution reads naturally.
    """
    numbers = [int(n) for n in rng.integers(1, max_number + 1, size=count)]
    order = [int(i) for i in rng.permutation(count)]
    value = numbers[order[0]]
    expression = str(value)
    steps = []
    for index in order[1:]:
        n = numbers[index]
        op = _pick_op(rng, value, n)
        new_value = {"+": value + n, "-": value - n, "*": value * n, "/": value // max(n, 1)}[op]
        steps.append(f"{value} {op} {n} = {new_value}.")
        expression = (
            f"({expression}) {op} {n}"
            if op in "*/" and " " in expression
            else f"{expression} {op} {n}"
        )
        value = new_value
    solution = " ".join(steps) + f" \\boxed{{{expression}}}"
    return numbers, value, solution


def _pick_op(rng: np.random.Generator, value: int, n: int) -> str:
    options = ["+", "*"] if value * n <= 1000 else ["+"]
    if value - n > 0:
        options.append("-")
    if n > 1 and value % n == 0:
        options.append("/")
    return str(rng.choice(options))

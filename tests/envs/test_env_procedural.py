from __future__ import annotations

import ast
import operator
import re
from fractions import Fraction

import numpy as np
import pytest

from agentrl.envs.procedural import DIFFICULTIES, KINDS, ProblemMix, arithmetic, generate
from agentrl.errors import ConfigError


def _value(answer: str) -> Fraction:
    return Fraction(answer)


def _evaluate(expression: str) -> Fraction:
    """Exact value of + - * / arithmetic with parentheses and unary minus (no eval)."""
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
    ops[ast.Div] = operator.truediv

    def value(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return Fraction(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        assert isinstance(node, ast.BinOp), ast.dump(node)
        return ops[type(node.op)](value(node.left), value(node.right))

    return value(ast.parse(expression, mode="eval").body)


def _check_arithmetic_steps(solution: str) -> None:
    # Every "a op b = c." step in a worked solution must be true.
    for a, op, b, c in re.findall(r"(-?\d+) ([-+*]) (\d+) = (-?\d+)\.", solution):
        expected = {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}[op]
        assert expected == int(c), f"wrong step {a} {op} {b} = {c} in {solution!r}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_solutions_end_in_the_boxed_answer_and_their_steps_are_true(kind, difficulty):
    rng = np.random.default_rng(difficulty)
    for _ in range(30):
        p = generate(kind, difficulty, rng)
        assert p.kind == kind and p.difficulty == difficulty
        assert p.solution.endswith(f"\\boxed{{{p.answer}}}")
        assert len(p.solution) < 200, "solutions stay short for a tiny model"
        _value(p.answer)  # an exact integer or fraction
        assert _evaluate(p.expression) == _value(p.answer), p.expression
        _check_arithmetic_steps(p.solution)


def test_answers_are_exact_by_independent_computation():
    rng = np.random.default_rng(7)
    for _ in range(50):
        p = generate("arithmetic", 2, rng)
        expression = p.question.removeprefix("What is ").removesuffix("?")
        total = 0
        for sign, number in re.findall(r"([-+]?)\s*(\d+)", expression):
            total += -int(number) if sign == "-" else int(number)
        assert str(total) == p.answer
        f = generate("fractions", 3, rng)
        terms = re.findall(r"([-+]?)\s*(\d+)/(\d+)", f.question)
        value = sum((-1 if s == "-" else 1) * Fraction(int(n), int(d)) for s, n, d in terms)
        assert Fraction(f.answer) == value
        lin = generate("linear", 3, rng)
        a, b, c, d = _linear_coefficients(lin.question)
        x = Fraction(lin.answer)
        assert a * x + b == c * x + d
        pct = generate("percentage", 2, rng)
        p_, base = map(int, re.findall(r"\d+", pct.question))
        assert Fraction(p_ * base, 100) == Fraction(pct.answer)


def _linear_coefficients(question: str) -> tuple[int, int, int, int]:
    lhs, rhs = question.removeprefix("Solve for x: ").rstrip(".").split(" = ")

    def side(text: str) -> tuple[int, int]:
        m = re.fullmatch(r"(\d*)x(?: ([-+]) (\d+))?", text)
        if m is None:
            return 0, int(text)
        coefficient = int(m.group(1) or 1)
        constant = int(m.group(3) or 0) * (-1 if m.group(2) == "-" else 1)
        return coefficient, constant

    (a, b), (c, d) = side(lhs), side(rhs)
    return a, b, c, d


def test_same_seed_same_problems_and_seeds_differ():
    def batch(seed):
        rng = np.random.default_rng(seed)
        return [generate(k, 2, rng) for k in KINDS for _ in range(3)]

    assert batch(1) == batch(1)
    assert batch(1) != batch(2)
    assert generate("word", 1, 5) == generate("word", 1, np.random.default_rng(5))


def test_arithmetic_controls_terms_and_digits():
    p = arithmetic(np.random.default_rng(0), n_terms=5, digits=3)
    numbers = re.findall(r"\d+", p.question)
    assert len(numbers) == 5 and all(100 <= int(n) <= 999 for n in numbers)
    assert p.solution.count("=") == 4


def test_mix_draws_only_requested_kinds_and_difficulties_with_weights():
    mix = ProblemMix({"word": 3.0, "linear": 1.0}, difficulties=[3])
    rng = np.random.default_rng(0)
    problems = [mix.sample(rng) for _ in range(400)]
    assert {p.kind for p in problems} == {"word", "linear"}
    assert {p.difficulty for p in problems} == {3}
    share = sum(p.kind == "word" for p in problems) / len(problems)
    assert 0.65 < share < 0.85


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: generate("calculus", 1, 0), "kind='calculus'"),
        (lambda: generate("word", 4, 0), "difficulty=4"),
        (lambda: ProblemMix(["word", "poetry"]), "poetry"),
        (lambda: ProblemMix({"word": -1.0}), "weight -1.0"),
        (lambda: ProblemMix([]), "at least one"),
        (lambda: arithmetic(np.random.default_rng(0), n_terms=1, digits=2), "n_terms=1"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ConfigError, match=match):
        call()

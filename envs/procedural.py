"""Seeded generators of math problems with exact answers and short worked solutions.

Every problem comes with a step-by-step solution in one regular style, ending in the boxed
answer, so a tiny model can be SFT'd on them before RL::

    What is 12 + 35 - 8?
    12 + 35 = 47. 47 - 8 = 39. \\boxed{39}

Kinds: ``arithmetic``, ``addsub`` (two terms of `difficulty` digits), ``fractions``, ``linear``,
``percentage``, ``word``; difficulty 1 (easy)
to 3 (hard). Everything is a pure function of the random generator, so the same seed gives the
same problems.

    >>> import numpy as np
    >>> from agentrl.envs.procedural import generate
    >>> p = generate("arithmetic", 1, np.random.default_rng(0))
    >>> p.solution.endswith("\\\\boxed{" + p.answer + "}")
    True
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from agentrl.errors import ConfigError

DIFFICULTIES = (1, 2, 3)


@dataclass(frozen=True)
class Problem:
    """A generated problem.

    Attributes:
        kind: which generator made it.
        difficulty: 1 to 3.
        question: the problem statement.
        answer: the exact answer as text (an integer or a reduced fraction ``a/b``).
        solution: the worked solution, ending in ``\\boxed{answer}``.
        expression: one arithmetic expression (``+ - * /``, parentheses) whose value is the
            answer, e.g. for a calculator tool call in a tool-use demonstration.
    """

    kind: str
    difficulty: int
    question: str
    answer: str
    solution: str
    expression: str = ""

    @property
    def id(self) -> str:
        digest = hashlib.sha1(self.question.encode()).hexdigest()[:10]
        return f"procedural/{self.kind}/d{self.difficulty}/{digest}"


def _boxed(steps: Sequence[str], answer: str) -> str:
    return " ".join(steps) + f" \\boxed{{{answer}}}"


def _signed(n: int) -> tuple[str, int]:
    """(' + ', n) or (' - ', |n|): how a term is written after the first."""
    return (" - ", -n) if n < 0 else (" + ", n)


# -- arithmetic ---------------------------------------------------------------------------------
def arithmetic(rng: np.random.Generator, n_terms: int, digits: int) -> Problem:
    """A sum of `n_terms` integers of up to `digits` digits, with + and -, evaluated left to right.

    Its difficulty is recorded as ``min(3, max(1, n_terms - 1))``.
    """
    if n_terms < 2:
        raise ConfigError(f"got n_terms={n_terms}, need >= 2")
    if not 1 <= digits <= 9:
        raise ConfigError(f"got digits={digits}, need 1 <= digits <= 9")
    low, high = (1 if digits == 1 else 10 ** (digits - 1)), 10**digits
    terms = [int(rng.integers(low, high)) for _ in range(n_terms)]
    signs = [1] + [int(rng.choice([1, -1])) for _ in range(n_terms - 1)]
    expression = str(terms[0])
    total = terms[0]
    steps = []
    for term, sign in zip(terms[1:], signs[1:]):
        op = "+" if sign > 0 else "-"
        new_total = total + sign * term
        steps.append(f"{total} {op} {term} = {new_total}.")
        expression += f" {op} {term}"
        total = new_total
    difficulty = min(3, max(1, n_terms - 1))
    question = f"What is {expression}?"
    return Problem(
        "arithmetic", difficulty, question, str(total), _boxed(steps, str(total)), expression
    )


def _arithmetic(rng: np.random.Generator, difficulty: int) -> Problem:
    return arithmetic(rng, n_terms=difficulty + 1, digits=difficulty)


def _addsub(rng: np.random.Generator, difficulty: int) -> Problem:
    """One addition or subtraction of two `difficulty`-digit numbers: the embedded default's
    task, hard enough for a tiny model to be partly right after a small warm-start."""
    problem = arithmetic(rng, n_terms=2, digits=difficulty)
    return dataclasses.replace(problem, kind="addsub", difficulty=difficulty)


# -- fractions ----------------------------------------------------------------------------------
def _fraction_text(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _fractions(rng: np.random.Generator, difficulty: int) -> Problem:
    max_den = (4, 8, 12)[difficulty - 1]
    n_terms = 3 if difficulty == 3 else 2
    if difficulty == 1:  # one shared denominator
        den = int(rng.integers(2, max_den + 1))
        dens = [den] * n_terms
    else:
        dens = [int(rng.integers(2, max_den + 1)) for _ in range(n_terms)]
    terms = [Fraction(int(rng.integers(1, d)), d) for d in dens]
    signs = [1] + [int(rng.choice([1, -1])) if difficulty > 1 else 1 for _ in terms[1:]]
    ops = ["+" if s > 0 else "-" for s in signs[1:]]
    raw = [f"{t.numerator}/{t.denominator}" for t in terms]
    question = "What is " + raw[0] + "".join(f" {o} {r}" for o, r in zip(ops, raw[1:])) + "?"
    common = math.lcm(*dens)
    scaled = [t.numerator * (common // t.denominator) for t in terms]
    numerator = scaled[0] + sum(s * n for s, n in zip(signs[1:], scaled[1:]))
    result = Fraction(numerator, common)
    lhs = f"{scaled[0]}/{common}" + "".join(f" {o} {n}/{common}" for o, n in zip(ops, scaled[1:]))
    chain = [" ".join([raw[0], *[f"{o} {r}" for o, r in zip(ops, raw[1:])]])]
    if lhs != chain[0]:
        chain.append(lhs)
    chain.append(f"{numerator}/{common}")
    answer = _fraction_text(result)
    if answer != chain[-1]:
        chain.append(answer)
    solution = _boxed([" = ".join(chain) + "."], answer)
    return Problem("fractions", difficulty, question, answer, solution, chain[0])


# -- linear equations ---------------------------------------------------------------------------
def _linear(rng: np.random.Generator, difficulty: int) -> Problem:
    x = int(rng.integers(-9, 10)) if difficulty > 1 else int(rng.integers(1, 20))
    if difficulty == 1:  # x + b = c
        b = int(rng.integers(1, 20))
        c = x + b
        question = f"Solve for x: x + {b} = {c}."
        steps = [f"x = {c} - {b} = {x}."]
        expression = f"{c} - {b}"
    elif difficulty == 2:  # a x + b = c
        a = int(rng.integers(2, 10))
        op, b = _signed(int(rng.choice([-1, 1])) * int(rng.integers(1, 20)))
        signed_b = b if op == " + " else -b
        c = a * x + signed_b
        question = f"Solve for x: {a}x{op}{b} = {c}."
        undo = "-" if op == " + " else "+"
        steps = [f"{a}x = {c} {undo} {b} = {c - signed_b}.", f"x = {c - signed_b} / {a} = {x}."]
        expression = f"({c} {undo} {b}) / {a}"
    else:  # a x + b = c x + d, a > c
        c = int(rng.integers(1, 6))
        a = c + int(rng.integers(1, 6))
        b = int(rng.integers(-20, 21))
        d = (a - c) * x + b
        question = f"Solve for x: {a}x{_term(b)} = {c}x{_term(d)}."
        steps = [
            f"{a}x - {c}x = {d}{_term(-b)}.",
            f"{a - c}x = {d - b}.",
            f"x = {d - b} / {a - c} = {x}.",
        ]
        if a - c == 1:
            steps = [*steps[:2], f"x = {x}."]
        expression = f"({d} - ({b})) / ({a} - {c})"
    return Problem("linear", difficulty, question, str(x), _boxed(steps, str(x)), expression)


def _term(n: int) -> str:
    """' + n', ' - |n|' or '' for zero: a constant written after a term."""
    if n == 0:
        return ""
    op, value = _signed(n)
    return f"{op}{value}"


# -- percentages --------------------------------------------------------------------------------
def _percentage(rng: np.random.Generator, difficulty: int) -> Problem:
    if difficulty == 1:
        pct = int(rng.choice([10, 20, 25, 50]))
        base = int(rng.integers(1, 21)) * 20
    else:
        pct = int(rng.integers(1, 20)) * 5
        base = int(rng.integers(1, 31)) * 20
    part = pct * base // 100
    if difficulty < 3:
        question = f"What is {pct}% of {base}?"
        steps = [f"{pct}% of {base} = {pct} * {base} / 100 = {part}."]
        answer = part
        expression = f"{pct} * {base} / 100"
    else:
        up = bool(rng.integers(2))
        answer = base + part if up else base - part
        verb = "increased" if up else "decreased"
        question = f"What is {base} {verb} by {pct}%?"
        op = "+" if up else "-"
        steps = [
            f"{pct}% of {base} = {pct} * {base} / 100 = {part}.",
            f"{base} {op} {part} = {answer}.",
        ]
        expression = f"{base} {op} {pct} * {base} / 100"
    solution = _boxed(steps, str(answer))
    return Problem("percentage", difficulty, question, str(answer), solution, expression)


# -- word problems ------------------------------------------------------------------------------
_NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ivan", "Jo")
_ITEMS = ("apples", "books", "cards", "coins", "marbles", "pencils", "stamps", "shells")


def _word(rng: np.random.Generator, difficulty: int) -> Problem:
    name = str(rng.choice(_NAMES))
    item = str(rng.choice(_ITEMS))
    start = int(rng.integers(5, 10 * difficulty + 20))
    if difficulty == 1:
        more = int(rng.integers(2, 20))
        total = start + more
        question = (
            f"{name} has {start} {item} and gets {more} more. How many {item} does {name} have now?"
        )
        steps = [f"{start} + {more} = {total}."]
        expression = f"{start} + {more}"
    elif difficulty == 2:
        more = int(rng.integers(2, 30))
        given = int(rng.integers(1, start + more))
        total = start + more - given
        question = (
            f"{name} has {start} {item}, buys {more} more and gives away {given}. "
            f"How many {item} does {name} have now?"
        )
        steps = [f"{start} + {more} = {start + more}.", f"{start + more} - {given} = {total}."]
        expression = f"{start} + {more} - {given}"
    else:
        packs, per_pack = int(rng.integers(2, 10)), int(rng.integers(3, 13))
        bought = packs * per_pack
        given = int(rng.integers(1, start + bought))
        total = start + bought - given
        question = (
            f"{name} has {start} {item} and buys {packs} packs of {per_pack} {item}. "
            f"Then {name} gives away {given}. How many {item} does {name} have now?"
        )
        steps = [
            f"{packs} * {per_pack} = {bought}.",
            f"{start} + {bought} = {start + bought}.",
            f"{start + bought} - {given} = {total}.",
        ]
        expression = f"{start} + {packs} * {per_pack} - {given}"
    return Problem("word", difficulty, question, str(total), _boxed(steps, str(total)), expression)


GENERATORS: dict[str, Callable[[np.random.Generator, int], Problem]] = {
    "arithmetic": _arithmetic,
    "addsub": _addsub,
    "fractions": _fractions,
    "linear": _linear,
    "percentage": _percentage,
    "word": _word,
}
KINDS: tuple[str, ...] = tuple(GENERATORS)


def generate(kind: str, difficulty: int, rng: np.random.Generator | int) -> Problem:
    """One problem of `kind` at `difficulty` (1-3), drawn from `rng` (a Generator or a seed)."""
    if kind not in GENERATORS:
        raise ConfigError(f"got kind={kind!r}, need one of {', '.join(KINDS)}")
    if difficulty not in DIFFICULTIES:
        raise ConfigError(f"got difficulty={difficulty!r}, need one of {DIFFICULTIES}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    return GENERATORS[kind](rng, difficulty)


@dataclass(frozen=True)
class ProblemMix:
    """A weighted mix of kinds and difficulties an env draws its problems from.

    Args:
        kinds: kind -> weight (or a sequence of kinds, equally weighted).
        difficulties: difficulty -> weight (or a sequence of difficulties, equally weighted).

    Example: ``ProblemMix({"arithmetic": 3, "word": 1}, difficulties=[1, 2])``.
    """

    kinds: Mapping[str, float] | Sequence[str] = KINDS
    difficulties: Mapping[int, float] | Sequence[int] = (1, 2)

    def __post_init__(self) -> None:
        kinds = _weights(self.kinds, "kinds")
        difficulties = _weights(self.difficulties, "difficulties")
        for kind in kinds:
            if kind not in GENERATORS:
                raise ConfigError(f"got kind={kind!r} in kinds, need one of {', '.join(KINDS)}")
        for difficulty in difficulties:
            if difficulty not in DIFFICULTIES:
                raise ConfigError(f"got difficulty={difficulty!r}, need one of {DIFFICULTIES}")
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "difficulties", difficulties)

    def sample(self, rng: np.random.Generator) -> Problem:
        """Draw a kind, a difficulty, then a problem, all from `rng`."""
        kind = str(_draw(rng, self.kinds))
        difficulty = int(_draw(rng, self.difficulties))
        return generate(kind, difficulty, rng)


def _weights(value: Mapping | Sequence, what: str) -> dict:
    items = dict(value) if isinstance(value, Mapping) else {v: 1.0 for v in value}
    if not items:
        raise ConfigError(f"got {what}={value!r}, need at least one entry")
    for key, weight in items.items():
        if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
            raise ConfigError(f"got weight {weight!r} for {key!r} in {what}, need a number >= 0")
    if sum(items.values()) <= 0:
        raise ConfigError(f"got {what}={value!r}, need a positive total weight")
    return items


def _draw(rng: np.random.Generator, weights: Any) -> Any:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]

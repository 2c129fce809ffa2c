"""Math answer grading: is a model's final answer equivalent to the gold one?

    >>> from agentrl.grading import grade
    >>> grade(r"... so the area is \\boxed{12\\text{ cm}^2}.", "12").verdict
    'correct'

Pipeline: `extract.extract_answer` finds the final answer; `normalize.normalize` rewrites both
sides into a canonical LaTeX-ish string; `structure.parse` splits tuples, intervals, sets and
relations; `quick.QuickComparator` decides equal strings and plain numbers in-process; what it
cannot decide goes to sympy (`symbolic.SympyComparator`) in a worker process of
`pool.WorkerPool`, which is killed and replaced if it exceeds the time limit.

Policies: exact values compare exactly (``2/4`` equals ``1/2``: values, not forms); a decimal on
either side compares with relative tolerance `REL_TOL` (1e-6), so ``0.5`` equals ``\\frac12``
and ``3.14`` does not equal ``\\pi``. Units, ``\\$``, ``\\%`` and ``^\\circ`` are dropped
(``90^\\circ`` equals ``90``). ``1,000`` is one thousand, ``(1,000)`` is the pair (1, 0).
"""

from __future__ import annotations

from agentrl.grading.extract import extract_answer, extract_boxed
from agentrl.grading.grader import DEFAULT_TIMEOUT, GRADER_VERSION, Grade, grade, prescreen
from agentrl.grading.normalize import normalize
from agentrl.grading.numbers import REL_TOL
from agentrl.grading.pool import WorkerPool, default_pool

__all__ = [
    "DEFAULT_TIMEOUT",
    "GRADER_VERSION",
    "REL_TOL",
    "Grade",
    "WorkerPool",
    "default_pool",
    "extract_answer",
    "extract_boxed",
    "grade",
    "normalize",
    "prescreen",
]

"""Math answer grading: is a model's final answer equivalent to the gold one?

    >>> from agentrl.grading import grade
    >>> grade(r"... so the area is \\boxed{12\\text{ cm}^2}.", "12").verdict
    'correct'

Pipeline: `extract.extract_answer` finds the final answer (order of precedence in
`agentrl.grading.extract`: a "final answer is $X$" after the last box, the final box or group of
boxes, ``#### X``, "answer is X", a closing "Therefore ..." sentence or the last math span, a
bare short response, the last number that stands on its own); gold answers that are worked
solutions are extracted the same way.
`normalize.normalize` rewrites both sides into a canonical LaTeX-ish string;
`structure.parse` splits tuples, intervals, sets, relations and equation systems;
`quick.QuickComparator` decides equal strings, plain numbers and ratios in-process; what it
cannot decide goes to sympy (`symbolic.SympyComparator`) in a worker process of
`pool.WorkerPool`, which is killed and replaced if it exceeds the time limit. The in-process
rules are regular expressions and scans linear in the text (boxes and spans are found in one
pass), so only the sympy step can be slow, and it runs under the worker timeout.

Policies:
- Numbers (`numbers`): exact values compare exactly (``2/4`` equals ``1/2``: values, not
  forms); a decimal compares with relative tolerance `REL_TOL` (1e-6) (``3.14`` is not
  ``\\pi``); a decimal also equals an exact fraction when it is that fraction rounded to the
  places it shows, given 2+ significant digits (``0.33`` and ``2.6667`` equal ``1/3`` and
  ``8/3``; ``0.3`` does not equal ``1/3``).
- Formats: units, ``\\$``, ``\\%``, percent words (``percent``, ``pct``, ``percentage``) and
  ``^\\circ`` are dropped (``90^\\circ`` equals ``90``; ``28\\%`` equals ``28``, not ``0.28``).
  ``1,000`` is one thousand, ``32, 349`` a list of two, ``(1,000)`` the pair (1, 0). A decimal
  comma (``1000,99``, ``0,111``) is read as a decimal point only against a single number.
- Shapes (`structure`): relations in LaTeX or ASCII, either way round (``x >= 5``,
  ``5 \\le x``); an inequality equals its interval (``-2 \\le x \\le 7`` is ``[-2,7]``); a name
  labels its value (``x = 3``, ``(p,q) = (3,2)``, ``S_{ABC}:S = 7:32``); a system
  ``p=5, q=2`` equals the tuple ``(5,2)``; ``x = 1/3 \\approx 0.33`` states ``1/3``; a chain
  ``z = 1+1 = 2`` states ``2``; lists compare as sets (order does not matter, nor an item
  listed twice).

Where this grader keeps a verdict different from Math-Verify's tests (rows in
tests/grading/test_math_verify_cases.py), and why:
- ``Answer $ \\n 9 \\n $`` and ``Answer \\( \\n 9 \\n \\)`` against ``9``: Math-Verify wants
  "not equal" because inline math may not cross lines. We do not take the span either, but the
  response's last number standing on its own is 9, and a reader sees the answer 9: correct.
- ``{1,3}`` against ``(1,3)``: Math-Verify wants "equal". Braces around a list make a set, and
  a set is neither an ordered pair nor an interval: wrong.
Not supported yet (graded wrong where Math-Verify expects equal): ``1 \\le |z| \\le 3/2``
against the union of intervals it describes.
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

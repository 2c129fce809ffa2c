"""Whatever the model writes, `grade` returns a verdict: it never raises on a response."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentrl.grading import extract_answer, grade, normalize

TOKENS = [
    "\\boxed{",
    "\\fbox{",
    "{",
    "}",
    "\\{",
    "\\}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "<",
    "\\le",
    "\\frac",
    "\\sqrt",
    "^",
    "_",
    "!",
    "|",
    "\\pi",
    "\\infty",
    "\\cup",
    "\\pm",
    "\\text{",
    "x",
    "y",
    "e",
    "i",
    "1",
    "2",
    "10",
    "0.5",
    "-",
    "+",
    "/",
    "\\cdot",
    "\\%",
    "\\$",
    "$",
    "^\\circ",
    " cm",
    " ",
    "\\left(",
    "\\right)",
    "\\begin{pmatrix}",
    "\\end{pmatrix}",
    "&",
    "\\\\",
    "answer is ",
    "####",
    "\\sin",
    "\\log_",
    "'",
    "Monday",
]
LATEXISH = st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(response=st.one_of(LATEXISH, st.text(max_size=60)), gold=LATEXISH)
def test_grade_always_returns_a_verdict(response, gold):
    extract_answer(response)
    normalize(response)
    if not normalize(gold):
        return  # an empty gold is a caller error (GradingError), tested elsewhere
    result = grade(response, gold, timeout=2.0)
    assert result.verdict in ("correct", "wrong", "unparseable", "timeout")
    assert isinstance(result.reason, str) and result.reason

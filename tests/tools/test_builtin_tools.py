"""The calculator and search tools, and the hard-timeout worker behind the calculator."""

from __future__ import annotations

import time

import pytest

from agentrl.registration import tools as registry
from agentrl.tools._worker import Worker, WorkerError, WorkerTimeout
from agentrl.tools.calculator import CalculatorError, calculator, evaluate
from agentrl.tools.search import BM25, SearchTool, tokenize


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2+2", "4"),
        ("7/2", "7/2 ≈ 3.50000000000000"),
        ("(3 + 4^2) / 7", "19/7 ≈ 2.71428571428571"),
        ("2**64", "18446744073709551616"),
        ("5! - 3!", "114"),
        ("2(3+4)", "14"),
        ("sqrt(8)", "2*sqrt(2) ≈ 2.82842712474619"),
        ("sin(pi/6)", "1/2 ≈ 0.500000000000000"),
        ("mod(3^40, 7)", "4"),
        ("gcd(12, 18) + lcm(4, 6)", "18"),
        ("0.1 + 0.2", "0.300000000000000"),
        ("1/0", "undefined (division by zero or an infinite result)"),
        ("(1/2)^3000", "1/" + str(2**3000) + " ≈ 8.12854862555774E-904"),
    ],
)
def test_exact_arithmetic(expression, expected):
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("__import__('os').system('echo pwned')", "'__import__' is not allowed"),
        ("().__class__.__bases__", "'.' is not allowed"),
        ("x + 1", "'x' is not allowed"),
        ("[1, 2][0]", "'[' is not allowed"),
        ("'a' * 3", "is not allowed"),
        ("lambda: 1", "'lambda' is not allowed"),
        ("2 ** 99999", "digits; the calculator stops at 4000"),
        ("10^10^10^10", "the exponent is too large"),
        ("9999999!", "the factorial's argument is too large"),
        ("(1 + 2", "unbalanced parentheses"),
        ("", "give an arithmetic expression"),
        ("1" * 1001, "max 1000"),
    ],
)
def test_refused_before_anything_is_evaluated(expression, error):
    start = time.monotonic()
    with pytest.raises(CalculatorError, match=None) as info:
        evaluate(expression)
    assert error in str(info.value)
    assert time.monotonic() - start < 2.0


def test_calculator_tool_answers_and_reports_errors_as_text():
    assert calculator(expression="2^10") == "1024"
    assert calculator(expression="x").startswith("error: 'x' is not allowed")
    assert registry.make("calculator").schema()["function"]["parameters"]["required"] == [
        "expression"
    ]


def test_worker_has_a_hard_timeout_and_restarts():
    worker = Worker("time:sleep", memory_mb=512)
    try:
        start = time.monotonic()
        with pytest.raises(WorkerTimeout, match=r"timed out after 0\.5 s"):
            worker.call(30, timeout_s=0.5)
        assert time.monotonic() - start < 5.0
        assert worker.call(0, timeout_s=20) is None  # a fresh process answers
        with pytest.raises(WorkerError, match="TypeError"):
            worker.call("soon", timeout_s=20)
    finally:
        worker.close()


DOCS = [
    {"id": "paris", "title": "Paris", "text": "Paris is the capital and largest city of France."},
    {"id": "lyon", "title": "Lyon", "text": "Lyon is a city in France, known for its cuisine."},
    {"id": "cats", "title": "Cats", "text": "Cats purr. " * 200 + "Cats are not a city."},
    "A short text about the capital of Italy, Rome.",
]


def test_search_ranks_by_bm25_and_formats_snippets():
    search = SearchTool(documents=DOCS, snippet_chars=80)
    out = search(query="capital of France")
    lines = out.splitlines()
    assert lines[0].startswith("[1] paris (Paris): Paris is the capital")
    assert len(lines) == 3  # k defaults to 3
    assert search(query="zebra") == "no results for 'zebra'"
    only = search(query="cuisine", k=5)
    assert only.splitlines() == [
        "[1] lyon (Lyon): Lyon is a city in France, known for its cuisine."
    ]
    long_hit = search(query="not", k=1)
    assert long_hit.startswith("[1] cats (Cats): ...") and "not a city" in long_hit


def test_bm25_idf_and_length_normalisation():
    index = BM25(
        [tokenize("apple banana"), tokenize("apple cherry " + "filler " * 20), tokenize("banana")]
    )
    scores = index.scores(["apple"])
    assert scores[0] > scores[1] > 0 == scores[2]  # same tf, the shorter document wins
    rare, common = index.scores(["cherry"])[1], index.scores(["apple"])[1]
    assert rare > common  # a term in fewer documents weighs more


def test_search_from_the_registry_and_bad_documents():
    search = registry.make("search", documents=["alpha beta", "gamma"])
    assert search(query="gamma") == "[1] doc-1: gamma"
    with pytest.raises(Exception, match="document 0 must be"):
        SearchTool(documents=[42])

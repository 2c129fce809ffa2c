"""The examples in the grading and rewards docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "agentrl.grading",
        "agentrl.grading.extract",
        "agentrl.grading.normalize",
        "agentrl.grading.numbers",
        "agentrl.grading.grader",
        "agentrl.rewards",
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0

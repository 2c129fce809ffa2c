"""The docstring examples of the environment modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "agentrl.env",
    "agentrl.spaces",
    "agentrl.env_checker",
    "agentrl.wrappers",
    "agentrl.envs.procedural",
    "agentrl.envs.deepscaler",
    "agentrl.envs.guess_number",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0

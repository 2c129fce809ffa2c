"""Fixtures for the environment tests.

Until `agentrl.grading` lands, a small stand-in grader (last ``\\boxed{}`` compared as text or as
a number) lets the env tests run; once the real grader is importable it is used instead.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class _FakeGrade:
    verdict: str
    reason: str
    predicted: str | None
    gold: str


def _last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 1, start + len("\\boxed{")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j].strip()
    return None


def _fake_grade(response: str, gold: str, *, timeout: float = 5.0) -> _FakeGrade:
    predicted = _last_boxed(response)
    if not predicted:
        return _FakeGrade("unparseable", "no \\boxed{} answer", None, gold)
    norm = lambda s: re.sub(r"\s+|\$", "", s)  # noqa: E731
    same = norm(predicted) == norm(gold)
    return _FakeGrade("correct" if same else "wrong", "text comparison", predicted, gold)


def _install_fake_grader_if_missing() -> None:
    try:
        from agentrl.grading import grade  # noqa: F401
    except ImportError:
        module = types.ModuleType("agentrl.grading")
        module.grade = _fake_grade  # type: ignore[attr-defined]
        module.Grade = _FakeGrade  # type: ignore[attr-defined]
        module.FAKE = True  # type: ignore[attr-defined]
        sys.modules["agentrl.grading"] = module


_install_fake_grader_if_missing()


@pytest.fixture
def real_grader():
    """The real `agentrl.grading.grade`; skips while only the stand-in is available."""
    module = sys.modules.get("agentrl.grading")
    if module is None or getattr(module, "FAKE", False):
        pytest.skip("agentrl.grading is not importable yet")
    return module.grade

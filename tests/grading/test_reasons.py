"""A verdict comes with a reason a person can act on."""

from __future__ import annotations

import pytest

from agentrl.grading import grade


@pytest.mark.parametrize(
    ("response", "gold", "reason"),
    [
        (r"\boxed{(0,1]}", "[0,1]", "brackets (] differ from the gold's []"),
        (
            r"\boxed{2.34}",
            r"\frac{7}{3}",
            "relative difference 2.8e-03 exceeds the tolerance 1e-06",
        ),
        (r"\boxed{3}", "4", "a different exact value"),
        (r"\boxed{(1,2)}", "1,2", "a tuple or interval, but the gold is a set or list"),
        (r"\boxed{\{1,2\}}", r"\{1,2,3\}", "2 items, but the gold has 3"),
        (r"\boxed{x<3}", r"x\le 3", "different relation"),
        ("nothing here", "3", "no final answer found in the response"),
        (r"\boxed{10^{10^{10^{10}}}}", "3", "not evaluated: power '10^{10}' has too many digits"),
    ],
)
def test_reasons(response, gold, reason):
    assert grade(response, gold).reason == reason

"""The math envs' reward stays DeepScaleR's: a correct answer earns 1 only inside ``\\boxed{}``,
however well `grade` itself now reads unboxed answers."""

from __future__ import annotations

import pytest

import agentrl
from agentrl.grading import grade

UNBOXED = [
    "1/2 + 1/4 = 3/4. Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.",
    "So the sum is $\\frac{3}{4}$.",
    "The answer is 3/4",
    "\\frac{3}{4}",
]


@pytest.mark.parametrize("response", UNBOXED)
def test_a_correct_unboxed_answer_earns_nothing_in_the_env(response):
    assert grade(response, "\\frac34").verdict == "correct"  # the grader reads it...
    env = agentrl.make("deepscaler", data=[{"problem": "What is 1/2 + 1/4?", "answer": "\\frac34"}])
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(response)
    assert (reward, terminated) == (0.0, True)  # ...the env does not pay for it
    assert info["reward_components"] == {"correct": 0.0}


def test_several_boxes_are_one_answer_in_the_env_only_when_the_gold_has_several_items():
    env = agentrl.make("deepscaler", data=[{"problem": "p", "answer": "3"}])
    env.reset(seed=0)
    assert env.step("draft \\boxed{3}, final \\boxed{4}")[1] == 0.0  # the last box counts
    env = agentrl.make("deepscaler", data=[{"problem": "p", "answer": "\\{3, 4\\}"}])
    env.reset(seed=0)
    assert env.step("the roots are \\boxed{4} and \\boxed{3}")[1] == 1.0

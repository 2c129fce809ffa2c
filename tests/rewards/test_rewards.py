"""Rewards, the rubric that weighs them, and their registration."""

from __future__ import annotations

import math

import pytest

import agentrl
from agentrl.errors import ConfigError, GradingError, UnknownIdError
from agentrl.registration import rewards as registry
from agentrl.rewards import (
    BoxedFormatReward,
    CorrectnessReward,
    LengthPenalty,
    Reward,
    RewardError,
    Rubric,
    ThinkFormatReward,
)

TASK = {"id": "t0", "prompt": "1/2 + 1/4?", "answer": r"\frac{3}{4}", "solution": None}


def test_correctness_grades_against_answer_and_alternatives():
    reward = CorrectnessReward()
    assert reward(r"<think>add</think> \boxed{0.75}", TASK) == 1.0
    assert reward(r"\boxed{0.7}", TASK) == 0.0
    assert reward("no answer here", TASK) == 0.0
    assert reward(r"\boxed{6630}", {"answer": "6630.65", "answers": ["6630.65", "6630"]}) == 1.0
    assert reward.grade(r"\boxed{0.7}", TASK).verdict == "wrong"
    # A draft boxed while thinking is not the answer; the text after the block is.
    drafted = r"<think>maybe \boxed{0.75}? no...</think> The answer is 0.7."
    assert reward(drafted, TASK) == 0.0
    assert CorrectnessReward(after_think=False)(drafted, TASK) == 1.0
    with pytest.raises(GradingError, match="t9"):
        reward(r"\boxed{1}", {"id": "t9"})
    with pytest.raises(ConfigError, match="timeout=0"):
        CorrectnessReward(timeout=0)


def test_boxed_format():
    reward = BoxedFormatReward()
    assert reward(r"so \boxed{3}", TASK) == 1.0
    assert reward(r"so \boxed{}", TASK) == 0.0  # an empty box is no answer
    assert reward("so 3", TASK) == 0.0


@pytest.mark.parametrize(
    ("completion", "value", "why"),
    [
        ("<think>x+1=2</think> x=1", 1.0, "one closed block, then the answer"),
        ("x+1=2</think> x=1", 1.0, "the opening tag may live in the prompt (R1 templates)"),
        ("<think>x+1=2 x=1", 0.0, "never closed"),
        ("<think>a</think><think>b</think> 1", 0.0, "two blocks"),
        ("<think>a</think>", 0.0, "no answer after the block"),
        ("<think> </think> 1", 0.0, "empty reasoning"),
        ("</think><think>a 1", 0.0, "closed before opened"),
        ("x=1", 0.0, "no think block at all"),
    ],
)
def test_think_format(completion, value, why):
    assert ThinkFormatReward()(completion, TASK) == value, why


def test_think_format_can_require_the_opening_tag():
    assert ThinkFormatReward(require_open=True)("a</think> 1", TASK) == 0.0
    with pytest.raises(ConfigError, match="open_tag"):
        ThinkFormatReward(open_tag="")


def test_length_penalty_is_zero_then_linear_then_capped():
    penalty = LengthPenalty(soft_limit=10, hard_limit=20, penalty=-1.0)
    assert penalty("x" * 10, TASK) == 0.0
    assert penalty("x" * 15, TASK) == pytest.approx(-0.5)
    assert penalty("x" * 99, TASK) == -1.0
    words = LengthPenalty(soft_limit=2, hard_limit=4, unit="words")
    assert words("a b c", TASK) == pytest.approx(-0.5)
    custom = LengthPenalty(soft_limit=0, hard_limit=2, unit=lambda s: s.count("!"))
    assert custom("!", TASK) == pytest.approx(-0.5)
    with pytest.raises(ConfigError, match="soft_limit=5, hard_limit=5"):
        LengthPenalty(soft_limit=5, hard_limit=5)
    with pytest.raises(ConfigError, match=r"penalty=0\.5"):
        LengthPenalty(penalty=0.5)
    with pytest.raises(ConfigError, match="unit='tokens'"):
        LengthPenalty(unit="tokens")


def test_rubric_weighs_and_reports_every_component():
    rubric = Rubric(
        [CorrectnessReward(), BoxedFormatReward(), LengthPenalty(soft_limit=5, hard_limit=15)],
        weights=[1.0, 0.5, 0.0],
    )
    result = rubric(r"\boxed{3/4}", TASK)
    assert result.components == {"correctness": 1.0, "boxed_format": 1.0, "length_penalty": -0.6}
    assert result.total == pytest.approx(1.5)  # weight 0: logged, not in the total
    assert rubric.names == ("correctness", "boxed_format", "length_penalty")
    assert rubric.reward_range == (0.0, 1.5)
    assert "correctness=1" in repr(rubric)


def test_rubric_validates_its_inputs():
    with pytest.raises(ConfigError, match="2 weights for 1 rewards"):
        Rubric([BoxedFormatReward()], [1.0, 2.0])
    with pytest.raises(ConfigError, match="repeated"):
        Rubric([BoxedFormatReward(), BoxedFormatReward()])
    with pytest.raises(ConfigError, match="need finite"):
        Rubric([BoxedFormatReward()], [math.nan])
    with pytest.raises(ConfigError, match="rewards=\\[\\]"):
        Rubric([])
    with pytest.raises(ConfigError, match="callable with a `name`"):
        Rubric([lambda c, t: 1.0])  # type: ignore[list-item]


def test_rubric_rejects_non_finite_rewards():
    class Broken:
        name = "broken"

        def __call__(self, completion, task):
            return math.inf

    assert isinstance(Broken(), Reward)
    with pytest.raises(RewardError, match="'broken' returned inf"):
        Rubric([Broken()])("x", TASK)


def test_builtins_are_registered_and_buildable_by_id():
    assert {"correctness-v0", "boxed-format-v0", "think-format-v0", "length-penalty-v0"} <= set(
        registry.ids()
    )
    rubric = agentrl.Rubric.from_ids(
        {"correctness": 1.0, "length-penalty": 0.0},
        **{"length-penalty": {"soft_limit": 1, "hard_limit": 2}},
    )
    assert rubric.names == ("correctness", "length_penalty")
    assert rubric(r"\boxed{0.75}", TASK).components["length_penalty"] == -1.0
    with pytest.raises(UnknownIdError, match="correctness"):
        registry.make("corectness")

"""Every registered env passes check_env; each built-in does what its docstring says."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import agentrl
from agentrl.envs.countdown import ExpressionError, evaluate, extract_expression
from agentrl.envs.math_env import INSTRUCTION
from agentrl.envs.procedural import DIFFICULTIES, KINDS, generate
from agentrl.registration import tools as tool_registry

BUILTINS = [
    "chat-v0",
    "countdown-v0",
    "deepscaler-v0",
    "gsm8k-v0",
    "guess-number-v0",
    "tool-math-v0",
]


def test_the_six_builtins_are_registered_lazily():
    assert set(BUILTINS) <= set(agentrl.registry.ids())
    assert all(agentrl.spec(i).source == "agentrl" for i in BUILTINS)
    assert agentrl.registry.resolve("gsm8k") == "gsm8k-v0"


@pytest.mark.parametrize("env_id", agentrl.registry.ids())
def test_every_registered_env_passes_check_env(env_id):
    if env_id == "tool-math-v0" and "python" not in tool_registry:
        pytest.skip("the python tool is not registered yet (agentrl.tools)")
    report = agentrl.check_env(agentrl.make(env_id))
    assert "oracle_earns_max" in report.passed and "garbage_earns_min" in report.passed


# -- deepscaler / gsm8k ---------------------------------------------------------------------------
def test_deepscaler_prompt_is_exact_and_reward_follows_the_grade():
    env = agentrl.make("deepscaler", data=[{"problem": "What is 1/2 + 1/4?", "answer": "\\frac34"}])
    obs, info = env.reset(seed=0)
    assert obs == [
        {
            "role": "user",
            "content": "What is 1/2 + 1/4? Let's think step by step and output the final answer "
            "within \\boxed{}.",
        }
    ]
    assert INSTRUCTION.endswith("\\boxed{}.")
    _, reward, terminated, truncated, info = env.step("1/2+1/4 = 3/4, so \\boxed{\\frac{3}{4}}")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["reward_components"] == {"correct": 1.0}
    assert info["grade"]["verdict"] == "correct"
    env.reset(seed=0)
    _, reward, _, _, info = env.step("\\boxed{1/2}")
    assert reward == 0.0 and info["grade"]["verdict"] == "wrong"


def test_alternative_gold_answers_all_count():
    env = agentrl.make("deepscaler", data=[{"problem": "p", "answer": ["0.01", "0.02"]}])
    for reply in ("\\boxed{0.01}", "\\boxed{0.02}"):
        env.reset(seed=0)
        assert env.step(reply)[1] == 1.0


def test_without_data_the_procedural_generator_is_used_and_announced(capsys):
    env = agentrl.make("deepscaler", kinds=["linear"], difficulty=3)
    assert "procedural generator" in capsys.readouterr().err
    assert env.num_tasks is None
    obs, info = env.reset(seed=4)
    assert info["task"]["metadata"]["kind"] == "linear"
    assert info["task"]["metadata"]["difficulty"] == 3
    assert obs[0]["content"].startswith("Solve for x:")
    assert env.sft_messages()[1]["content"] == info["task"]["solution"]
    _, info2 = env.reset(options={"kind": "word", "difficulty": 1})
    assert (info2["task"]["metadata"]["kind"], info2["task"]["metadata"]["difficulty"]) == (
        "word",
        1,
    )
    with pytest.raises(agentrl.errors.EnvError, match="task_index"):
        env.reset(options={"task_index": 0})


def test_gsm8k_records_and_reward():
    record = {
        "question": "Tom has 2 cats and 3 dogs. How many pets?",
        "answer": "2+3=<<2+3=5>>5\n#### 5",
    }
    env = agentrl.make("gsm8k", data=[record])
    obs, _ = env.reset(seed=0)
    assert obs[0]["content"] == f"{record['question']} {INSTRUCTION}"
    assert env.sft_messages()[1]["content"] == "2+3=5\nThe answer is \\boxed{5}."
    assert env.step("so \\boxed{5}")[1] == 1.0
    with pytest.raises(agentrl.errors.EnvError, match="not both"):
        agentrl.make("gsm8k", data=[record], kinds="word")


# -- countdown -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "2**10", "abs(-3)", "1.5 * 2", "x + 1", "(1", "4 / (2 - 2)",
     "[1, 2]", "1 if 1 else 2", "9" * 250],
)  # fmt: skip
def test_countdown_parser_rejects_anything_but_integer_arithmetic(text):
    with pytest.raises(ExpressionError):
        evaluate(text)


def test_countdown_evaluates_exactly_and_checks_numbers():
    value, used = evaluate("(7 - 3) * 25 / 4 + 1")
    assert value == 26 and used == [7, 3, 25, 4, 1]
    assert extract_expression("first \\boxed{1+1} then \\boxed{ 3 * 4 = 12 }") == "3 * 4"
    assert extract_expression("<answer>2 + 2</answer>") == "2 + 2"
    env = agentrl.make("countdown", num_numbers=3)
    env.reset(seed=0)
    numbers, target = env.numbers, env.target
    assert env.check(f"\\boxed{{{env.task.solution.rsplit('{', 1)[1].rstrip('}')}}}") == "correct"
    assert env.check(f"\\boxed{{{numbers[0]} + {numbers[0]} + {numbers[0]}}}") in (
        "numbers not allowed",
        "wrong value",
    )
    assert env.check("\\boxed{99999 - 1}") == "numbers not allowed"
    assert env.check("\\boxed{import os}") == "invalid"
    assert env.check("no answer here") == "no answer"
    _, reward, _, _, info = env.step(f"\\boxed{{{target}}}")  # the target itself is not allowed
    assert reward == 0.0 and info["reward_components"]["correct"] == 0.0


def test_countdown_puzzles_are_always_solvable_by_their_solution():
    env = agentrl.make("countdown", num_numbers=5, max_number=30)
    for seed in range(40):
        env.reset(seed=seed)
        assert env.step(env.oracle_action())[1] == 1.0


# -- guess-number ----------------------------------------------------------------------------------
def test_guess_number_hints_and_binary_search_oracle_always_wins():
    env = agentrl.make("guess-number", low=1, high=1000)
    assert env.max_turns == 10
    for seed in range(20):
        _, info = env.reset(seed=seed)
        secret = int(info["task"]["answer"])
        total = 0.0
        while not env.done:
            total += env.step(env.oracle_action())[1]
        assert total == 1.0
        env.reset(seed=seed)
        hint = env.step(str(secret - 1))[0][0]["content"] if secret > 1 else "Higher."
        assert hint == "Higher."
    env.reset(seed=0)
    assert "Please reply with a whole number" in env.step("no idea")[0][0]["content"]
    sft = env.sft_messages()
    assert sft[-1] == {"role": "user", "content": "Correct!"}


# -- chat ---------------------------------------------------------------------------------------
def test_chat_rule_based_user_repeats_until_addressed_and_rubric_scores():
    env = agentrl.make("chat")
    obs, _ = env.reset(options={"task_index": 1})  # cooking: two requests
    assert "egg" in obs[0]["content"]
    obs, reward, terminated, _, _ = env.step("I like turtles.")
    assert obs[0]["content"].startswith("That doesn't answer my question.")
    assert (reward, terminated) == (0.0, False)
    obs, _, _, _, _ = env.step("About 6 minutes.")
    assert obs[0]["content"].startswith("Thanks! How do I stop the shell")
    long_reply = "Add vinegar. " + "word " * 80
    _, reward, terminated, _, info = env.step(long_reply)
    assert terminated
    assert info["reward_components"] == {"addressed": 1.0, "concise": 0.5, "turns": 3.0}
    assert reward == pytest.approx(0.8 * 1.0 + 0.2 * 0.5)


def test_chat_truncates_with_partial_credit():
    env = agentrl.make("chat", max_turns=2)
    env.reset(options={"task_index": 0})
    env.step("Bring boots.")
    _, reward, terminated, truncated, info = env.step("hmm")
    assert (terminated, truncated) == (False, True)
    assert info["reward_components"]["addressed"] == 0.5
    assert reward == pytest.approx(0.8 * 0.5 + 0.2 * 0.5)


def test_chat_user_can_be_simulated_by_a_sampler():
    from agentrl.testing import ScriptedSampler, byte_tokenizer

    tokenizer = byte_tokenizer()
    seen: list[str] = []

    def user_model(prompt: str) -> str:
        seen.append(prompt)
        return "ok but what about food on the trail?"

    env = agentrl.make(
        "chat", user_sampler=ScriptedSampler(tokenizer, user_model), user_tokenizer=tokenizer
    )
    env.reset(options={"task_index": 0})
    obs, *_ = env.step("Pack boots and a map.")
    assert obs == [{"role": "user", "content": "ok but what about food on the trail?"}]
    assert "Your next question is: And what should I eat on the trail?" in seen[0]
    with pytest.raises(agentrl.errors.ConfigError, match="together"):
        agentrl.make("chat", user_sampler=object())


def test_making_and_stepping_every_env_loads_neither_jax_nor_torch():
    code = (
        "import sys, agentrl\n"
        "for env_id in agentrl.registry.ids():\n"
        "    if env_id == 'tool-math-v0' and 'python' not in agentrl.registration.tools:\n"
        "        continue\n"
        "    env = agentrl.make(env_id)\n"
        "    env.reset(seed=0)\n"
        "    env.step(env.oracle_action())\n"
        "assert 'jax' not in sys.modules, 'jax was imported'\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_procedural_solutions_grade_correct_with_the_real_grader():
    from agentrl.grading import grade

    rng = np.random.default_rng(0)
    for kind in KINDS:
        for difficulty in DIFFICULTIES:
            for _ in range(15):
                p = generate(kind, difficulty, rng)
                verdict = grade(p.solution, p.answer).verdict
                assert verdict == "correct", (p, verdict)
                wrong = p.solution.replace(f"\\boxed{{{p.answer}}}", f"\\boxed{{{p.answer}1}}")
                assert grade(wrong, p.answer).verdict == "wrong", wrong


def test_tool_math_records_the_sandbox_isolation_of_a_python_turn() -> None:
    """A trajectory says whether model code could read the host's files: a python tool turn's
    info names the kernel mechanism (or "none") confining it; a plain turn carries none."""
    from agentrl.tools.sandbox import isolation

    env = agentrl.make("tool-math", kinds=["addsub"], difficulty=[1])
    env.reset(seed=0)
    call = '<tool_call>{"name": "python", "arguments": {"code": "print(1 + 1)"}}</tool_call>'
    _, _, _, _, info = env.step(call)
    python = next(t for t in env.unwrapped.tools if t.name == "python")
    assert info["isolation"] == {"python": isolation(python.fn.limits)["files"]}
    _, _, _, _, info = env.step("I think it is 2.")
    assert "isolation" not in info

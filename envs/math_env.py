"""`MathEnv`: single-answer math problems from a dataset or the procedural generator.

The shared base of `deepscaler` and `gsm8k` (and `tool-math`). The user turn is the problem plus
DeepScaleR's instruction; the reward is 1 when `agentrl.grading.grade` judges the final
``\\boxed{}`` answer correct against any accepted gold answer, else 0.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from agentrl.env import Env, Task, Turn
from agentrl.errors import EnvError
from agentrl.messages import Message

from .data import OnInvalid, load_tasks
from .procedural import DIFFICULTIES, KINDS, ProblemMix, generate

INSTRUCTION = "Let's think step by step and output the final answer within \\boxed{}."


def grade_any(response: str, answers: Sequence[str]) -> dict[str, Any]:
    """Grade `response` against the accepted answers (correct if any matches).

    Returns ``{"verdict", "reason", "predicted", "gold"}``.
    """
    from agentrl.grading import grade  # imported on first use

    if not answers:
        raise EnvError("a task has no gold answer to grade against")
    result = grade(response, list(answers))  # one extraction, all alternatives
    return {
        "verdict": result.verdict,
        "reason": result.reason,
        "predicted": result.predicted,
        "gold": result.gold,
    }


def _has_boxed(text: str) -> bool:
    from agentrl.grading import extract_boxed

    return extract_boxed(text) is not None


class MathEnv(Env):
    """Answer a math problem in one turn; reward 1 if the boxed answer is correct, else 0.

    Args:
        data: a DeepScaleR/GSM8K file path or a list of records; None uses the procedural
            generator (and says so on stderr).
        mix: the procedural `ProblemMix` (kinds and difficulties) when there is no data.
        kinds, difficulty: shortcuts for ``mix``: a kind or list of kinds, a difficulty or list.
        on_invalid: what to do with a bad record: "raise" (default) or "skip".
        max_turns: assistant turns per episode (1 for a plain math env).

    ``reset(options=...)`` accepts ``task_index`` (dataset) or ``kind``/``difficulty``
    (procedural).
    """

    data_format: Literal["deepscaler", "gsm8k"] = "deepscaler"
    require_boxed = True  # reward 0 without a \boxed{} answer
    env_id = "math"

    def __init__(
        self,
        data: str | Path | Sequence[Any] | None = None,
        *,
        mix: ProblemMix | None = None,
        kinds: str | Sequence[str] | Mapping[str, float] | None = None,
        difficulty: int | Sequence[int] | Mapping[int, float] | None = None,
        on_invalid: OnInvalid = "raise",
        max_turns: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(max_turns=max_turns, render_mode=render_mode)
        self.tasks: list[Task] | None = None
        self.mix = mix or _mix_from(kinds, difficulty)
        if data is not None:
            if mix is not None or kinds is not None or difficulty is not None:
                raise EnvError("pass either data= or the procedural mix/kinds/difficulty, not both")
            self.tasks = load_tasks(data, self.data_format, on_invalid=on_invalid)
            self.num_tasks = len(self.tasks)
        else:
            print(
                f"agentrl: {self.env_id} has no data= file; using the built-in procedural "
                f"generator ({describe_mix(self.mix)})",
                file=sys.stderr,
            )

    # -- episodes -----------------------------------------------------------------------------
    def _reset(self, options: dict[str, Any]) -> tuple[list[Message], Task]:
        task = self._next_task(options)
        return [{"role": "user", "content": self.format_prompt(task)}], task

    def _next_task(self, options: Mapping[str, Any]) -> Task:
        if self.tasks is not None:
            unknown = set(options) - {"task_index"}
            if unknown:
                raise EnvError(
                    f"unknown reset options {sorted(unknown)}; a dataset env takes task_index"
                )
            return self.tasks[self._task_index(options)]
        unknown = set(options) - {"kind", "difficulty"}
        if unknown:
            raise EnvError(
                f"unknown reset options {sorted(unknown)}; a procedural env takes kind, difficulty"
            )
        if "kind" in options or "difficulty" in options:
            kind = options.get("kind") or str(self.np_random.choice(list(self.mix.kinds)))
            difficulty = options.get("difficulty") or int(
                self.np_random.choice(list(self.mix.difficulties))
            )
            problem = generate(kind, difficulty, self.np_random)
        else:
            problem = self.mix.sample(self.np_random)
        metadata = {
            "kind": problem.kind,
            "difficulty": problem.difficulty,
            "expression": problem.expression,
        }
        return Task(
            problem.id,
            problem.question,
            problem.answer,
            problem.solution,
            (problem.answer,),
            metadata,
        )

    def format_prompt(self, task: Task) -> str:
        """The user turn: the problem followed by the boxed-answer instruction."""
        return f"{task.prompt} {INSTRUCTION}"

    def _step(self, action: str) -> Turn:
        return self._grade_turn(action)

    def _grade_turn(self, action: str) -> Turn:
        if self.task is None:
            raise EnvError("no task; call reset() first")
        if self.require_boxed and not _has_boxed(action):
            # As DeepScaleR's reward: the prompt asks for \boxed{}; without one there is no
            # answer. (The grader's "last number" fallback would let a policy that sprays numbers
            # collect reward.)
            grade = {
                "verdict": "unparseable",
                "reason": "no \\boxed{} answer",
                "predicted": "",
                "gold": self.task.answer,
            }
            return Turn([], 0.0, True, {"correct": 0.0}, {"grade": grade})
        grade = grade_any(action, self.task.answers or (self.task.answer,))
        reward = 1.0 if grade["verdict"] == "correct" else 0.0
        return Turn([], reward, True, {"correct": reward}, {"grade": grade})

    # -- oracle and SFT -----------------------------------------------------------------------
    def oracle_action(self) -> str | None:
        """The worked solution when it is known to end in the gold answer, else the boxed gold."""
        if self.task is None or self.done:
            return None
        if self._solution_ends_in_gold():
            return self.task.solution
        return f"The answer is \\boxed{{{self.task.answer}}}."

    def sft_messages(self) -> list[Message] | None:
        """The prompt and a worked solution; a dataset solution without a box gets one appended."""
        if self.task is None or not self.task.solution:
            return None
        solution = self.task.solution
        if "\\boxed" not in solution:
            solution = f"{solution.rstrip()}\n\nThe answer is \\boxed{{{self.task.answer}}}."
        return [
            {"role": "user", "content": self.format_prompt(self.task)},
            {"role": "assistant", "content": solution},
        ]

    def _solution_ends_in_gold(self) -> bool:
        # Procedural and GSM8K solutions are built here and end in \boxed{gold}; a dataset's own
        # solutions (MATH, AIME) may box something else or use \framebox, so they are not trusted.
        return bool(self.task and self.task.solution) and (
            self.tasks is None or self.data_format == "gsm8k"
        )


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | int) else value


def _mix_from(kinds: Any, difficulty: Any) -> ProblemMix:
    return ProblemMix(
        kinds=KINDS if kinds is None else _as_list(kinds),
        difficulties=(1, 2) if difficulty is None else _as_list(difficulty),
    )


def describe_mix(mix: ProblemMix) -> str:
    """``"kinds arithmetic, word; difficulty 1, 2"`` for messages."""
    kinds = ", ".join(str(k) for k in mix.kinds)
    difficulties = ", ".join(str(d) for d in mix.difficulties)
    return f"kinds {kinds}; difficulty {difficulties} of {DIFFICULTIES[-1]}"

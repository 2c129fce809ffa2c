"""`tool-math-v0`: math problems solved over several turns with the `python` and `calculator` tools.

Each turn the agent may call tools (the results come back as tool messages) or answer. An answer
with a ``\\boxed{}`` ends the episode: reward 1 if `agentrl.grading.grade` judges it correct,
else 0. A turn with neither a tool call nor a boxed answer gets a reminder from the user. The
episode is truncated after `max_turns` turns. ``info["reward_components"]`` has ``correct``
(the reward) and ``tool_calls`` (calls made this turn; a metric, not part of the reward). Like
every env's components they are per step, so their sum over an episode is its total.

Problems come from a DeepScaleR-format file (``data=``) or the procedural generator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentrl.env import Task, Turn
from agentrl.errors import ConfigError
from agentrl.messages import Message, ToolCall
from agentrl.tools.base import execute_tool_calls
from agentrl.tools.calls import FORMATS, format_tool_call
from agentrl.wrappers import resolve_tools, run_tool_calls

from .data import OnInvalid
from .math_env import MathEnv
from .procedural import ProblemMix

TOOL_INSTRUCTION = (
    "You can call the python and calculator tools to compute; "
    "output the final answer within \\boxed{}."
)
REMINDER = "Please call a tool or give your final answer within \\boxed{}."


class ToolMathEnv(MathEnv):
    """Math with tools; reward 1 for a correct boxed answer within `max_turns` turns, else 0.

    Args:
        data: a DeepScaleR-format file or records; None uses the procedural generator.
        tools: `Tool` objects or registered tool names (default ``python`` and ``calculator``).
        tool_format: how the agent writes calls: "hermes", "llama3" or "xml".
        max_turns: turns per episode, tool turns included.
        mix, kinds, difficulty, on_invalid: as for `MathEnv`.
    """

    data_format = "deepscaler"
    env_id = "tool-math-v0"

    def __init__(
        self,
        data: str | Path | Sequence[Any] | None = None,
        *,
        tools: Sequence[Any] = ("python", "calculator"),
        tool_format: str = "hermes",
        max_turns: int = 6,
        mix: ProblemMix | None = None,
        kinds: str | Sequence[str] | Mapping[str, float] | None = None,
        difficulty: int | Sequence[int] | Mapping[int, float] | None = None,
        on_invalid: OnInvalid = "raise",
        render_mode: str | None = None,
    ) -> None:
        if tool_format not in FORMATS:
            raise ConfigError(f"got tool_format={tool_format!r}, need one of {FORMATS}")
        super().__init__(
            data,
            mix=mix,
            kinds=kinds,
            difficulty=difficulty,
            on_invalid=on_invalid,
            max_turns=max_turns,
            render_mode=render_mode,
        )
        self.tools = resolve_tools(tools)
        self.tool_format = tool_format

    def format_prompt(self, task: Task) -> str:
        return f"{task.prompt} {TOOL_INSTRUCTION}"

    def _step(self, action: str) -> Turn:
        tool_messages = run_tool_calls(action, self.tools, self.tool_format, turn=self.turn)
        if tool_messages is not None:
            components = {"correct": 0.0, "tool_calls": float(len(tool_messages))}
            return Turn(tool_messages, 0.0, False, components, info=self._isolation())
        if "\\boxed" in action or "\\fbox" in action:
            turn = self._grade_turn(action)
            turn.components = {"correct": turn.reward, "tool_calls": 0.0}
            return turn
        reminder: list[Message] = [{"role": "user", "content": REMINDER}]
        return Turn(reminder, 0.0, False, {"correct": 0.0, "tool_calls": 0.0})

    def _isolation(self) -> dict[str, Any]:
        """Which kernel isolation confines each code-running tool (``info["isolation"]``), so a
        run's trajectories say whether model code could read the host's files."""
        found = {t.name: t.fn.isolation["files"] for t in self.tools if _isolation_of(t)}
        return {"isolation": found} if found else {}

    def sft_messages(self) -> list[Message] | None:
        """Prompt, a calculator call and its real result, then the worked solution.

        The calculator step appears when the task carries an ``expression`` (procedural tasks
        do) and the env has a ``calculator`` tool; otherwise it is the plain worked solution.
        """
        plain = super().sft_messages()
        calculator = next((t for t in self.tools if t.name == "calculator"), None)
        expression = self.task.metadata.get("expression") if self.task else None
        if plain is None or calculator is None or not expression:
            return plain
        call = ToolCall("calculator", {"expression": expression}, id="call_0")
        request: Message = {
            "role": "assistant",
            "content": format_tool_call(call, self.tool_format),
        }
        return [plain[0], request, *execute_tool_calls([calculator], [call]), plain[1]]


def _isolation_of(tool: Any) -> bool:
    return isinstance(getattr(getattr(tool, "fn", None), "isolation", None), dict)

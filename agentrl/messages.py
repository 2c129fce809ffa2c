"""Chat messages: the currency between environments, tools, templates and samplers.

Messages are plain dicts in the OpenAI chat format so that they go straight into a Jinja chat
template, a JSONL file or an HTTP request without conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


class FunctionCall(TypedDict):
    name: str
    arguments: str  # JSON text, as the OpenAI API carries it


class ToolCallDict(TypedDict):
    id: str
    type: Literal["function"]
    function: FunctionCall


class Message(TypedDict):
    role: Role
    content: str
    name: NotRequired[str]
    tool_calls: NotRequired[list[ToolCallDict]]
    tool_call_id: NotRequired[str]


def message(role: Role, content: str, **extra: Any) -> Message:
    """Build a message dict; `extra` carries ``name``, ``tool_calls`` or ``tool_call_id``."""
    msg: dict[str, Any] = {"role": role, "content": content, **extra}
    return msg  # type: ignore[return-value]


@dataclass(frozen=True)
class ToolCall:
    """A tool call parsed from model text.

    Attributes:
        name: the tool's name.
        arguments: the decoded JSON arguments.
        id: a call id, unique within the conversation.
        raw: the exact text span the call was parsed from.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    raw: str = ""

    def to_dict(self) -> ToolCallDict:
        import json

        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }

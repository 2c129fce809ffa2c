"""Parse tool calls out of model text, and write them the way models do.

Three formats, named by what emits them:

- ``"hermes"``: Hermes / Qwen2.5 ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
  blocks, several per message (`agentrl.tools.calls.hermes`).
- ``"llama3"``: Llama 3.x JSON calls ``{"name": ..., "parameters": {...}}``, bare or after
  ``<|python_tag|>``, and the builtin ``<|python_tag|>tool.call(k="v")`` form
  (`agentrl.tools.calls.llama3`).
- ``"xml"``: ``<tool name="calculator"><arg name="expression">2+2</arg></tool>`` for models
  without a native format (`agentrl.tools.calls.xml`).

    >>> parsed = parse_tool_calls('Sure. <tool_call>{"name": "calculator", '
    ...                           '"arguments": {"expression": "2+2"}}</tool_call>', "hermes")
    >>> parsed.content, parsed.calls[0].name, parsed.calls[0].arguments
    ('Sure. ', 'calculator', {'expression': '2+2'})

Parsing never raises on any text: a malformed call (bad JSON, a truncated tag, an unknown tool or
invalid arguments when `tools` are given) becomes an entry of `ParsedToolCalls.errors`, meant to
go back to the model as a tool message (`agentrl.tools.base.error_messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentrl.errors import ConfigError, ToolError, did_you_mean
from agentrl.messages import ToolCall

from . import hermes, llama3, xml
from .base import Found, dumps

if TYPE_CHECKING:
    from agentrl.tools.base import Tool

FORMATS: tuple[str, ...] = ("hermes", "llama3", "xml")
_SCANNERS: dict[str, Callable[[str], list[Found]]] = {
    "hermes": hermes.scan,
    "llama3": llama3.scan,
    "xml": xml.scan,
}
_RENDERERS: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "hermes": hermes.render,
    "llama3": llama3.render,
    "xml": xml.render,
}

__all__ = [
    "FORMATS",
    "ParsedToolCalls",
    "format_tool_call",
    "format_tool_calls",
    "parse_tool_calls",
    "tool_prompt",
]


@dataclass(frozen=True)
class ParsedToolCalls:
    """What `parse_tool_calls` found in one assistant message.

    Attributes:
        content: the text with every call's span removed (not stripped), i.e. what the model
            said besides calling tools.
        calls: the well-formed calls, in order, with ids ``{id_prefix}{i}``.
        errors: one message per malformed call, in order.
        spans: ``(start, end)`` of every call and malformed call, in order, not overlapping.
    """

    content: str
    calls: list[ToolCall] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)


def _check_format(format: str) -> None:
    if format not in _SCANNERS:
        raise ConfigError(
            f"unknown tool-call format {format!r}.{did_you_mean(str(format), FORMATS)} "
            f"Known: {', '.join(FORMATS)}."
        )


def parse_tool_calls(
    text: str,
    format: str = "hermes",
    *,
    tools: Mapping[str, Tool] | Sequence[Tool] | None = None,
    id_prefix: str = "call_",
) -> ParsedToolCalls:
    """Find the tool calls in `text`.

    Args:
        text: an assistant message.
        format: "hermes", "llama3" or "xml".
        tools: if given, a call of a tool not among them, or with arguments its schema rejects,
            is reported in `errors` instead of `calls`.
        id_prefix: call ids are ``f"{id_prefix}{i}"``; make it unique per turn.

    Raises:
        ConfigError: for an unknown `format` (bad text never raises).
    """
    _check_format(format)
    if not isinstance(text, str):
        raise ToolError(f"parse_tool_calls needs the message text (str), got {type(text).__name__}")
    table = (
        None
        if tools is None
        else (dict(tools) if isinstance(tools, Mapping) else {t.name: t for t in tools})
    )
    calls: list[ToolCall] = []
    errors: list[str] = []
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for item in _SCANNERS[format](text):
        pieces.append(text[pos : item.start])
        spans.append((item.start, item.end))
        pos = item.end
        problem = item.error or _check_against(table, item)
        if problem is not None:
            errors.append(problem)
        else:
            raw = text[item.start : item.end]
            calls.append(ToolCall(item.name, item.arguments, f"{id_prefix}{len(calls)}", raw))
    pieces.append(text[pos:])
    return ParsedToolCalls("".join(pieces), calls, errors, spans)


def _check_against(table: Mapping[str, Tool] | None, item: Found) -> str | None:
    if table is None:
        return None
    tool = table.get(item.name)
    if tool is None:
        return (
            f"unknown tool {item.name!r}.{did_you_mean(item.name, table)} "
            f"Available tools: {', '.join(sorted(table)) or 'none'}."
        )
    from agentrl.tools.base import ToolArgumentError

    try:
        tool.validate(item.arguments)
    except ToolArgumentError as e:
        return str(e)
    return None


def format_tool_call(call: ToolCall, format: str = "hermes") -> str:
    """`call` written the way a model writes it in `format` (the chat templates' own layout)."""
    _check_format(format)
    return _RENDERERS[format](call.name, dict(call.arguments))


def format_tool_calls(calls: Sequence[ToolCall], format: str = "hermes") -> str:
    """Several calls, one after another (``;``-separated for llama3, newlines otherwise)."""
    separator = "; " if format == "llama3" else "\n"
    return separator.join(format_tool_call(call, format) for call in calls)


_INSTRUCTIONS = {
    "hermes": (
        "To call a function, write a JSON object with its name and arguments between "
        '<tool_call> and </tool_call> tags:\n<tool_call>\n{"name": "FUNCTION", "arguments": '
        "{...}}\n</tool_call>\nYou may make several calls in one message."
    ),
    "llama3": (
        'To call a function, answer with JSON of the form {"name": "FUNCTION", "parameters": '
        "{...}}; separate several calls with ';'."
    ),
    "xml": (
        'To call a function, write <tool name="FUNCTION"><arg name="ARGUMENT">value</arg>'
        '</tool>, one <arg> per argument; values are taken verbatim (add type="json" to pass '
        "a list or object as JSON)."
    ),
}


def tool_prompt(tools: Sequence[Tool], format: str = "hermes") -> str:
    """A system-prompt section listing `tools` (JSON schemas) and how to call them in `format`.

    For templates that do not render tools themselves (the built-in tiny ChatML template, or the
    xml format, which no template knows).
    """
    _check_format(format)
    schemas = "\n".join(dumps(t.schema()) for t in tools)
    return f"You can use these functions:\n{schemas}\n\n{_INSTRUCTIONS[format]}"

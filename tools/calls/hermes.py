"""Hermes / Qwen2.5 tool calls: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``.

Qwen2.5's chat template renders each call of an assistant turn as::

    <tool_call>
    {"name": "calculator", "arguments": {"expression": "2+2"}}
    </tool_call>

and a turn may hold several. The JSON is decoded with a real JSON decoder rather than cut at the
next closing tag, so a ``</tool_call>`` inside an argument string (code that prints it) is fine.
A call whose closing tag is missing is accepted when its JSON is complete and nothing follows
(generation was stopped at ``</tool_call>``); otherwise it is reported as truncated.
"""

from __future__ import annotations

from typing import Any

from .base import Found, call_from_object, decode_json, dumps, preview, skip_ws

OPEN = "<tool_call>"
CLOSE = "</tool_call>"


def scan(text: str) -> list[Found]:
    """Every ``<tool_call>`` block of `text`, in order, as calls or errors."""
    found: list[Found] = []
    pos = 0
    while (start := text.find(OPEN, pos)) != -1:
        item = _one(text, start)
        found.append(item)
        pos = item.end
    return found


def _one(text: str, start: int) -> Found:
    body = skip_ws(text, start + len(OPEN))
    close = text.find(CLOSE, body)
    decoded = decode_json(text, body)
    if isinstance(decoded, str):
        if close == -1:
            return Found(
                start, len(text), error=f"truncated {OPEN} (no {CLOSE}): {preview(text[body:])}"
            )
        return Found(start, close + len(CLOSE), error=f"{decoded}: {preview(text[body:close])}")
    obj, json_end = decoded
    after = skip_ws(text, json_end)
    if text.startswith(CLOSE, after):
        return call_from_object(obj, start, after + len(CLOSE))
    if after == len(text):
        return call_from_object(obj, start, len(text))
    end = len(text) if close == -1 else close + len(CLOSE)
    return Found(
        start, end, error=f"unexpected text after the JSON of a {OPEN}: {preview(text[after:end])}"
    )


def render(name: str, arguments: dict[str, Any]) -> str:
    """One call exactly as Qwen2.5's chat template writes it."""
    return f'{OPEN}\n{{"name": {dumps(name)}, "arguments": {dumps(arguments)}}}\n{CLOSE}'

"""Llama 3.x tool calls: JSON calls, optionally after ``<|python_tag|>``, and the builtin form.

Llama 3.1's chat template renders a custom-tool call as the whole assistant turn::

    {"name": "calculator", "parameters": {"expression": "2+2"}}

Models also emit it after ``<|python_tag|>``, several separated by ``;``, and with
``"arguments"`` instead of ``"parameters"``; all are accepted. The builtin tools are called as
``<|python_tag|>brave_search.call(query="...")`` (parsed with `ast`, literals only, never run),
and anything else after ``<|python_tag|>`` is code for the code interpreter, returned as a call
of the ``python`` tool with ``{"code": ...}``. A call ends at ``<|eom_id|>``, ``<|eot_id|>`` or
the end of the text.

Without ``<|python_tag|>`` a JSON object is a call only if it starts ``{"name": ...`` (or
``{"type": "function", "name": ...``, as Llama 3.2 writes) and carries ``"name"`` and
``"parameters"`` or ``"arguments"``; other JSON in the text stays content.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from .base import Found, call_from_object, decode_json, dumps, preview, skip_ws

PYTHON_TAG = "<|python_tag|>"
END_TOKENS = ("<|eom_id|>", "<|eot_id|>")
CODE_TOOL = "python"  # the tool that receives code written after <|python_tag|>
_CALL_START = re.compile(r'\{\s*"(?:name|type)"\s*:')  # Llama 3.2 may lead with "type"
_BUILTIN = re.compile(r"^([A-Za-z_]\w*)\.call\((.*)\)$", re.DOTALL)
_AST_ERRORS = (SyntaxError, ValueError, TypeError, RecursionError, MemoryError)


def scan(text: str) -> list[Found]:
    """Every call of `text`, in order, as calls or errors."""
    found: list[Found] = []
    pos = 0
    while pos < len(text):
        tag = text.find(PYTHON_TAG, pos)
        found.extend(_bare_json_calls(text, pos, len(text) if tag == -1 else tag))
        if tag == -1:
            break
        end, region_end = _region_end(text, tag + len(PYTHON_TAG))
        found.extend(_tagged(text, tag, tag + len(PYTHON_TAG), region_end, end))
        pos = end
    return found


def _region_end(text: str, begin: int) -> tuple[int, int]:
    """(end of the span including the end token, end of the call text) after a python tag."""
    ends = [(i, token) for token in END_TOKENS if (i := text.find(token, begin)) != -1]
    if not ends:
        return len(text), len(text)
    i, token = min(ends)
    return i + len(token), i


def _bare_json_calls(text: str, pos: int, stop: int) -> list[Found]:
    found: list[Found] = []
    head = text[:stop]
    for match in _CALL_START.finditer(text, pos, stop):
        if found and match.start() < found[-1].end:
            continue
        decoded = decode_json(head, match.start())
        if isinstance(decoded, str):
            if '"name"' not in match.group():
                continue  # broken JSON that never said it was a call: leave it as content
            # A call that starts and does not parse: most likely cut off; it runs to `stop`.
            found.append(
                Found(
                    match.start(), stop, error=f"{decoded}: {preview(text[match.start() : stop])}"
                )
            )
            break
        obj, end = decoded
        if "name" not in obj or not any(key in obj for key in ("parameters", "arguments")):
            continue
        found.append(call_from_object(obj, match.start(), _after_separator(text, end, stop)))
    return found


def _after_separator(text: str, end: int, stop: int) -> int:
    """Swallow the ``;`` that separates consecutive calls into the preceding call's span."""
    nxt = skip_ws(text, end)
    return nxt + 1 if nxt < stop and text[nxt] == ";" else end


def _tagged(text: str, start: int, begin: int, region_end: int, end: int) -> list[Found]:
    """The call(s) between ``<|python_tag|>`` (at `start`) and `region_end`."""
    region = text[begin:region_end].strip()
    if not region:
        return [Found(start, end, error=f"nothing after {PYTHON_TAG}")]
    if region.startswith("{"):
        return _json_sequence(text, start, begin, region_end, end)
    builtin = _BUILTIN.match(region)
    if builtin:
        return [_builtin_call(builtin.group(1), region, start, end)]
    return [Found(start, end, CODE_TOOL, {"code": region})]


def _json_sequence(text: str, start: int, begin: int, region_end: int, end: int) -> list[Found]:
    """The ``;``-separated JSON calls after a tag, each with its own span; the first span starts
    at the tag and the last one runs to `end` so that together they cover the whole region."""
    found: list[Found] = []
    head = text[:region_end]
    span_start, i = start, skip_ws(text, begin)
    while i < region_end:
        decoded = decode_json(head, i)
        if isinstance(decoded, str):
            found.append(Found(span_start, end, error=f"{decoded}: {preview(text[i:region_end])}"))
            return found
        obj, j = decoded
        nxt = skip_ws(text, j)
        if nxt < region_end and text[nxt] == ";":
            nxt = skip_ws(text, nxt + 1)
        elif nxt < region_end:
            found.append(call_from_object(obj, span_start, nxt))
            found.append(
                Found(
                    nxt, end, error=f"unexpected text after a call: {preview(text[nxt:region_end])}"
                )
            )
            return found
        found.append(call_from_object(obj, span_start, end if nxt >= region_end else nxt))
        span_start, i = nxt, nxt
    return found


def _builtin_call(name: str, region: str, start: int, end: int) -> Found:
    try:
        node = ast.parse(region, mode="eval").body
        if not isinstance(node, ast.Call) or node.args:
            raise ValueError("builtin calls take keyword arguments only")
        arguments: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ValueError("**kwargs are not allowed")
            arguments[keyword.arg] = ast.literal_eval(keyword.value)
    except _AST_ERRORS as e:
        return Found(start, end, name, error=f"cannot parse builtin call {preview(region)}: {e}")
    return Found(start, end, name, arguments)


def render(name: str, arguments: dict[str, Any]) -> str:
    """One call exactly as Llama 3.1's chat template writes a custom-tool call."""
    return f'{{"name": {dumps(name)}, "parameters": {dumps(arguments)}}}'

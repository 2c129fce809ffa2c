"""What every tool-call parser shares: the span it found and small JSON helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_DECODER = json.JSONDecoder()
# Anything a hostile or broken text can make the JSON decoder raise (deep nesting -> recursion).
JSON_ERRORS = (ValueError, RecursionError, MemoryError)


@dataclass(frozen=True)
class Found:
    """One tool call (or one malformed attempt at one) located in the text.

    Attributes:
        start: index of the first character of the call's text.
        end: index one past its last character.
        name: the tool's name ("" for an error).
        arguments: the decoded arguments.
        error: why the span is not a valid call, or None.
    """

    start: int
    end: int
    name: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def skip_ws(text: str, i: int) -> int:
    """The index of the first non-whitespace character at or after `i`."""
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


def decode_json(text: str, i: int) -> tuple[Any, int] | str:
    """Decode one JSON value starting at `i`: ``(value, end)``, or a reason it is not JSON."""
    try:
        return _DECODER.raw_decode(text, i)
    except JSON_ERRORS as e:
        return f"invalid JSON ({type(e).__name__}: {str(e)[:80]})"


def preview(text: str, limit: int = 60) -> str:
    """A short quotation of `text` for an error message."""
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def call_from_object(
    obj: Any, start: int, end: int, *, argument_keys: tuple[str, ...] = ("arguments", "parameters")
) -> Found:
    """A `Found` from a decoded ``{"name": ..., "arguments": {...}}`` object, or its error."""
    if not isinstance(obj, dict):
        return Found(start, end, error=f"expected a JSON object, got {type(obj).__name__}")
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return Found(start, end, error='the call has no "name" string')
    arguments: Any = {}
    for key in argument_keys:
        if key in obj:
            arguments = obj[key]
            break
    if isinstance(arguments, str):  # some models send the arguments as JSON text
        decoded = decode_json(arguments, 0)
        if isinstance(decoded, str) or decoded[1] != len(arguments):
            return Found(start, end, name, error=f"arguments of `{name}` are not a JSON object")
        arguments = decoded[0]
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        kind = type(arguments).__name__
        return Found(start, end, name, error=f"arguments of `{name}` must be an object, got {kind}")
    return Found(start, end, name, arguments)


def dumps(value: Any) -> str:
    """JSON the way Hugging Face chat templates render it (``tojson``: no ASCII escaping)."""
    return json.dumps(value, ensure_ascii=False)

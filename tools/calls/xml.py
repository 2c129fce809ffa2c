"""A plain XML-tag tool-call format, for models and prompts without a native one.

::

    <tool name="calculator">
      <arg name="expression">2+2</arg>
    </tool>

- ``<tool name="N">`` opens a call (name in double, single or no quotes); ``</tool>`` closes it;
  ``<tool name="N"/>`` is a call without arguments. Several calls may appear in one message.
- Each ``<arg name="K">VALUE</arg>`` is one argument. VALUE is taken verbatim, with no entity
  decoding (models write code, and ``a < b`` must stay ``a < b``), up to the first ``</arg>``;
  wrap it in ``<![CDATA[...]]>`` to include that text. Values are strings; the tool's pydantic
  model coerces them (``"3"`` to an int), and ``type="json"`` marks a value to decode as JSON
  (lists, objects).
- Only whitespace may sit between args; anything else, a repeated arg, a missing ``</tool>`` or
  ``</arg>``, or bad JSON in a ``type="json"`` arg makes the call an error.
"""

from __future__ import annotations

import re
from typing import Any

from .base import Found, decode_json, dumps, preview, skip_ws

_ATTR = r"""\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)'|([^\s"'<>/=]+))"""
_TOOL_OPEN = re.compile(r"<tool\s+name" + _ATTR + r"\s*(/?)>")
_ARG_OPEN = re.compile(r"<arg\s+name" + _ATTR + r"""(?:\s+type\s*=\s*["']?(json|str)["']?)?\s*>""")
_TOOL_START = re.compile(r"<tool\s")
CDATA_OPEN, CDATA_CLOSE = "<![CDATA[", "]]>"
_NAME_OK = re.compile(r"^[A-Za-z_][\w.-]*$")


def scan(text: str) -> list[Found]:
    """Every ``<tool ...>`` call of `text`, in order, as calls or errors."""
    found: list[Found] = []
    pos = 0
    while (match := _TOOL_START.search(text, pos)) is not None:
        item = _one(text, match.start())
        found.append(item)
        pos = item.end
    return found


def _name(match: re.Match[str]) -> str:
    return next(group for group in match.groups()[:3] if group is not None)


def _one(text: str, start: int) -> Found:
    tag = _TOOL_OPEN.match(text, start)
    if tag is None:
        close = text.find(">", start)
        end = len(text) if close == -1 else close + 1
        return Found(
            start,
            end,
            error=f'malformed <tool> tag {preview(text[start:end])}; write <tool name="NAME">',
        )
    name = _name(tag)
    if tag.group(4):
        return Found(start, tag.end(), name, {})
    arguments: dict[str, Any] = {}
    i = tag.end()
    while True:
        i = skip_ws(text, i)
        if text.startswith("</tool>", i):
            return Found(start, i + len("</tool>"), name, arguments)
        if i >= len(text):
            return Found(start, len(text), name, error=f"truncated call of `{name}`: no </tool>")
        arg = _ARG_OPEN.match(text, i)
        if arg is None:
            return _bad_body(text, start, i, name)
        parsed = _arg_value(text, arg, name)
        if isinstance(parsed, Found):
            return Found(start, parsed.end, name, error=parsed.error)
        key, value, i = parsed
        if key in arguments:
            return Found(
                start,
                _tool_end(text, i),
                name,
                error=f"argument `{key}` of `{name}` is given twice",
            )
        arguments[key] = value


def _tool_end(text: str, i: int) -> int:
    close = text.find("</tool>", i)
    return len(text) if close == -1 else close + len("</tool>")


def _bad_body(text: str, start: int, i: int, name: str) -> Found:
    end = _tool_end(text, i)
    return Found(
        start,
        end,
        name,
        error=f"expected <arg name=...> or </tool> in the call of "
        f"`{name}`, found {preview(text[i:end], 40)}",
    )


def _arg_value(text: str, arg: re.Match[str], tool_name: str) -> tuple[str, Any, int] | Found:
    """(name, value, index after </arg>) or a Found carrying the error and the span end."""
    key, kind, i = _name(arg), arg.group(4), arg.end()
    if text.startswith(CDATA_OPEN, i):
        cdata_end = text.find(CDATA_CLOSE, i)
        if cdata_end == -1:
            return Found(
                0, len(text), error=f"truncated CDATA in argument `{key}` of `{tool_name}`"
            )
        raw, i = text[i + len(CDATA_OPEN) : cdata_end], cdata_end + len(CDATA_CLOSE)
        if not text.startswith("</arg>", i):
            return Found(
                0,
                _tool_end(text, i),
                error=f"expected </arg> after the CDATA of argument `{key}` of `{tool_name}`",
            )
    else:
        close = text.find("</arg>", i)
        if close == -1:
            return Found(
                0, len(text), error=f"truncated argument `{key}` of `{tool_name}`: no </arg>"
            )
        raw, i = text[i:close], close
    if kind == "json":
        decoded = decode_json(raw, skip_ws(raw, 0))
        if isinstance(decoded, str) or skip_ws(raw, decoded[1]) != len(raw):
            return Found(
                0,
                _tool_end(text, i),
                error=f"argument `{key}` of `{tool_name}` is "
                f'marked type="json" but is not JSON: {preview(raw)}',
            )
        return key, decoded[0], i + len("</arg>")
    return key, raw, i + len("</arg>")


def render(name: str, arguments: dict[str, Any]) -> str:
    """One call in this format; non-strings (and strings holding ``</arg>``) go as JSON."""
    if not _NAME_OK.match(name):
        raise ValueError(f"tool name {name!r} cannot be written as an XML attribute")
    parts = [f'<tool name="{name}">']
    for key, value in arguments.items():
        if not _NAME_OK.match(key):
            raise ValueError(f"argument name {key!r} cannot be written as an XML attribute")
        if isinstance(value, str) and "</arg>" not in value and not value.startswith(CDATA_OPEN):
            parts.append(f'<arg name="{key}">{value}</arg>')
        else:  # escaping '<' inside JSON strings keeps '</arg>' out of the encoded value
            encoded = dumps(value).replace("<", "\\u003c")
            parts.append(f'<arg name="{key}" type="json">{encoded}</arg>')
    parts.append("</tool>")
    return "".join(parts)

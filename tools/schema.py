"""How a tool's JSON schema and argument checks are derived from a Python signature.

The arguments become one pydantic model (types from annotations, defaults from the signature,
descriptions from the Google-style docstring's ``Args:`` section). Its JSON schema is what the
model sees; the same model validates each call, so the two cannot disagree.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

import pydantic

from agentrl.errors import ToolError

_SECTION_RE = re.compile(
    r"^(Args|Arguments|Parameters|Returns|Raises|Yields|Example|Examples|"
    r"Note|Notes|Attributes|See Also|Warning|Warnings):\s*$"
)


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into (description, {argument: description}).

    The description is every paragraph before the first section header; argument descriptions
    come from the ``Args:`` section, continuation lines joined with spaces.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    description: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    arg_indent = 0
    for line in lines:
        header = _SECTION_RE.match(line.strip())
        if header and not line.startswith(" "):
            section, current = header.group(1), None
            continue
        if section is None:
            description.append(line)
        elif section in ("Args", "Arguments", "Parameters") and line.strip():
            indent = len(line) - len(line.lstrip())
            entry = re.match(r"^\s*\*{0,2}(\w+)\s*(?:\(.*?\))?\s*:\s*(.*)$", line)
            if entry and (current is None or indent <= arg_indent):
                current, arg_indent = entry.group(1), indent
                args[current] = entry.group(2).strip()
            elif current is not None:
                args[current] = f"{args[current]} {line.strip()}".strip()
    return "\n".join(description).strip(), args


def parameters_model(fn: Callable[..., Any], name: str, arg_docs: dict[str, str]) -> type:
    """A pydantic model with one field per parameter of `fn` (annotation, default, description)."""
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except (NameError, TypeError, AttributeError) as e:
        raise ToolError(f"tool {name!r}: cannot resolve the type annotations: {e}") from e
    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolError(f"tool {name!r}: *args/**kwargs ({param.name!r}) have no schema")
        if param.name not in hints:
            raise ToolError(f"tool {name!r}: parameter {param.name!r} needs a type annotation")
        default = ... if param.default is param.empty else param.default
        field = pydantic.Field(default, description=arg_docs.get(param.name))
        fields[param.name] = (hints[param.name], field)
    config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=False)
    model_name = "".join(part.capitalize() for part in re.split(r"[_-]", name)) + "Arguments"
    return pydantic.create_model(model_name, __config__=config, **fields)


def strip_titles(schema: Any) -> Any:
    """Drop pydantic's generated ``title`` keywords (noise to the model); keep property names."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "title" and isinstance(value, str):
                continue
            if key in ("properties", "$defs") and isinstance(value, dict):
                out[key] = {k: strip_titles(v) for k, v in value.items()}
            else:
                out[key] = strip_titles(value)
        return out
    if isinstance(schema, list):
        return [strip_titles(item) for item in schema]
    return schema


def describe_validation_error(tool_name: str, error: pydantic.ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        if item["type"] == "extra_forbidden":
            problems.append(f"unexpected argument `{where}`")
        elif item["type"] == "missing":
            problems.append(f"missing required argument `{where}`")
        else:
            shown = repr(item.get("input"))
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            problems.append(f"argument `{where}`: {item['msg']} (got {shown})")
    return f"invalid arguments for tool `{tool_name}`: " + "; ".join(problems)

"""Tools: typed Python callables an agent can call, and the code that runs those calls.

A tool is an ordinary typed function (or a class with a typed ``__call__``). `tool` wraps it in a
`Tool` whose JSON schema, in the OpenAI function-calling format, is derived from the signature
and the Google-style docstring by pydantic. The same pydantic model validates every call's
arguments, so the schema the model sees and the checks its calls go through cannot drift apart.

    >>> import agentrl
    >>> @agentrl.tool(register=False)
    ... def add(a: int, b: int = 1) -> int:
    ...     '''Add two integers.
    ...
    ...     Args:
    ...         a: the first term.
    ...         b: the second term.
    ...     '''
    ...     return a + b
    >>> add.schema()["function"]["parameters"]["required"]
    ['a']
    >>> add(a=2, b=3)
    5

`execute_tool_calls` runs parsed calls, each under a wall-clock timeout and an output cap, and
turns every outcome (result, validation error, unknown tool, exception, timeout) into a
``role="tool"`` message. It never raises for a bad call: a bad call is something to tell the model.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import re
import threading
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic

from agentrl.errors import ToolArgumentError, ToolError, did_you_mean
from agentrl.messages import Message, ToolCall, message
from agentrl.registration import tools as tool_registry
from agentrl.tools.schema import (
    describe_validation_error,
    parameters_model,
    parse_docstring,
    strip_titles,
)

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_OUTPUT_CHARS = 8000
CHARS_PER_TOKEN = 4  # for a token cap without a tokenizer; a rough average for English and code

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what OpenAI accepts as a function name


class Tokenizer(typing.Protocol):
    """What an output cap in tokens needs from a tokenizer."""

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...


# -- the Tool -----------------------------------------------------------------------------------
class Tool:
    """A callable the agent can use: a function plus its name, description and argument schema.

    Args:
        fn: a typed function, or an object with a typed ``__call__`` (its method is used).
        name: the name the model calls it by; defaults to the function's name.
        description: what it does; defaults to the docstring's text before its sections.
        timeout_s: wall-clock seconds one call may take in `execute_tool_calls`.
        max_output_chars: the result is cut to this many characters.
        max_output_tokens: or to this many tokens (a tokenizer given to `execute_tool_calls`
            counts them; without one, ~4 characters stand for a token).
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_output_chars: int | None = DEFAULT_MAX_OUTPUT_CHARS,
        max_output_tokens: int | None = None,
    ) -> None:
        if not callable(fn):
            raise ToolError(f"a tool wraps a callable, got {type(fn).__name__}")
        target = _call_target(fn)
        name = name or getattr(fn, "__name__", None) or type(fn).__name__
        if not _NAME_RE.match(name):
            raise ToolError(f"tool name {name!r} must match {_NAME_RE.pattern}")
        if not timeout_s > 0:
            raise ToolError(f"tool {name!r}: got timeout_s={timeout_s}, need > 0")
        for key, cap in (
            ("max_output_chars", max_output_chars),
            ("max_output_tokens", max_output_tokens),
        ):
            if cap is not None and cap < 1:
                raise ToolError(f"tool {name!r}: got {key}={cap}, need >= 1 or None")
        doc = inspect.getdoc(target) or inspect.getdoc(fn)
        summary, arg_docs = parse_docstring(doc)
        self.fn = fn
        self.name = name
        self.description = description if description is not None else summary
        self.timeout_s = float(timeout_s)
        self.max_output_chars = max_output_chars
        self.max_output_tokens = max_output_tokens
        self.arguments_model: type[pydantic.BaseModel] = parameters_model(target, name, arg_docs)

    # -- schema ----------------------------------------------------------------------------------
    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON schema of the arguments object."""
        schema = strip_titles(self.arguments_model.model_json_schema())
        schema.setdefault("properties", {})
        return schema

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling description: ``{"type": "function", "function": {...}}``."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    # -- calling ---------------------------------------------------------------------------------
    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check and coerce `arguments`; raise `ToolArgumentError` naming each bad argument."""
        if not isinstance(arguments, Mapping):
            raise ToolArgumentError(
                f"arguments for tool `{self.name}` must be an object, got "
                f"{type(arguments).__name__}"
            )
        try:
            model = self.arguments_model.model_validate(dict(arguments))
        except pydantic.ValidationError as e:
            raise ToolArgumentError(describe_validation_error(self.name, e)) from None
        return {key: getattr(model, key) for key in type(model).model_fields}

    def run(self, arguments: Mapping[str, Any]) -> Any:
        """Validate `arguments` and call the tool with them (in this thread, no timeout)."""
        return self.fn(**self.validate(arguments))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the tool like the function it wraps; arguments are validated first."""
        names = list(self.arguments_model.model_fields)
        if len(args) > len(names):
            raise ToolArgumentError(f"tool `{self.name}` takes {len(names)} arguments")
        return self.run({**dict(zip(names, args)), **kwargs})

    def with_options(self, **options: Any) -> Tool:
        """A copy with other `timeout_s`, `max_output_chars`, ... (the registry's factory)."""
        allowed = {"name", "description", "timeout_s", "max_output_chars", "max_output_tokens"}
        unknown = set(options) - allowed
        if unknown:
            raise ToolError(
                f"tool {self.name!r}: unknown options {sorted(unknown)}; allowed: {sorted(allowed)}"
            )
        clone = copy.copy(self)
        for key, value in options.items():
            setattr(clone, key, value)
        return clone

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, parameters={list(self.arguments_model.model_fields)})"

    # -- pickling: the generated pydantic model is rebuilt from the function on load -----------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["arguments_model"]
        state["fn"] = _picklable(self.fn)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        fn = state["fn"]
        state["fn"] = fn.resolve() if isinstance(fn, _DecoratedRef) else fn
        self.__dict__.update(state)
        target = _call_target(self.fn)
        doc = inspect.getdoc(target) or inspect.getdoc(self.fn)
        self.arguments_model = parameters_model(target, self.name, parse_docstring(doc)[1])


def _call_target(fn: Callable[..., Any]) -> Callable[..., Any]:
    return fn if inspect.isfunction(fn) or inspect.ismethod(fn) else fn.__call__  # type: ignore[operator]


def _lookup(module_name: str, qualname: str) -> Any:
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class _DecoratedRef:
    """A decorated function or class instance, pickled by where its decorator put it.

    ``@tool`` rebinds the function's (or class's) name to the Tool (or ToolFactory), so plain
    pickling, which looks the original up by name, cannot find it; this finds it through them.
    """

    module: str
    qualname: str
    instance_state: dict[str, Any] | None = None  # for an instance of a decorated class

    def resolve(self) -> Any:
        owner = _lookup(self.module, self.qualname)
        if self.instance_state is None:
            return owner.fn
        instance = owner.cls.__new__(owner.cls)
        instance.__dict__.update(self.instance_state)
        return instance


def _picklable(fn: Any) -> Any:
    cls = fn if inspect.isfunction(fn) else type(fn)
    module, qualname = getattr(cls, "__module__", None), getattr(cls, "__qualname__", "")
    if module is None or "<locals>" in qualname:
        return fn
    try:
        owner = _lookup(module, qualname)
    except (ImportError, AttributeError):
        return fn
    if inspect.isfunction(fn) and isinstance(owner, Tool) and owner.fn is fn:
        return _DecoratedRef(module, qualname)
    if isinstance(owner, ToolFactory) and owner.cls is cls and hasattr(fn, "__dict__"):
        return _DecoratedRef(module, qualname, dict(vars(fn)))
    return fn


class ToolFactory:
    """What `tool` makes of a class: calling it builds the instance and returns its `Tool`.

    ``SearchTool(documents=docs)`` gives a `Tool`; the schema is known without an instance, so
    ``agentrl tools list`` can show it.
    """

    def __init__(self, cls: type, **options: Any) -> None:
        if "__call__" not in dir(cls):
            raise ToolError(f"class {cls.__name__} needs a __call__ method to be a tool")
        self.cls = cls
        self.options = {"name": _snake(cls.__name__), **options}
        self.name: str = self.options["name"]
        # Built once from the unbound method (minus self) so a bad signature fails at definition.
        self._schema_tool = Tool(_unbound_call(cls), **self.options)
        self.description = self._schema_tool.description
        self.__doc__ = cls.__doc__

    def schema(self) -> dict[str, Any]:
        return self._schema_tool.schema()

    @property
    def parameters(self) -> dict[str, Any]:
        return self._schema_tool.parameters

    def __call__(self, *args: Any, **kwargs: Any) -> Tool:
        """Construct the class and wrap the instance; an instance attribute ``tool_options``
        (a dict) overrides the decorator's options, e.g. a timeout that depends on its config."""
        instance = self.cls(*args, **kwargs)
        return Tool(instance, **{**self.options, **getattr(instance, "tool_options", {})})

    with_options = __call__

    def __repr__(self) -> str:
        return f"ToolFactory({self.cls.__name__}, name={self.name!r})"


def _unbound_call(cls: type) -> Callable[..., Any]:
    call = cls.__call__  # type: ignore[operator]
    signature = inspect.signature(call)
    params = list(signature.parameters.values())[1:]  # drop self

    def schema_only(*args: Any, **kwargs: Any) -> Any:
        raise ToolError("construct the tool class first")

    schema_only.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    schema_only.__annotations__ = {
        k: v for k, v in typing.get_type_hints(call, include_extras=True).items() if k != "self"
    }
    schema_only.__doc__ = call.__doc__ or cls.__doc__
    schema_only.__name__ = cls.__name__
    return schema_only


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_output_chars: int | None = DEFAULT_MAX_OUTPUT_CHARS,
    max_output_tokens: int | None = None,
    register: bool = True,
) -> Any:
    """Turn a typed function into a `Tool` (or a class into a `ToolFactory`) and register it.

    Use bare (``@tool``) or with options (``@tool(name="calc", timeout_s=5)``). The name is
    registered in `agentrl.registration.tools` unless ``register=False``; redefining the same
    function (a re-run script) replaces its entry, a different one under a taken name is an error.

    Args:
        fn: the function or class; given when used bare.
        name: the tool's name (default: the function's name, or the class name in snake_case).
        description: overrides the docstring's description.
        timeout_s: wall-clock limit of one call.
        max_output_chars: output cap in characters (None: no character cap).
        max_output_tokens: output cap in tokens (None: no token cap).
        register: add it to the tool registry.
    """
    options: dict[str, Any] = {
        "timeout_s": timeout_s,
        "max_output_chars": max_output_chars,
        "max_output_tokens": max_output_tokens,
    }
    if name is not None:
        options["name"] = name
    if description is not None:
        options["description"] = description

    def wrap(target: Callable[..., Any]) -> Any:
        made: Tool | ToolFactory
        if inspect.isclass(target):
            made = ToolFactory(target, **options)
            factory: Callable[..., Any] = made
        else:
            made = Tool(target, **options)
            factory = made.with_options
        if register:
            _register(made.name, factory, target)
        return made

    return wrap(fn) if fn is not None else wrap


def _register(name: str, factory: Callable[..., Any], target: Any) -> None:
    origin = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', '?')}"
    if name in tool_registry and tool_registry.spec(name).id == name:
        previous = tool_registry.spec(name).metadata.get("origin")
        if previous != origin:
            raise ToolError(
                f"a different tool is already registered as {name!r} ({previous}); "
                "pass name=... or register=False"
            )
    tool_registry.register(name, factory, metadata={"origin": origin}, overwrite=True)


# -- running calls ------------------------------------------------------------------------------
def cap_output(
    text: str,
    *,
    max_chars: int | None = None,
    max_tokens: int | None = None,
    tokenizer: Tokenizer | None = None,
) -> str:
    """Cut `text` to the caps, keeping its head and tail and saying how much was cut.

    The tail is kept too because that is where tracebacks and final results usually are.
    """
    if max_tokens is not None and tokenizer is not None:
        ids = tokenizer.encode(text)
        if len(ids) > max_tokens:
            head, tail = max_tokens * 2 // 3, max_tokens - max_tokens * 2 // 3
            cut = len(ids) - head - tail
            text = (
                tokenizer.decode(ids[:head])
                + f"\n[... {cut} of {len(ids)} tokens cut ...]\n"
                + (tokenizer.decode(ids[-tail:]) if tail else "")
            )
    elif max_tokens is not None:
        max_chars = min(max_chars or max_tokens * CHARS_PER_TOKEN, max_tokens * CHARS_PER_TOKEN)
    if max_chars is not None and len(text) > max_chars:
        head, tail = max_chars * 2 // 3, max_chars - max_chars * 2 // 3
        cut = len(text) - head - tail
        text = (
            text[:head]
            + f"\n[... {cut} of {len(text)} characters cut ...]\n"
            + (text[-tail:] if tail else "")
        )
    return text


def result_text(value: Any) -> str:
    """A tool's return value as the text the model reads (JSON for containers)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump_json()
    if isinstance(value, Mapping | list | tuple):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _call_with_timeout(tool_obj: Tool, arguments: dict[str, Any], timeout_s: float) -> str:
    """Run the tool in a daemon thread; give up on it after `timeout_s` (it cannot be killed)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = tool_obj.fn(**arguments)
        except BaseException as e:  # reported to the model, never swallowed
            box["error"] = e

    thread = threading.Thread(target=target, name=f"tool-{tool_obj.name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        return f"error: tool `{tool_obj.name}` timed out after {timeout_s:g} s"
    if "error" in box:
        e = box["error"]
        return f"error: tool `{tool_obj.name}` raised {type(e).__name__}: {e}"
    return result_text(box.get("value"))


def execute_tool_calls(
    tools: Mapping[str, Tool] | Sequence[Tool],
    calls: Sequence[ToolCall],
    *,
    timeout_s: float | None = None,
    tokenizer: Tokenizer | None = None,
) -> list[Message]:
    """Run each call and return one ``role="tool"`` message per call, in order.

    Every failure (unknown tool, invalid arguments, exception, timeout) comes back as a message
    whose content starts with ``error:``; this function does not raise for a bad call.

    Args:
        tools: the tools available, by name (or a sequence of tools).
        calls: the parsed calls.
        timeout_s: overrides each tool's own `timeout_s`.
        tokenizer: counts tokens for tools with `max_output_tokens`.
    """
    table = dict(tools) if isinstance(tools, Mapping) else {t.name: t for t in tools}
    messages = []
    for call in calls:
        content = _execute_one(table, call, timeout_s, tokenizer)
        messages.append(message("tool", content, tool_call_id=call.id, name=call.name))
    return messages


def _execute_one(
    table: Mapping[str, Tool], call: ToolCall, timeout_s: float | None, tokenizer: Tokenizer | None
) -> str:
    tool_obj = table.get(call.name)
    if tool_obj is None:
        hint = did_you_mean(str(call.name), table)
        return (
            f"error: unknown tool {call.name!r}.{hint} "
            f"Available tools: {', '.join(sorted(table)) or 'none'}."
        )
    try:
        arguments = tool_obj.validate(call.arguments)
    except ToolArgumentError as e:
        return f"error: {e}"
    limit = tool_obj.timeout_s if timeout_s is None else timeout_s
    text = _call_with_timeout(tool_obj, arguments, limit)
    return cap_output(
        text,
        max_chars=tool_obj.max_output_chars,
        max_tokens=tool_obj.max_output_tokens,
        tokenizer=tokenizer,
    )


def error_messages(errors: Sequence[str], *, id_prefix: str = "error_") -> list[Message]:
    """Tool messages telling the model about calls that could not be parsed."""
    return [
        message("tool", f"error: {text}", tool_call_id=f"{id_prefix}{i}", name="error")
        for i, text in enumerate(errors)
    ]

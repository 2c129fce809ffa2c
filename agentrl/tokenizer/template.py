"""Rendering Hugging Face Jinja chat templates without `transformers`.

Checkpoints ship their chat template as Jinja source (in ``tokenizer_config.json`` or
``chat_template.jinja``). Templates are untrusted code, so they run in Jinja's immutable sandbox,
with the helpers the Hub's templates rely on: ``raise_exception``, ``strftime_now``, a ``tojson``
filter that keeps non-ASCII text and accepts ``indent``, the loop-control extension, and the
``{% generation %}`` block tag (rendered as its plain body).
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agentrl.errors import ChatTemplateError


class _GenerationBlock(jinja2.ext.Extension):
    """``{% generation %}...{% endgeneration %}``: marks assistant text; rendered as its body."""

    tags = {"generation"}  # noqa: RUF012 - jinja's Extension API declares a class attribute

    def parse(self, parser: jinja2.parser.Parser) -> jinja2.nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller: Any) -> str:
        return str(caller())


def _raise_exception(message: str) -> None:
    raise ChatTemplateError(f"the chat template refused the conversation: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Jinja's built-in tojson escapes HTML characters and sorts keys; chat templates expect
    # plain json.dumps output, as transformers renders it.
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


@functools.lru_cache(maxsize=32)
def compile_template(source: str) -> jinja2.Template:
    """Compile chat-template source once (cached by its text)."""
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationBlock, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as e:
        raise ChatTemplateError(f"the chat template does not compile: {e}") from e


def render_template(
    source: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    add_generation_prompt: bool = False,
    special_tokens: Mapping[str, str | None] | None = None,
    **extra: Any,
) -> str:
    """Render `messages` with the template `source`.

    Args:
        source: Jinja chat-template text.
        messages: OpenAI-format chat messages.
        tools: tool schemas in OpenAI function format (``{"type": "function", "function":
            {...}}``), or None; templates see None when there are no tools, as in transformers.
        add_generation_prompt: append the header that opens an assistant turn.
        special_tokens: ``bos_token``, ``eos_token``, ... passed to the template.
        **extra: further template variables (e.g. ``enable_thinking``, ``date_string``).

    Returns:
        The rendered text.

    Raises:
        ChatTemplateError: the template calls ``raise_exception`` or fails to render.
    """
    template = compile_template(source)
    variables = {
        **dict(special_tokens or {}),
        **extra,
        "messages": [dict(m) for m in messages],
        "tools": [dict(t) for t in tools] if tools else None,
        "add_generation_prompt": add_generation_prompt,
    }
    try:
        return template.render(**variables)
    except ChatTemplateError:
        raise
    except jinja2.TemplateError as e:
        raise ChatTemplateError(f"the chat template failed to render: {e}") from e

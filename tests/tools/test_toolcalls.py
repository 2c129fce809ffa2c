"""Tool-call parsers, checked against what the real Qwen2.5 and Llama 3.1 chat templates render.

The templates in fixtures/ are the published ones (Qwen2.5-*-Instruct, Llama-3.1-*-Instruct),
rendered by transformers' own Jinja setup, so the strings parsed here are the ones the models
were trained to write.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrl.errors import ConfigError
from agentrl.messages import ToolCall
from agentrl.tools.base import Tool
from agentrl.tools.calls import (
    FORMATS,
    format_tool_call,
    format_tool_calls,
    parse_tool_calls,
    tool_prompt,
)

FIXTURES = Path(__file__).parent / "fixtures"
CALC = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate.",
        "parameters": {"type": "object", "properties": {}},
    },
}


@pytest.fixture(scope="module")
def render():
    chat_template_utils = pytest.importorskip("transformers.utils.chat_template_utils")

    def render(name: str, messages: list[dict], **kwargs) -> str:
        template = (FIXTURES / name).read_text()
        return chat_template_utils._compile_jinja_template(template).render(
            messages=messages, **kwargs
        )

    return render


def assistant_turn(name: str, arguments: dict) -> dict:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


ARGS_1 = {"expression": '2 < 3 and "quotes" </tool_call> ünïcode', "n": [1, {"a": None}]}
ARGS_2 = {"query": "capital of France", "k": 2}


def test_hermes_parses_what_the_qwen25_template_renders(render):
    messages = [
        {"role": "user", "content": "Compute and search."},
        {
            "role": "assistant",
            "content": "Two calls:",
            "tool_calls": [assistant_turn("calculator", ARGS_1), assistant_turn("search", ARGS_2)],
        },
        {"role": "tool", "content": "True"},
        {"role": "tool", "content": "Paris"},
    ]
    text = render("qwen2_5_chat_template.jinja", messages, tools=[CALC], add_generation_prompt=True)
    turn = text.split("<|im_start|>assistant")[1].split("<|im_end|>")[0]
    calls = [ToolCall("calculator", ARGS_1), ToolCall("search", ARGS_2)]
    # Our writer produces exactly the template's bytes ...
    assert turn == "\nTwo calls:" + "".join("\n" + format_tool_call(c, "hermes") for c in calls)
    # ... and the parser reads them back.
    parsed = parse_tool_calls(turn, "hermes")
    assert [(c.name, c.arguments) for c in parsed.calls] == [(c.name, c.arguments) for c in calls]
    assert parsed.content == "\nTwo calls:\n\n" and parsed.errors == []  # newlines between calls
    assert [c.id for c in parsed.calls] == ["call_0", "call_1"]
    # The whole prompt: the system prompt's "<tool_call></tool_call> XML tags" and its
    # placeholder call are not JSON: two errors, which do not swallow the real calls after them.
    whole = parse_tool_calls(text, "hermes")
    assert len(whole.errors) == 2 and all("invalid JSON" in e for e in whole.errors)
    assert "<function-name>" in whole.errors[1]
    assert [c.arguments for c in whole.calls] == [ARGS_1, ARGS_2]


def test_llama3_parses_what_the_llama31_template_renders(render):
    messages = [
        {"role": "user", "content": "What is 2<3?"},
        {"role": "assistant", "tool_calls": [assistant_turn("calculator", ARGS_1)]},
        {"role": "tool", "content": "True"},
    ]
    text = render(
        "llama3_1_chat_template.jinja",
        messages,
        tools=[CALC],
        bos_token="<|begin_of_text|>",
        add_generation_prompt=True,
    )
    header = "<|start_header_id|>assistant<|end_header_id|>\n\n"
    turn = text.split(header)[1].split("<|eot_id|>")[0]
    assert turn == format_tool_call(ToolCall("calculator", ARGS_1), "llama3")
    parsed = parse_tool_calls(turn, "llama3")
    assert [(c.name, c.arguments) for c in parsed.calls] == [("calculator", ARGS_1)]
    assert parsed.content == "" and parsed.errors == []
    # The prompt's format description ({"name": function name, ...}) is not a call.
    prompt = text.split(header)[0]
    assert parse_tool_calls(prompt, "llama3").calls == []


def test_llama3_builtin_tool_form_from_the_template(render):
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "tool_calls": [assistant_turn("brave_search", {"query": "Paris"})]},
    ]
    text = render(
        "llama3_1_chat_template.jinja",
        messages,
        builtin_tools=["brave_search"],
        bos_token="<|begin_of_text|>",
    )
    turn = text.split("<|start_header_id|>assistant<|end_header_id|>\n\n")[1]
    assert turn == '<|python_tag|>brave_search.call(query="Paris")<|eom_id|>'
    parsed = parse_tool_calls(turn, "llama3")
    assert [(c.name, c.arguments) for c in parsed.calls] == [("brave_search", {"query": "Paris"})]
    assert parsed.content == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # several ;-separated calls after the tag, "arguments" spelling, trailing end token
        (
            '<|python_tag|>{"name": "a", "parameters": {"x": 1}}; {"name": "b", "arguments": {}}'
            "<|eom_id|>",
            [("a", {"x": 1}), ("b", {})],
        ),
        # code for the code interpreter
        (
            "<|python_tag|>import math\nprint(math.pi)<|eom_id|>",
            [("python", {"code": "import math\nprint(math.pi)"})],
        ),
        # a bare call after some words; other JSON stays content
        ('I will call it. {"name": "f", "parameters": {"q": "x"}}', [("f", {"q": "x"})]),
        ('{"name": "Bob", "age": 3} is just data', []),
        # Llama 3.2 leads with "type"
        ('{"type": "function", "name": "f", "parameters": {"a": 1}}', [("f", {"a": 1})]),
    ],
)
def test_llama3_variants(text, expected):
    parsed = parse_tool_calls(text, "llama3")
    assert [(c.name, c.arguments) for c in parsed.calls] == expected
    assert parsed.errors == []


@pytest.mark.parametrize(
    ("format", "text", "error"),
    [
        ("hermes", '<tool_call>{"name": "f", "arguments": {"x": 1}</tool_call>', "invalid JSON"),
        ("hermes", '<tool_call>\n{"name": "f", "argu', "truncated <tool_call>"),
        ("hermes", '<tool_call>{"arguments": {}}</tool_call>', 'no "name"'),
        ("hermes", '<tool_call>{"name": "f", "arguments": [1]}</tool_call>', "must be an object"),
        ("hermes", '<tool_call>{"name": "f"} trailing</tool_call>', "unexpected text"),
        ("hermes", '<tool_call>["f"]</tool_call>', "expected a JSON object"),
        ("hermes", "<tool_call>" + "[" * 100_000 + "</tool_call>", "invalid JSON"),
        ("llama3", '{"name": "f", "parameters": {"x": ', "invalid JSON"),
        ("llama3", "<|python_tag|><|eom_id|>", "nothing after"),
        ("llama3", "<|python_tag|>search.call(1, 2)", "keyword arguments only"),
        ("llama3", '<|python_tag|>search.call(q=__import__("os"))', "cannot parse builtin"),
        ("xml", '<tool name="f"><arg name="x">1</arg>', "no </tool>"),
        ("xml", '<tool name="f"><arg name="x">1', "no </arg>"),
        ("xml", "<tool nam=f>", "malformed <tool> tag"),
        ("xml", '<tool name="f">junk</tool>', "expected <arg name=...>"),
        ("xml", '<tool name="f"><arg name="x">1</arg><arg name="x">2</arg></tool>', "twice"),
        ("xml", '<tool name="f"><arg name="x" type="json">[1,</arg></tool>', "not JSON"),
    ],
)
def test_malformed_calls_become_errors(format, text, error):
    parsed = parse_tool_calls(text, format)
    assert parsed.calls == []
    assert len(parsed.errors) == 1 and error in parsed.errors[0], parsed.errors


def test_hermes_accepts_a_call_cut_at_its_stop_string():
    parsed = parse_tool_calls('ok <tool_call>\n{"name": "f", "arguments": {}}\n', "hermes")
    assert [c.name for c in parsed.calls] == ["f"] and parsed.content == "ok "


def test_hermes_arguments_given_as_json_text():
    text = '<tool_call>{"name": "f", "arguments": "{\\"x\\": 2}"}</tool_call>'
    assert parse_tool_calls(text, "hermes").calls[0].arguments == {"x": 2}


def test_xml_format():
    text = (
        "Let me check.\n<tool name=\"python\">\n  <arg name=\"code\">print(1 < 2 and 'a' > 'b')"
        '</arg>\n</tool> and <tool name=calculator><arg name="expression"><![CDATA[x</arg>]]>'
        '</arg><arg name="k" type="json">[1, {"a": 2}]</arg></tool><tool name=\'ping\'/>'
    )
    parsed = parse_tool_calls(text, "xml")
    assert [(c.name, c.arguments) for c in parsed.calls] == [
        ("python", {"code": "print(1 < 2 and 'a' > 'b')"}),
        ("calculator", {"expression": "x</arg>", "k": [1, {"a": 2}]}),
        ("ping", {}),
    ]
    assert parsed.content == "Let me check.\n and " and parsed.errors == []


def test_known_tools_turn_unknown_names_and_bad_arguments_into_errors():
    def calculator(expression: str) -> str:
        """Calc."""
        return expression

    tools = [Tool(calculator)]
    text = (
        '<tool_call>{"name": "calculator", "arguments": {"expression": "1+1"}}</tool_call>'
        '<tool_call>{"name": "calculater", "arguments": {"expression": "1"}}</tool_call>'
        '<tool_call>{"name": "calculator", "arguments": {}}</tool_call>'
    )
    parsed = parse_tool_calls(text, "hermes", tools=tools, id_prefix="t3_")
    assert [c.id for c in parsed.calls] == ["t3_0"]
    assert "unknown tool 'calculater'. Did you mean `calculator`?" in parsed.errors[0]
    assert "missing required argument `expression`" in parsed.errors[1]


def test_round_trip_of_several_calls_in_every_format():
    calls = [ToolCall("calculator", {"expression": "2^10"}), ToolCall("search", {"query": "x y"})]
    for format in FORMATS:
        parsed = parse_tool_calls("Sure.\n" + format_tool_calls(calls, format), format)
        assert [(c.name, c.arguments) for c in parsed.calls] == [
            (c.name, c.arguments) for c in calls
        ], format
        assert parsed.content.strip() == "Sure.", format


def test_unknown_format_and_wrong_types_are_errors_not_silence():
    with pytest.raises(ConfigError, match="Did you mean `hermes`"):
        parse_tool_calls("x", "hermez")
    with pytest.raises(Exception, match="str"):
        parse_tool_calls(None, "hermes")  # type: ignore[arg-type]


def test_tool_prompt_lists_schemas_and_the_format():
    def calculator(expression: str) -> str:
        """Calc."""
        return expression

    prompt = tool_prompt([Tool(calculator)], "xml")
    assert '"name": "calculator"' in prompt and '<tool name="FUNCTION">' in prompt

"""`Tool`, `@tool` and `execute_tool_calls`: schemas from signatures, validation, limits."""

from __future__ import annotations

import time
from typing import Literal

import pydantic
import pytest

import agentrl
from agentrl.errors import ToolError
from agentrl.messages import ToolCall
from agentrl.registration import tools as registry
from agentrl.tools.base import (
    Tool,
    ToolArgumentError,
    ToolFactory,
    cap_output,
    error_messages,
    execute_tool_calls,
    parse_docstring,
    tool,
)


def power(base: int, exponent: int = 2, mode: Literal["exact", "float"] = "exact") -> str:
    """Raise a number to a power.

    Longer explanation that is still part of the description.

    Args:
        base: the number to raise.
        exponent: the power, a
            non-negative integer.
        mode: how to report the result.

    Returns:
        The power as text.
    """
    value = base**exponent
    return str(value if mode == "exact" else float(value))


class Point(pydantic.BaseModel):
    x: float
    y: float


def norm(point: Point, tags: list[str] | None = None) -> float:
    """Euclidean norm of a point."""
    return (point.x**2 + point.y**2) ** 0.5


def test_schema_comes_from_signature_and_docstring():
    schema = Tool(power).schema()
    assert schema["type"] == "function"
    function = schema["function"]
    assert function["name"] == "power"
    assert function["description"] == (
        "Raise a number to a power.\n\nLonger explanation that is still part of the description."
    )
    params = function["parameters"]
    assert params["type"] == "object"
    assert params["required"] == ["base"]
    assert params["additionalProperties"] is False
    assert params["properties"]["base"] == {
        "type": "integer",
        "description": "the number to raise.",
    }
    assert params["properties"]["exponent"]["description"] == "the power, a non-negative integer."
    assert params["properties"]["exponent"]["default"] == 2
    assert params["properties"]["mode"]["enum"] == ["exact", "float"]
    assert "title" not in params and "title" not in params["properties"]["base"]


def test_nested_models_and_optionals_validate():
    t = Tool(norm)
    assert "$defs" in t.parameters or "properties" in t.parameters["properties"]["point"]
    assert t(point={"x": 3, "y": 4}) == 5.0
    with pytest.raises(ToolArgumentError, match=r"point\.y"):
        t(point={"x": 3})


def test_validation_errors_name_the_bad_argument():
    t = Tool(power)
    with pytest.raises(ToolArgumentError, match="missing required argument `base`"):
        t.validate({})
    with pytest.raises(ToolArgumentError, match=r"argument `exponent`.*got 'lots'"):
        t.validate({"base": 2, "exponent": "lots"})
    with pytest.raises(ToolArgumentError, match="unexpected argument `bogus`"):
        t.validate({"base": 2, "bogus": 1})
    with pytest.raises(ToolArgumentError, match="must be an object"):
        t.validate(["base", 2])  # type: ignore[arg-type]
    assert t.validate({"base": "3"}) == {"base": 3, "exponent": 2, "mode": "exact"}  # lax coercion


def test_decorator_bare_and_with_options_registers():
    @tool(register=False)
    def bare(x: int) -> int:
        """Double."""
        return 2 * x

    assert isinstance(bare, Tool) and bare.name == "bare" and bare(x=2) == 4 and bare(3) == 6

    @agentrl.tool(name="triple_it", timeout_s=3, max_output_chars=50)
    def triple(x: int) -> int:
        """Triple."""
        return 3 * x

    try:
        assert (triple.name, triple.timeout_s, triple.max_output_chars) == ("triple_it", 3.0, 50)
        made = registry.make("triple_it")
        assert isinstance(made, Tool) and made(x=2) == 6
        assert registry.make("triple_it", timeout_s=9).timeout_s == 9
        # Redefining the same function (a re-run script) is fine; another function is not.
        tool(name="triple_it")(triple.fn)
        with pytest.raises(ToolError, match="already registered"):

            @tool(name="triple_it")
            def other(x: int) -> int:
                return x
    finally:
        registry.unregister("triple_it")


def test_bad_definitions_are_refused_at_definition():
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    def star(*args: int) -> int:
        return 0

    with pytest.raises(ToolError, match="needs a type annotation"):
        Tool(untyped)
    with pytest.raises(ToolError, match=r"\*args"):
        Tool(star)
    with pytest.raises(ToolError, match="must match"):
        Tool(power, name="has space")
    with pytest.raises(ToolError, match="timeout_s=0"):
        Tool(power, timeout_s=0)


def test_class_tools_get_schema_without_instance_and_state_with_one():
    @tool(register=False)
    class WordCounter:
        """Counts words."""

        def __init__(self, stop_words: list[str]) -> None:
            self.stop = set(stop_words)

        def __call__(self, text: str) -> int:
            """Count the words of a text that are not stop words.

            Args:
                text: the text.
            """
            return sum(w not in self.stop for w in text.split())

    assert isinstance(WordCounter, ToolFactory) and WordCounter.name == "word_counter"
    assert WordCounter.schema()["function"]["parameters"]["required"] == ["text"]
    counter = WordCounter(stop_words=["the"])
    assert isinstance(counter, Tool) and counter(text="the cat the hat") == 2


def test_builtins_are_registered_lazily_and_make_tools():
    assert {"python", "calculator", "search"} <= set(registry.ids())
    assert isinstance(registry.make("python"), Tool)
    assert isinstance(registry.make("calculator"), Tool)
    assert isinstance(registry.make("search", documents=["a b"]), Tool)
    python = registry.make("python", wall_time_s=2)
    assert python.timeout_s > 2  # the tool timeout never pre-empts the sandbox's own clock


def test_parse_docstring_sections():
    description, args = parse_docstring(power.__doc__)
    assert description.startswith("Raise a number") and "Returns" not in description
    assert args == {
        "base": "the number to raise.",
        "exponent": "the power, a non-negative integer.",
        "mode": "how to report the result.",
    }


def slow(seconds: float) -> str:
    """Sleep."""
    time.sleep(seconds)
    return "done"


def boom(x: int) -> str:
    """Raise."""
    raise RuntimeError(f"bad x={x}")


def chatty(n: int) -> str:
    """Print a lot."""
    return "".join(f"{i:05d}\n" for i in range(n))


def test_execute_turns_every_failure_into_a_tool_message():
    table = {t.name: t for t in (Tool(slow, timeout_s=5), Tool(boom), Tool(chatty))}
    calls = [
        ToolCall("slow", {"seconds": 0}, "c0"),
        ToolCall("slow", {"seconds": 2}, "c1"),
        ToolCall("boom", {"x": 7}, "c2"),
        ToolCall("nope", {}, "c3"),
        ToolCall("chatty", {"n": "many"}, "c4"),
        ToolCall("slwo", {}, "c5"),
    ]
    start = time.monotonic()
    messages = execute_tool_calls(table, calls, timeout_s=0.3)
    assert time.monotonic() - start < 1.8  # the 2 s call was abandoned at 0.3 s
    assert [m["tool_call_id"] for m in messages] == ["c0", "c1", "c2", "c3", "c4", "c5"]
    assert all(m["role"] == "tool" for m in messages)
    assert [m["name"] for m in messages] == ["slow", "slow", "boom", "nope", "chatty", "slwo"]
    assert messages[0]["content"] == "done"
    assert messages[1]["content"] == "error: tool `slow` timed out after 0.3 s"
    assert messages[2]["content"] == "error: tool `boom` raised RuntimeError: bad x=7"
    assert messages[3]["content"].startswith("error: unknown tool 'nope'.")
    assert "argument `n`" in messages[4]["content"]
    assert "Did you mean `slow`?" in messages[5]["content"]


def test_output_cap_keeps_head_and_tail_and_counts_the_cut():
    capped = Tool(chatty, max_output_chars=120)
    [message] = execute_tool_calls([capped], [ToolCall("chatty", {"n": 1000}, "c")])
    text = message["content"]
    assert text.startswith("00000\n") and text.endswith("00999\n")
    assert "[... 5880 of 6000 characters cut ...]" in text


class CharTokenizer:
    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(chr(i) for i in ids)


def test_token_cap_uses_the_tokenizer_or_four_chars_per_token():
    text = "x" * 1000
    out = cap_output(text, max_tokens=30, tokenizer=CharTokenizer())
    assert "[... 970 of 1000 tokens cut ...]" in out
    assert "[... 880 of 1000 characters cut ...]" in cap_output(text, max_tokens=30)
    assert cap_output("short", max_chars=10, max_tokens=10) == "short"


def test_results_are_text_and_errors_become_messages():
    def listing() -> list[int]:
        """List."""
        return [1, 2]

    [message] = execute_tool_calls([Tool(listing)], [ToolCall("listing", {}, "i")])
    assert message["content"] == "[1, 2]"
    [err] = error_messages(["invalid JSON"])
    assert err["role"] == "tool" and err["content"] == "error: invalid JSON"


@tool(register=False, timeout_s=7)
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def test_tools_pickle_including_decorated_and_stateful_ones():
    import pickle

    search = registry.make("search", documents=["alpha beta", "gamma delta"])
    for original in (shout, registry.make("python", wall_time_s=3), search):
        copy = pickle.loads(pickle.dumps(original))
        assert copy.schema() == original.schema()
        assert (copy.name, copy.timeout_s) == (original.name, original.timeout_s)
    assert pickle.loads(pickle.dumps(shout))(text="hi") == "HI"
    assert pickle.loads(pickle.dumps(search))(query="gamma") == "[1] doc-1: gamma delta"

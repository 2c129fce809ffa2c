"""Property tests: random and adversarial text never breaks a parser, the parse accounts for
every character of the text, and well-formed calls survive a write/parse round trip."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentrl.messages import ToolCall
from agentrl.tools.calls import FORMATS, format_tool_call, parse_tool_calls

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(SETTINGS, max_examples=40)

# Pieces of every format's syntax, so that random text is often nearly (but not quite) a call.
FRAGMENTS = [
    "<tool_call>",
    "</tool_call>",
    "<|python_tag|>",
    "<|eom_id|>",
    "<|eot_id|>",
    '<tool name="f">',
    "<tool name=",
    "</tool>",
    "<tool name='g'/>",
    '<arg name="x">',
    '<arg name="y" type="json">',
    "</arg>",
    "<![CDATA[",
    "]]>",
    '{"name": "f", "arguments": ',
    '{"name": "g", "parameters": ',
    "{",
    "}",
    "[",
    "]",
    '"',
    "\\",
    ":",
    ",",
    ";",
    "1",
    "null",
    " ",
    "\n",
    "x",
    "é",
    "f.call(",
    "q='v'",
    ")",
    "{}",
    '"a"',
    "\x00",
]
adversarial = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
any_text = st.one_of(st.text(max_size=300), adversarial)


def check_accounting(text: str, format: str) -> None:
    parsed = parse_tool_calls(text, format)
    assert len(parsed.calls) + len(parsed.errors) == len(parsed.spans)
    position, kept = 0, []
    for start, end in parsed.spans:
        assert position <= start < end <= len(text)
        kept.append(text[position:start])
        position = end
    kept.append(text[position:])
    assert parsed.content == "".join(kept)
    raws = {text[start:end] for start, end in parsed.spans}
    assert all(call.raw in raws for call in parsed.calls)
    assert all(isinstance(call.arguments, dict) and call.name for call in parsed.calls)
    assert all(isinstance(error, str) and error for error in parsed.errors)


@pytest.mark.parametrize("format", FORMATS)
@SETTINGS
@given(text=any_text)
def test_parsers_never_raise_and_account_for_the_text(format, text):
    check_accounting(text, format)


identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
# Strings without the special tokens a tokenizer would never produce as plain text.
strings = st.text(max_size=30).filter(lambda s: "<|" not in s)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | strings,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(strings, children, max_size=3)
    ),
    max_leaves=6,
)
calls = st.builds(ToolCall, identifiers, st.dictionaries(identifiers, json_values, max_size=4))
# Prose between calls: no markup characters, so it cannot start or end a call itself.
prose = st.text(alphabet=st.characters(blacklist_characters="<>{};|\\", codec="utf-8"), max_size=40)


@pytest.mark.parametrize("format", FORMATS)
@ROUND_TRIP
@given(pieces=st.lists(st.tuples(prose, calls), max_size=3), tail=prose)
def test_well_formed_calls_round_trip(format, pieces, tail):
    text = "".join(words + format_tool_call(call, format) for words, call in pieces) + tail
    parsed = parse_tool_calls(text, format)
    assert parsed.errors == []
    assert [(c.name, c.arguments) for c in parsed.calls] == [
        (c.name, c.arguments) for _, c in pieces
    ]
    assert parsed.content == "".join(words for words, _ in pieces) + tail
    check_accounting(text, format)

from __future__ import annotations

import pytest

from agentrl.errors import ConfigError
from agentrl.spaces import ChatSpace, TextSpace


def test_text_space_contains_any_unicode_string_up_to_max_length():
    space = TextSpace(max_length=5)
    assert "héllo" in space
    assert "数学🙂" in space
    assert "" in space
    assert "toolong" not in space
    assert 5 not in space
    assert b"bytes" not in space


def test_text_space_sample_is_seeded_and_inside():
    a, b = TextSpace(max_length=64), TextSpace(max_length=64)
    a.seed(3)
    b.seed(3)
    samples = [a.sample() for _ in range(20)]
    assert samples == [b.sample() for _ in range(20)]
    assert all(s in a for s in samples)
    assert len(set(samples)) > 10
    assert any(any(ord(c) > 127 for c in s) for s in samples), "samples should exercise unicode"


def test_chat_space_contains_messages_only():
    space = ChatSpace()
    assert [{"role": "user", "content": "hi"}] in space
    assert [] in space
    assert [{"role": "wizard", "content": "hi"}] not in space
    assert [{"role": "user", "content": None}] not in space
    assert [{"role": "user"}] not in space
    assert {"role": "user", "content": "hi"} not in space
    assert ChatSpace(roles=("user",)).contains([{"role": "tool", "content": "x"}]) is False


def test_chat_space_sample_is_seeded_and_inside():
    space = ChatSpace(max_messages=4)
    space.seed(0)
    first = [space.sample() for _ in range(5)]
    space.seed(0)
    assert first == [space.sample() for _ in range(5)]
    assert all(s in space for s in first)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: TextSpace(max_length=0), "max_length=0"),
        (lambda: TextSpace(max_length=3, min_length=4), "min_length"),
        (lambda: ChatSpace(roles=("narrator",)), "roles"),
        (lambda: ChatSpace(max_messages=0), "max_messages=0"),
    ],
)
def test_bad_space_arguments_name_the_value(make, match):
    with pytest.raises(ConfigError, match=match):
        make()

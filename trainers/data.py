"""Chat data to token sequences: SFT examples and preference pairs, via the chat template.

Tokens are produced the way a rollout produces them (`agentrl.tokenizer.ChatSession`: append,
never re-tokenize), so an SFT example and a sampled episode of the same conversation agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError


@dataclass(frozen=True)
class SequenceExample:
    """Token ids of one conversation and a loss mask (1 on assistant tokens)."""

    token_ids: list[int]
    loss_mask: list[int]


@dataclass(frozen=True)
class PreferencePair:
    """A preferred and a dispreferred continuation of one prompt, each a full sequence."""

    chosen: SequenceExample
    rejected: SequenceExample


def _assistant_turn_ids(
    tokenizer: Any, history: list[dict[str, Any]], message: Mapping[str, Any], tools: Any
) -> list[int]:
    """The ids of an assistant turn as a sampler would emit them: the content and any tool
    calls as the template writes them, then the first end-of-turn (EOS) token the template
    puts after them, and nothing after that."""
    content = str(message.get("content") or "")
    turn_message: dict[str, Any] = {"role": "assistant", "content": content}
    if message.get("tool_calls"):
        turn_message["tool_calls"] = message["tool_calls"]
    opened = tokenizer.render(history, tools, True)
    closed = tokenizer.render([*history, turn_message], tools, False)
    turn = closed[len(opened) :] if closed.startswith(opened) else content
    ends = []
    for eos in (tokenizer.decode([i]) for i in tokenizer.eos_token_ids):
        at = turn.find(eos, len(content)) if eos else -1
        if at >= 0:
            ends.append(at + len(eos))
    return list(tokenizer.encode(turn[: min(ends)] if ends else turn))


def chat_example(
    tokenizer: Any, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] | None = None
) -> SequenceExample:
    """Tokenize a conversation with the chat template; the loss mask covers assistant turns
    (their content, tool calls and end-of-turn token), nothing else.

    An assistant turn enters as the sampler would have produced it: its rendered text becomes
    the turn's tokens (tool calls written by the template), and later turns are appended the
    way a rollout appends them (`ChatSession`), so a trained sequence is a rollout's sequence.

    Raises:
        ConfigError: no assistant message, or the conversation starts with one.
    """
    from agentrl.tokenizer import ChatSession

    roles = [m.get("role") for m in messages]
    if "assistant" not in roles:
        raise ConfigError(f"got a conversation with roles {roles}, need an assistant turn")
    first = roles.index("assistant")
    if first == 0:
        raise ConfigError("got a conversation starting with an assistant turn, need a prompt")
    session = ChatSession(tokenizer, tools)
    session.start(list(messages[:first]))
    i = first
    while i < len(messages):
        session.add_completion(_assistant_turn_ids(tokenizer, session.messages, messages[i], tools))
        j = i + 1
        while j < len(messages) and messages[j].get("role") != "assistant":
            j += 1
        if j > i + 1:
            session.add_messages(list(messages[i + 1 : j]))
        i = j
    return SequenceExample(list(session.token_ids), list(session.loss_mask))


def _as_messages(prompt: Any, role: str = "user") -> list[dict[str, Any]]:
    if isinstance(prompt, str):
        return [{"role": role, "content": prompt}]
    return [dict(m) for m in prompt]


def preference_pair(tokenizer: Any, prompt: Any, chosen: Any, rejected: Any) -> PreferencePair:
    """One pair; `prompt` is a string (a user turn) or a message list, `chosen` and `rejected`
    are strings (an assistant turn) or message lists continuing the prompt."""

    def one(response: Any) -> SequenceExample:
        return chat_example(tokenizer, _as_messages(prompt) + _as_messages(response, "assistant"))

    return PreferencePair(one(chosen), one(rejected))


def read_preference_jsonl(path: str | Path, tokenizer: Any) -> list[PreferencePair]:
    """Pairs from a JSONL file with one ``{"prompt", "chosen", "rejected"}`` object per line.

    Raises:
        ConfigError: naming the file, line and missing key.
    """
    pairs = []
    for n, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{n}: not JSON ({e.msg})") from e
        missing = [k for k in ("prompt", "chosen", "rejected") if k not in row]
        if missing:
            raise ConfigError(f"{path}:{n}: missing key(s) {missing}, have {sorted(row)}")
        pairs.append(preference_pair(tokenizer, row["prompt"], row["chosen"], row["rejected"]))
    return pairs

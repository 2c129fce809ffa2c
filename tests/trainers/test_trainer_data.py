"""Chat data to SFT examples and preference pairs with the chat template."""

from __future__ import annotations

import json

import pytest

from agentrl.errors import ConfigError
from agentrl.models.tiny import tiny_tokenizer
from agentrl.trainers.data import chat_example, read_preference_jsonl


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer()


def _masked_text(tok, ex):
    return tok.decode([t for t, m in zip(ex.token_ids, ex.loss_mask) if m])


def test_chat_example_masks_only_assistant_turns(tok):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+3?"},
        {"role": "assistant", "content": "It is 5."},
        {"role": "user", "content": "And 4+4?"},
        {"role": "assistant", "content": "8"},
    ]
    ex = chat_example(tok, messages)
    assert len(ex.token_ids) == len(ex.loss_mask)
    assert _masked_text(tok, ex) == "It is 5.<|im_end|>8<|im_end|>"
    # The whole sequence is the template's rendering of the conversation.
    assert tok.decode(ex.token_ids) == tok.render(messages).rstrip("\n")


def test_chat_example_rejects_conversations_without_a_reply(tok):
    with pytest.raises(ConfigError, match="need an assistant turn"):
        chat_example(tok, [{"role": "user", "content": "hi"}])


def test_preference_jsonl(tok, tmp_path):
    path = tmp_path / "prefs.jsonl"
    rows = [{"prompt": "2+2?", "chosen": "4", "rejected": "5"}, {"prompt": "1+1?", "chosen": "2"}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(ConfigError, match=r"prefs.jsonl:2: missing key\(s\) \['rejected'\]"):
        read_preference_jsonl(path, tok)
    path.write_text(json.dumps(rows[0]) + "\n")
    (pair,) = read_preference_jsonl(path, tok)
    assert _masked_text(tok, pair.chosen) == "4<|im_end|>"
    assert _masked_text(tok, pair.rejected) == "5<|im_end|>"
    n = pair.chosen.loss_mask.index(1)
    assert pair.chosen.token_ids[:n] == pair.rejected.token_ids[:n]  # the same prompt

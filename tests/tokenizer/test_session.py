"""ChatSession: incremental token-in/token-out rendering equals a full render, except where the
template rewrites history (documented, and shown here)."""

from __future__ import annotations

import json

import pytest

from agentrl.tokenizer import ChatSession, IncrementalRenderError, Tokenizer
from agentrl.trajectory import Trajectory

CALC_TOOL = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
    },
}


def _tool_call(expression: str) -> dict:
    return {
        "type": "function",
        "function": {"name": "calculator", "arguments": {"expression": expression}},
    }


# Per family: the prompt, then (sampled assistant text, its structured message, env messages)
# per turn. The sampled text is what the model emits; the structured message is what a full
# render of the finished conversation is given.
EPISODES = {
    "qwen2.5": {
        "tools": [CALC_TOOL],
        "eos": "<|im_end|>",
        "generation_prompt": "<|im_start|>assistant\n",
        "prompt": [
            {"role": "system", "content": "Use the calculator."},
            {"role": "user", "content": "What is 12*7-5?"},
        ],
        "turns": [
            (
                '<tool_call>\n{"name": "calculator", "arguments": {"expression": "12*7"}}'
                "\n</tool_call>",
                {"role": "assistant", "content": "", "tool_calls": [_tool_call("12*7")]},
                [{"role": "tool", "content": "84"}],
            ),
            (
                'Now subtract.\n<tool_call>\n{"name": "calculator", "arguments": '
                '{"expression": "84-5"}}\n</tool_call>',
                {
                    "role": "assistant",
                    "content": "Now subtract.",
                    "tool_calls": [_tool_call("84-5")],
                },
                [{"role": "tool", "content": "79"}, {"role": "tool", "content": "(cached)"}],
            ),
            (
                "12*7-5=79. \\boxed{79}",
                {"role": "assistant", "content": "12*7-5=79. \\boxed{79}"},
                [{"role": "user", "content": "Correct! Now 79+1?"}],
            ),
        ],
    },
    "llama3.1": {
        "tools": [CALC_TOOL],
        "eos": "<|eot_id|>",
        "generation_prompt": "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "prompt": [
            {"role": "system", "content": "Use the calculator."},
            {"role": "user", "content": "What is 12*7-5?"},
        ],
        "turns": [
            (
                '{"name": "calculator", "parameters": {"expression": "12*7"}}',
                {"role": "assistant", "content": "", "tool_calls": [_tool_call("12*7")]},
                [{"role": "tool", "content": "84"}],
            ),
            (
                "12*7-5=79. \\boxed{79}",
                {"role": "assistant", "content": "12*7-5=79. \\boxed{79}"},
                [{"role": "user", "content": "Correct! Now 79+1?"}],
            ),
        ],
    },
    "gemma": {
        "tools": None,
        "eos": "<end_of_turn>",
        "generation_prompt": "<start_of_turn>model\n",
        "prompt": [{"role": "user", "content": "What is 12*7-5?"}],
        "turns": [
            (
                "12*7=84, so 84-5=79. \\boxed{79}",
                {"role": "assistant", "content": "12*7=84, so 84-5=79. \\boxed{79}"},
                [{"role": "user", "content": "Calculator says: 79. Now add 1."}],
            ),
            (
                "\\boxed{80}",
                {"role": "assistant", "content": "\\boxed{80}"},
                [{"role": "user", "content": "Good."}],
            ),
        ],
    },
}


def _play(tok: Tokenizer, episode: dict) -> tuple[ChatSession, list[dict]]:
    session = ChatSession(tok, episode["tools"])
    session.start(episode["prompt"])
    full = list(episode["prompt"])
    for sampled, structured, env_messages in episode["turns"]:
        completion = tok.encode(sampled + episode["eos"])
        session.add_completion(completion, [-0.5] * len(completion))
        appended = session.add_messages(env_messages)
        assert tok.decode(appended).endswith(episode["generation_prompt"])
        full += [structured, *env_messages]
    return session, full


@pytest.mark.parametrize("family", sorted(EPISODES))
def test_incremental_tokens_equal_a_full_render(family, family_dirs):
    tok = Tokenizer.from_pretrained(family_dirs[family])
    episode = EPISODES[family]
    session, full = _play(tok, episode)
    assert session.token_ids == tok.encode_chat(full, episode["tools"])
    assert not session.diverged
    # The bookkeeping is a valid trajectory: masks, log-probs and spans line up.
    Trajectory(
        env_id="test",
        token_ids=session.token_ids,
        loss_mask=session.loss_mask,
        logprobs=session.logprobs,
        spans=session.spans,
    ).validate_invariants()
    policy = [s for s in session.spans if s.role == "policy"]
    assert [s.turn for s in policy] == list(range(len(episode["turns"])))
    for span, (sampled, _, _) in zip(policy, episode["turns"]):
        text = tok.decode(session.token_ids[span.start : span.end])
        assert text == sampled + episode["eos"]


def test_history_is_never_retokenized(family_dirs):
    """A completion whose tokens are not the canonical encoding of its text stays verbatim."""
    tok = Tokenizer.from_pretrained(family_dirs["qwen2.5"])
    session = ChatSession(tok)
    session.start([{"role": "user", "content": "What is 2+3?"}])
    # Byte-by-byte tokens of "the answer": a sampler may produce these, BPE would merge them.
    odd = [tok.token_to_id(t) for t in ["t", "h", "e", "Ġ", "a", "n", "s", "w", "e", "r"]]
    odd.append(tok.token_to_id("<|im_end|>"))
    assert tok.encode(tok.decode(odd)) != odd
    session.add_completion(odd)
    session.add_messages([{"role": "user", "content": "and?"}])
    start = session.spans[1].start
    assert session.token_ids[start : start + len(odd)] == odd
    assert session.text == tok.render(session.messages, add_generation_prompt=True)


def test_truncated_completion_is_closed_by_the_template(family_dirs):
    tok = Tokenizer.from_pretrained(family_dirs["qwen2.5"])
    session = ChatSession(tok)
    session.start([{"role": "user", "content": "Count."}])
    session.add_completion(tok.encode("1 2 3 4"))  # hit max_tokens: no <|im_end|>
    appended = session.add_messages([{"role": "user", "content": "Go on."}])
    assert tok.decode(appended).startswith("<|im_end|>\n<|im_start|>user\nGo on.")
    full = tok.encode_chat(
        [
            {"role": "user", "content": "Count."},
            {"role": "assistant", "content": "1 2 3 4"},
            {"role": "user", "content": "Go on."},
        ]
    )
    assert session.token_ids == full


def test_templates_that_drop_old_think_blocks_diverge(family_dirs):
    """Known exception: Qwen 3 style templates remove earlier <think> blocks from history.

    The session keeps the tokens the policy actually saw and sampled; a full render of the
    same conversation is shorter, because it drops the first turn's reasoning.
    """
    tok = Tokenizer.from_pretrained(family_dirs["qwen3-style"])
    session = ChatSession(tok)
    session.start([{"role": "user", "content": "What is 2+3?"}])
    sampled = "<think>\n2+3 is 5.\n</think>\n\n\\boxed{5}"
    session.add_completion(tok.encode(sampled + "<|im_end|>"))
    session.add_messages([{"role": "user", "content": "And 5+1?"}])
    assert session.diverged
    assert "<think>\n2+3 is 5.\n</think>" in session.text
    full_text = tok.render(session.messages, add_generation_prompt=True)
    assert "<think>" not in full_text
    assert session.token_ids != tok.encode(full_text)
    # What was appended is still exactly the new user turn and the generation prompt.
    assert session.text.endswith(
        "<|im_end|>\n<|im_start|>user\nAnd 5+1?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_trimming_templates_close_after_eos(family_dirs):
    """Llama 3 trims assistant text; a completion with trailing spaces keeps them verbatim."""
    tok = Tokenizer.from_pretrained(family_dirs["llama3.1"])
    session = ChatSession(tok)
    session.start([{"role": "user", "content": "Hi"}])
    session.add_completion(tok.encode("Hello!  <|eot_id|>"))
    appended = session.add_messages([{"role": "user", "content": "Bye"}])
    assert session.diverged
    assert tok.decode(appended) == (
        "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_misuse_is_reported(family_dirs):
    tok = Tokenizer.from_pretrained(family_dirs["qwen2.5"])
    session = ChatSession(tok)
    with pytest.raises(IncrementalRenderError, match="start"):
        session.add_completion([1, 2])
    session.start([{"role": "user", "content": "x"}])
    with pytest.raises(IncrementalRenderError, match="must follow add_completion"):
        session.add_messages([{"role": "user", "content": "y"}])
    with pytest.raises(IncrementalRenderError, match="got 1 logprobs for 2 tokens"):
        session.add_completion([5, 6], [-1.0])
    session.add_completion([5, 6])
    with pytest.raises(IncrementalRenderError, match="two completions in a row"):
        session.add_completion([5])
    twin = session.copy()
    twin.add_messages([{"role": "user", "content": "branch"}])
    assert len(twin.token_ids) > len(session.token_ids)
    assert json.dumps(session.messages)  # messages stay plain JSON

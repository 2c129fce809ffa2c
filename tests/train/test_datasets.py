"""Files of your own (`agentrl.train.datasets`): chat records and preference pairs, in every
format, checked record by record, rendered as rollouts render them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrl.errors import ConfigError
from agentrl.models.tiny import tiny_tokenizer
from agentrl.train.datasets import (
    data_kind,
    fit_context,
    read_chats,
    read_own_data,
    read_preferences,
    same_vocabulary,
)
from agentrl.wrappers import normalize_prompt

ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "add two numbers",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
}


def tool_chat(a: int, b: int) -> dict[str, Any]:
    """An OpenAI-format conversation with a tool call, its result and a final answer."""
    call = {"name": "add", "arguments": json.dumps({"a": a, "b": b})}
    return {
        "messages": [
            {"role": "system", "content": "Use the tool."},
            {"role": "user", "content": f"What is {a} + {b}?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": call}
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": str(a + b)},
            {"role": "assistant", "content": f"\\boxed{{{a + b}}}"},
        ],
        "tools": [ADD],
    }  # fmt: skip


def write(path: Path, rows: list[Any]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows))
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:  # the layout of datasets.save_to_disk: Arrow stream files named by state.json
        import pyarrow as pa

        path.mkdir()
        table = pa.Table.from_pylist(rows)
        arrow = str(path / "data-00000-of-00001.arrow")
        with pa.OSFile(arrow, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        state = {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_split": None}
        (path / "state.json").write_text(json.dumps(state))
        (path / "dataset_info.json").write_text("{}")
    return path


@pytest.fixture(scope="module")
def tok() -> Any:
    return tiny_tokenizer()


def _masked(tok: Any, ex: Any) -> str:
    return tok.decode([t for t, m in zip(ex.token_ids, ex.loss_mask) if m])


@pytest.mark.parametrize("name", ["chat.jsonl", "chat.json", "chat.parquet", "saved"])
def test_chat_records_in_every_format_render_as_a_rollout_does(
    name: str, tok: Any, tmp_path: Path
) -> None:
    path = write(tmp_path / name, [tool_chat(3, 4), tool_chat(5, 6)])
    assert data_kind(path) == "chat"
    chats = read_chats(path)
    assert [c.prompt for c in chats] == ["What is 3 + 4?", "What is 5 + 6?"]
    ex = chats[0].example(tok)
    # The loss covers the assistant's tool call (as the template writes it) and its answer,
    # each with its end of turn; the system prompt, tool list and tool result stay out.
    assert _masked(tok, ex) == (
        '<tool_call>\n{"name": "add", "arguments": {"a": 3, "b": 4}}\n</tool_call><|im_end|>'
        "\\boxed{7}<|im_end|>"
    )
    # The whole sequence is the template's rendering of the conversation, tools included:
    # Parquet and Arrow's null fields (content None, no tool_calls) read as absent.
    original = tool_chat(3, 4)
    original["messages"][2]["content"] = ""
    full = tok.render(original["messages"], original["tools"])
    assert tok.decode(ex.token_ids) == full.rstrip("\n")


def test_a_saved_dataset_dict_reads_its_train_split(tmp_path: Path) -> None:
    folder = tmp_path / "dd"
    folder.mkdir()
    write(folder / "train", [tool_chat(1, 2)])
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": ["train"]}))
    assert [c.prompt for c in read_chats(folder)] == ["What is 1 + 2?"]
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": ["test"]}))
    with pytest.raises(ConfigError, match=r"splits \['test'\], none named 'train'"):
        read_chats(folder)


def test_tools_given_as_a_json_string_and_content_parts(tok: Any, tmp_path: Path) -> None:
    row = tool_chat(2, 2)
    row["tools"] = json.dumps(row["tools"])
    row["messages"][1]["content"] = [{"type": "text", "text": "What is "}, {"text": "2 + 2?"}]
    (chat,) = read_chats(write(tmp_path / "c.jsonl", [row]))
    assert chat.tools == [ADD] and chat.prompt == "What is 2 + 2?"


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (
            {"question": "hi", "reply": "x"},
            r"c.jsonl record 1: has fields \['question', 'reply'\], need 'messages'",
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}]},
            r"c.jsonl record 1: roles \['user'\] need an assistant turn",
        ),
        (
            {"messages": [{"role": "bot", "content": "hi"}]},
            r"record 1: 'messages'\[0\] needs a role in .*, got 'bot'",
        ),
        ({"messages": "hi"}, r"record 1: 'messages' must be a non-empty list"),
        ({**tool_chat(1, 1), "tools": "{oops"}, r"record 1: 'tools' is text but not JSON"),
    ],
)
def test_bad_chat_records_are_named(row: Any, match: str, tmp_path: Path) -> None:
    path = write(tmp_path / "c.jsonl", [tool_chat(1, 1), row])
    with pytest.raises(ConfigError, match=match):
        read_chats(path)


def test_preference_pairs_strings_and_message_lists(tok: Any, tmp_path: Path) -> None:
    rows = [
        {"prompt": "2+2?", "chosen": "4", "rejected": "5"},
        {
            "prompt": [{"role": "user", "content": "3+3?"}],
            "chosen": [{"role": "assistant", "content": "6"}],
            "rejected": [{"role": "assistant", "content": "7"}],
        },
    ]
    path = write(tmp_path / "p.jsonl", rows)  # one column, two types: not Parquet
    assert data_kind(path) == "preference"
    first, second = read_preferences(path)
    assert second.prompt_text == "3+3?"
    pair = second.pair(tok)
    assert _masked(tok, pair.chosen) == "6<|im_end|>"
    assert _masked(tok, pair.rejected) == "7<|im_end|>"
    assert _masked(tok, first.pair(tok).chosen) == "4<|im_end|>"
    bad = write(tmp_path / "b.jsonl", [rows[0], {"prompt": "x", "chosen": "y"}])
    with pytest.raises(ConfigError, match=r"b.jsonl record 1: has fields \['chosen', 'prompt'\]"):
        read_preferences(bad)


def test_trl_implicit_prompt_pairs(tok: Any, tmp_path: Path) -> None:
    ask = [{"role": "system", "content": "Be exact."}, {"role": "user", "content": "3+3?"}]
    row = {
        "chosen": [*ask, {"role": "assistant", "content": "6"}],
        "rejected": [*ask, {"role": "assistant", "content": "7"}],
    }
    path = write(tmp_path / "p.jsonl", [row])
    assert data_kind(path) == "preference"
    (pref,) = read_preferences(path)
    assert pref.prompt == ask and pref.prompt_text == "3+3?"
    pair = pref.pair(tok)
    assert _masked(tok, pair.chosen) == "6<|im_end|>"
    assert _masked(tok, pair.rejected) == "7<|im_end|>"
    same = write(tmp_path / "s.jsonl", [{"chosen": row["chosen"], "rejected": row["chosen"]}])
    with pytest.raises(ConfigError, match=r"record 0: 'chosen' and 'rejected' share 2 opening"):
        read_preferences(same)


def test_a_run_takes_only_the_kind_its_algo_learns_from(tmp_path: Path) -> None:
    chats = write(tmp_path / "c.jsonl", [tool_chat(1, 2), tool_chat(3, 4)])
    prefs = write(tmp_path / "p.jsonl", [{"prompt": "a", "chosen": "b", "rejected": "c"}])
    other = write(tmp_path / "o.jsonl", [{"question": "q", "answer": "1"}])
    assert len(read_own_data(str(chats), "sft", set()).chats) == 2
    assert len(read_own_data(str(chats), "distill", set(), mode="feature").chats) == 2
    assert len(read_own_data(str(prefs), "dpo", set()).pairs) == 1
    with pytest.raises(ConfigError, match=r"\(chat data\) with algo=dpo; chat data trains with"):
        read_own_data(str(chats), "dpo", set())
    with pytest.raises(ConfigError, match=r"with algo=distill \(distill.mode=on_policy\)"):
        read_own_data(str(chats), "distill", set(), mode="on_policy")
    with pytest.raises(ConfigError, match=r"\(preference pairs\) with algo=grpo"):
        read_own_data(str(prefs), "grpo", set())
    with pytest.raises(ConfigError, match=r"record 0 has fields \['answer', 'question'\]"):
        read_own_data(str(other), "sft", set())
    # Held-out problems stay held out: their records are left out, and counted.
    own = read_own_data(str(chats), "sft", {normalize_prompt("What is 1 + 2?")})
    assert [c.prompt for c in own.chats] == ["What is 3 + 4?"] and own.held_out == 1
    with pytest.raises(ConfigError, match="none of its 1 records is left"):
        read_own_data(str(prefs), "dpo", {normalize_prompt("a")})


def test_long_sequences_are_cut_at_the_context(tok: Any, tmp_path: Path) -> None:
    ex = read_chats(write(tmp_path / "c.jsonl", [tool_chat(1, 2)]))[0].example(tok)
    first = ex.loss_mask.index(1)
    kept, cut, dropped = fit_context([ex], first + 3)
    assert (cut, dropped) == (1, 0) and len(kept[0].token_ids) == first + 3
    assert sum(kept[0].loss_mask) == 3
    assert fit_context([ex], first) == ([], 1, 1)
    assert fit_context([ex], len(ex.token_ids)) == ([ex], 0, 0)


def test_different_tokenizers_name_both_vocabularies(tok: Any) -> None:
    import tokenizers

    from agentrl.tokenizer import Tokenizer

    same_vocabulary(tok, tiny_tokenizer(), "student", "teacher")  # the same: no error
    backend = tokenizers.Tokenizer(tokenizers.models.WordLevel({"<|im_end|>": 0, "a": 1}, "a"))
    other = Tokenizer(backend, eos_token="<|im_end|>")
    with pytest.raises(
        ConfigError,
        match=r"teacher's tokenizer \(big: 2 tokens\) differs from the student's "
        r"\(tiny: 512 tokens\), e\.g\. token",
    ):
        same_vocabulary(tok, other, "tiny", "big")

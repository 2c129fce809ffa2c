"""Training data of your own: chat conversations (SFT, distillation) and preference pairs (DPO).

A file is JSON Lines, a JSON list or Parquet, or a folder written by Hugging Face
``datasets.save_to_disk`` (its Arrow files are read with pyarrow; ``datasets`` is not needed).
What a record holds decides what it is:

- chat: ``{"messages": [...], "tools": [...]}`` in the OpenAI / Hugging Face chat format
  (roles system, user, assistant, tool; assistant ``tool_calls``; ``tools`` optional, a list of
  function schemas or that list as a JSON string). The loss covers the assistant turns only.
- preference: ``{"prompt", "chosen", "rejected"}``, TRL's format: a prompt string (a user turn)
  or message list, and two responses, each a string (an assistant turn) or a message list; or
  TRL's implicit prompt, ``{"chosen", "rejected"}`` as two whole conversations whose shared
  opening is the prompt.
- anything else is the env's own format (``env.data``), which the env reads.

Every record is checked before a run starts; an error names the file, the record and the fields
it found. Records whose prompt is a held-out problem are left out, so the held-out evaluation
stays held out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentrl.errors import ConfigError
from agentrl.wrappers import normalize_prompt

DataKind = Literal["chat", "preference", "env"]
PREFERENCE_FIELDS = ("prompt", "chosen", "rejected")
ROLES = ("system", "developer", "user", "assistant", "tool")


@dataclass(frozen=True)
class Chat:
    """One conversation to learn the assistant turns of."""

    messages: list[dict[str, Any]]
    tools: list[Any] | None = None

    @property
    def prompt(self) -> str:
        """The first user turn's text: what the run records as trained on."""
        return next((m["content"] for m in self.messages if m["role"] == "user"), "")

    def example(self, tokenizer: Any) -> Any:
        from agentrl.trainers.data import chat_example

        return chat_example(tokenizer, self.messages, self.tools)


@dataclass(frozen=True)
class Preference:
    """One preference pair, its parts as given (strings or message lists)."""

    prompt: str | list[dict[str, Any]]
    chosen: str | list[dict[str, Any]]
    rejected: str | list[dict[str, Any]]

    @property
    def prompt_text(self) -> str:
        if isinstance(self.prompt, str):
            return self.prompt
        return next((m["content"] for m in self.prompt if m["role"] == "user"), "")

    def pair(self, tokenizer: Any) -> Any:
        from agentrl.trainers.data import preference_pair

        return preference_pair(tokenizer, self.prompt, self.chosen, self.rejected)


# -- reading ------------------------------------------------------------------------------------
def read_table(path: str | Path) -> list[Any]:
    """The records of a JSON, JSONL or Parquet file or a ``save_to_disk`` folder."""
    path = Path(path)
    if path.is_dir():
        return _read_saved_dataset(path)
    from agentrl.envs.data import DataError, read_records

    try:
        return read_records(path)
    except DataError as e:
        raise ConfigError(str(e)) from None


def _read_saved_dataset(folder: Path) -> list[Any]:
    """The rows of a ``datasets.save_to_disk`` folder: a Dataset (``state.json`` naming its
    Arrow files) or a DatasetDict (``dataset_dict.json``; its ``train`` split)."""
    import pyarrow as pa

    dict_file = folder / "dataset_dict.json"
    if dict_file.is_file():
        splits = json.loads(dict_file.read_text()).get("splits", [])
        if "train" not in splits:
            raise ConfigError(
                f"{folder} is a saved DatasetDict with splits {splits}, none named 'train'; "
                "pass the split's folder"
            )
        folder = folder / "train"
    state = folder / "state.json"
    if not state.is_file():
        raise ConfigError(
            f"{folder} is a folder but not one written by datasets.save_to_disk (no state.json); "
            "pass a .jsonl, .json or .parquet file"
        )
    files = [f["filename"] for f in json.loads(state.read_text()).get("_data_files", [])]
    rows: list[Any] = []
    for name in files:
        try:
            with pa.memory_map(str(folder / name)) as source:
                rows += pa.ipc.open_stream(source).read_all().to_pylist()
        except (OSError, pa.ArrowInvalid) as e:
            raise ConfigError(f"{folder / name}: cannot read as an Arrow file ({e})") from None
    return rows


def kind_of(record: Any) -> DataKind:
    """What a record is, by its fields."""
    if isinstance(record, Mapping):
        if "messages" in record:
            return "chat"
        if all(k in record for k in PREFERENCE_FIELDS):
            return "preference"
        if "chosen" in record and "rejected" in record and "prompt" not in record:
            return "preference"  # TRL's implicit prompt
    return "env"


def data_kind(path: str | Path) -> DataKind:
    """What a file holds, by its first record (an empty file is the env's problem to report)."""
    records = read_table(path)
    return kind_of(records[0]) if records else "env"


def fields_found(path: str | Path, index: int = 0) -> str:
    """A record's fields, for errors: ``record 0 has fields ['a', 'b']``."""
    records = read_table(path)
    if index >= len(records):
        return "the file has no records"
    record = records[index]
    if not isinstance(record, Mapping):
        return f"record {index} is a {type(record).__name__}, not an object"
    return f"record {index} has fields {sorted(record)}"


def _drop_nulls(value: Any) -> Any:
    """Arrow and Parquet rows carry every struct field, absent ones as None: drop those, so a
    template sees a plain message has no ``tool_calls`` instead of a null one."""
    if isinstance(value, Mapping):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _messages(where: str, value: Any, *, what: str = "'messages'") -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: {what} must be a non-empty list of messages, got {value!r}")
    out = []
    for k, m in enumerate(value):
        if not isinstance(m, Mapping) or m.get("role") not in ROLES:
            got = m.get("role") if isinstance(m, Mapping) else type(m).__name__
            raise ConfigError(f"{where}: {what}[{k}] needs a role in {list(ROLES)}, got {got!r}")
        m = dict(_drop_nulls(m))
        content = m.get("content")
        if isinstance(content, list):  # OpenAI content parts: the text ones, joined
            content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
        elif content is not None and not isinstance(content, str):
            raise ConfigError(f"{where}: {what}[{k}].content must be text, got {content!r}")
        m["content"] = content or ""
        if m["role"] == "developer":
            m["role"] = "system"
        out.append(m)
    return out


def _tools(where: str, value: Any) -> list[Any] | None:
    if isinstance(value, str):  # datasets often keep the schemas as one JSON string
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{where}: 'tools' is text but not JSON ({e.msg})") from None
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise ConfigError(f"{where}: 'tools' must be a list of function schemas, got {value!r}")
    return [_drop_nulls(t) for t in value]


def read_chats(path: str | Path) -> list[Chat]:
    """Every record of `path` as a `Chat`.

    Raises:
        ConfigError: a record without ``messages`` (naming the fields it has), a message
            without a known role, or a conversation without an assistant turn after a prompt.
    """
    chats = []
    for i, record in enumerate(read_table(path)):
        where = f"{path} record {i}"
        if kind_of(record) != "chat":
            raise ConfigError(f"{where}: {_found(record)}, need 'messages' (chat data)")
        messages = _messages(where, record["messages"])
        roles = [m["role"] for m in messages]
        if "assistant" not in roles or roles[0] == "assistant":
            raise ConfigError(
                f"{where}: roles {roles} need an assistant turn after a prompt to learn from"
            )
        chats.append(Chat(messages, _tools(where, record.get("tools"))))
    return chats


def read_preferences(path: str | Path) -> list[Preference]:
    """Every record of `path` as a `Preference`.

    Raises:
        ConfigError: a record without the three fields (naming those it has), or a part that
            is neither text nor a message list.
    """
    pairs = []
    for i, record in enumerate(read_table(path)):
        where = f"{path} record {i}"
        if kind_of(record) != "preference":
            need = ", ".join(repr(f) for f in PREFERENCE_FIELDS)
            raise ConfigError(f"{where}: {_found(record)}, need {need} (preference pairs)")
        if "prompt" not in record:
            pairs.append(_implicit_prompt(where, record))
            continue
        parts: list[str | list[dict[str, Any]]] = []
        for name in PREFERENCE_FIELDS:
            value = _drop_nulls(record[name])
            if isinstance(value, str):
                if not value.strip():
                    raise ConfigError(f"{where}: {name!r} is empty")
                parts.append(value)
            else:
                parts.append(_messages(where, value, what=repr(name)))
        pairs.append(Preference(*parts))
    return pairs


def _implicit_prompt(where: str, record: Mapping[str, Any]) -> Preference:
    """A pair given as two whole conversations: the messages both open with are the prompt,
    which must end before an assistant turn."""
    chosen = _messages(where, _drop_nulls(record["chosen"]), what="'chosen'")
    rejected = _messages(where, _drop_nulls(record["rejected"]), what="'rejected'")
    shared = 0
    while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
        shared += 1
    while shared and chosen[shared - 1]["role"] == "assistant":
        shared -= 1  # a shared assistant turn after the last prompt belongs to the responses
    if not shared or shared in (len(chosen), len(rejected)) or chosen == rejected:
        raise ConfigError(
            f"{where}: 'chosen' and 'rejected' share {shared} opening messages; without a "
            "'prompt' they must open with the same prompt and then differ"
        )
    return Preference(chosen[:shared], chosen[shared:], rejected[shared:])


def _found(record: Any) -> str:
    if not isinstance(record, Mapping):
        return f"a {type(record).__name__}, not an object"
    return f"has fields {sorted(record)}"


# -- a run's own data ---------------------------------------------------------------------------
# Which algos learn from which kind of file.
USES = {"sft": "chat", "distill": "chat", "dpo": "preference"}


@dataclass
class OwnData:
    """A run's data file, read, checked and with held-out problems left out."""

    path: str
    kind: DataKind
    chats: list[Chat]
    pairs: list[Preference]
    held_out: int  # records left out because their prompt is a held-out problem

    @property
    def prompts(self) -> list[str]:
        return [c.prompt for c in self.chats] + [p.prompt_text for p in self.pairs]


def read_own_data(path: str, algo: str, heldout: set[str], mode: str | None = None) -> OwnData:
    """The data file `path` of a run of `algo` (``mode``: distillation's), held-out prompts
    (normalized, `heldout`) left out.

    Raises:
        ConfigError: the file is not what `algo` learns from, a record is malformed, or no
            record is left.
    """
    kind = data_kind(path)
    want = USES.get(algo)
    if algo == "distill" and mode == "on_policy":
        want = None  # the student's own rollouts are its data
    if want is None or kind != want:
        what = {"chat": "chat data", "preference": "preference pairs", "env": "neither"}[kind]
        fit = {
            "chat": "--algo sft or --algo distill (logit or feature)",
            "preference": "--algo dpo",
        }
        hint = f"; {what} trains with {fit[kind]}" if kind in fit else ""
        if kind == "env":
            hint = (
                f": {fields_found(path)}; need 'messages' (chat data) or 'prompt', 'chosen', "
                "'rejected' (preference pairs)"
            )
        mode_text = f" (distill.mode={mode})" if algo == "distill" else ""
        raise ConfigError(f"got data={path!r} ({what}) with algo={algo}{mode_text}{hint}")
    chats = read_chats(path) if kind == "chat" else []
    pairs = read_preferences(path) if kind == "preference" else []
    kept_chats = [c for c in chats if normalize_prompt(c.prompt) not in heldout]
    kept_pairs = [p for p in pairs if normalize_prompt(p.prompt_text) not in heldout]
    dropped = len(chats) + len(pairs) - len(kept_chats) - len(kept_pairs)
    if not kept_chats and not kept_pairs:
        raise ConfigError(
            f"data={path!r}: none of its {len(chats) + len(pairs)} records is left to train on "
            f"({dropped} are held-out problems)"
        )
    return OwnData(path, kind, kept_chats, kept_pairs, dropped)


def same_vocabulary(student: Any, teacher: Any, student_name: str, teacher_name: str) -> None:
    """Raise unless the two tokenizers map the same tokens to the same ids.

    Raises:
        ConfigError: naming both vocabularies (their sizes and a token they disagree on).
    """
    s_vocab = student.backend.get_vocab(with_added_tokens=True)
    t_vocab = teacher.backend.get_vocab(with_added_tokens=True)
    if s_vocab == t_vocab:
        return
    differ = sorted(set(s_vocab.items()) ^ set(t_vocab.items()), key=lambda kv: kv[1])
    token, _ = differ[0]
    raise ConfigError(
        f"the teacher's tokenizer ({teacher_name}: {len(t_vocab)} tokens) differs from the "
        f"student's ({student_name}: {len(s_vocab)} tokens), e.g. token {token!r} is "
        f"{t_vocab.get(token)} in the teacher's and {s_vocab.get(token)} in the student's; "
        "distillation scores the student's token ids with the teacher, so both need the same "
        "vocabulary"
    )


def fit_context(examples: list[Any], max_context: int) -> tuple[list[Any], int, int]:
    """Examples cut to `max_context` tokens (as a rollout is), those left with no assistant
    token dropped: (kept, how many were cut, how many dropped)."""
    from agentrl.trainers.data import SequenceExample

    kept, cut, dropped = [], 0, 0
    for ex in examples:
        if len(ex.token_ids) > max_context:
            cut += 1
            ex = SequenceExample(ex.token_ids[:max_context], ex.loss_mask[:max_context])
            if not any(ex.loss_mask):
                dropped += 1
                continue
        kept.append(ex)
    return kept, cut, dropped

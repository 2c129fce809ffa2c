"""`Tokenizer`: a Hugging Face ``tokenizer.json`` plus the checkpoint's chat template.

It reads and writes the files a Hugging Face checkpoint folder carries (``tokenizer.json``,
``tokenizer_config.json``, optionally ``chat_template.jinja`` and ``generation_config.json``),
so a folder saved here loads in ``transformers.AutoTokenizer`` and vice versa.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tokenizers

from agentrl.errors import ModelError
from agentrl.tokenizer.template import ChatTemplateError, render_template

_SPECIAL_KEYS = ("bos_token", "eos_token", "pad_token", "unk_token")


def _token_text(value: Any) -> str | None:
    """tokenizer_config.json stores a special token as a string or an AddedToken dict."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("content"), str):
        return str(value["content"])
    raise ModelError(f"cannot read special token {value!r} from tokenizer_config.json")


def _select_template(value: Any) -> str | None:
    """``chat_template`` is a string or a list of named templates; pick "default"."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        named = {str(t.get("name")): t.get("template") for t in value if isinstance(t, Mapping)}
        if "default" in named:
            return str(named["default"])
        raise ModelError(f"chat_template list has no 'default' entry, only {sorted(named)}")
    raise ModelError(f"chat_template must be a string or a list, got {type(value).__name__}")


def tool_schema(tool: Any) -> dict[str, Any]:
    """An OpenAI function schema from a dict or from an object with a ``schema`` mapping."""
    if isinstance(tool, Mapping):
        return dict(tool)
    schema = getattr(tool, "schema", None)
    if callable(schema):
        schema = schema()
    if isinstance(schema, Mapping):
        return dict(schema)
    raise ChatTemplateError(f"cannot turn {tool!r} into a tool schema (need a dict or .schema)")


class Tokenizer:
    """A byte-level (or any `tokenizers`) tokenizer with the checkpoint's chat template.

    Args:
        backend: the `tokenizers.Tokenizer` (the content of ``tokenizer.json``).
        chat_template: Jinja chat-template source, or None.
        eos_token: text of the end-of-sequence token.
        bos_token: text of the beginning-of-sequence token, if the model has one.
        pad_token: text of the padding token; defaults to the EOS token.
        extra_eos_token_ids: further ids that end generation (``generation_config.json``).
        config: the rest of ``tokenizer_config.json``, kept so saving round-trips it.
    """

    def __init__(
        self,
        backend: tokenizers.Tokenizer,
        *,
        chat_template: str | None = None,
        eos_token: str | None = None,
        bos_token: str | None = None,
        pad_token: str | None = None,
        extra_eos_token_ids: Iterable[int] = (),
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.backend = backend
        self.chat_template = chat_template
        self.eos_token = eos_token
        self.bos_token = bos_token
        self.pad_token = pad_token
        self.config = dict(config or {})
        for name, text in (("eos", eos_token), ("bos", bos_token), ("pad", pad_token)):
            if text is not None and backend.token_to_id(text) is None:
                raise ModelError(f"{name}_token {text!r} is not in the vocabulary")
        eos = [self.token_to_id(eos_token)] if eos_token is not None else []
        eos += [i for i in extra_eos_token_ids if i not in eos]
        self.eos_token_ids: tuple[int, ...] = tuple(eos)

    # --- loading and saving -----------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path: str | Path) -> Tokenizer:
        """Load ``tokenizer.json`` and ``tokenizer_config.json`` from a checkpoint folder."""
        folder = Path(path)
        if not (folder / "tokenizer.json").is_file():
            raise ModelError(f"{folder} has no tokenizer.json")
        backend = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        config = _read_json(folder / "tokenizer_config.json")
        template = _select_template(config.get("chat_template"))
        if (folder / "chat_template.jinja").is_file():
            template = (folder / "chat_template.jinja").read_text(encoding="utf-8")
        generation = _read_json(folder / "generation_config.json")
        extra_eos = generation.get("eos_token_id", [])
        extra_eos = [extra_eos] if isinstance(extra_eos, int) else list(extra_eos or [])
        tokens = {key: _token_text(config.get(key)) for key in _SPECIAL_KEYS}
        return cls(
            backend,
            chat_template=template,
            eos_token=tokens["eos_token"],
            bos_token=tokens["bos_token"],
            pad_token=tokens["pad_token"],
            extra_eos_token_ids=extra_eos,
            config={k: v for k, v in config.items() if k not in (*_SPECIAL_KEYS, "chat_template")},
        )

    def save_pretrained(self, path: str | Path) -> None:
        """Write ``tokenizer.json`` and ``tokenizer_config.json`` (with the chat template).

        Extra EOS ids go to ``generation_config.json`` only when that file does not exist yet
        (a model's own generation config, written by `agentrl.models.save`, wins).
        """
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self.backend.save(str(folder / "tokenizer.json"))
        config: dict[str, Any] = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "clean_up_tokenization_spaces": False,
            **self.config,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
            "pad_token": self.pad_token,
        }
        if self.chat_template is not None:
            config["chat_template"] = self.chat_template
        _write_json(folder / "tokenizer_config.json", config)
        generation = folder / "generation_config.json"
        if len(self.eos_token_ids) > 1 and not generation.exists():
            _write_json(generation, {"eos_token_id": list(self.eos_token_ids)})

    # --- plain text -------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of token ids, added tokens included."""
        return int(self.backend.get_vocab_size(with_added_tokens=True))

    @property
    def pad_token_id(self) -> int:
        """The padding id: the pad token, else the first EOS id, else 0."""
        if self.pad_token is not None:
            return self.token_to_id(self.pad_token)
        return self.eos_token_ids[0] if self.eos_token_ids else 0

    @property
    def bos_token_id(self) -> int | None:
        return None if self.bos_token is None else self.token_to_id(self.bos_token)

    def token_to_id(self, token: str) -> int:
        """The id of one token (special or not); raises if it is not in the vocabulary."""
        token_id = self.backend.token_to_id(token)
        if token_id is None:
            raise ModelError(f"token {token!r} is not in the vocabulary")
        return int(token_id)

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`; special-token text (``<|im_start|>``) becomes its one id.

        No BOS or other tokens are added: chat templates write them themselves.
        """
        return list(self.backend.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Sequence[int], *, skip_special_tokens: bool = False) -> str:
        """Text of `ids`, special tokens included unless `skip_special_tokens`."""
        return str(self.backend.decode(list(ids), skip_special_tokens=skip_special_tokens))

    # --- chat -------------------------------------------------------------------------------

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Any] | None = None,
        add_generation_prompt: bool = False,
        **template_vars: Any,
    ) -> str:
        """The chat template's text for `messages` (and tool schemas `tools`)."""
        if self.chat_template is None:
            raise ChatTemplateError("this tokenizer has no chat template")
        return render_template(
            self.chat_template,
            messages,
            tools=[tool_schema(t) for t in tools] if tools else None,
            add_generation_prompt=add_generation_prompt,
            # Like transformers: only the special tokens the tokenizer has are defined.
            special_tokens={
                name: text
                for name, text in (
                    ("bos_token", self.bos_token),
                    ("eos_token", self.eos_token),
                    ("pad_token", self.pad_token),
                )
                if text is not None
            },
            **template_vars,
        )

    def encode_chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Any] | None = None,
        add_generation_prompt: bool = True,
        **template_vars: Any,
    ) -> list[int]:
        """Token ids of the rendered chat (what ``apply_chat_template(tokenize=True)`` gives)."""
        return self.encode(self.render(messages, tools, add_generation_prompt, **template_vars))

    def __repr__(self) -> str:
        return (
            f"Tokenizer(vocab_size={self.vocab_size}, eos={self.eos_token!r}, "
            f"chat_template={'yes' if self.chat_template else 'no'})"
        )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ModelError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ModelError(f"{path} must hold a JSON object, got {type(data).__name__}")
    return data


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

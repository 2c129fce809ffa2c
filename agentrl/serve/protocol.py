"""The OpenAI wire format: request models (what we accept) and response bodies (what we send).

Requests follow the OpenAI API plus the vLLM extensions agentrl's own client uses (``top_k``,
``min_p``, ``stop_token_ids``, ``include_stop_str_in_output``, ``return_tokens_as_token_ids``,
``return_token_ids``, a token-id list as ``prompt``). Unknown fields are ignored, as OpenAI
clients send many optional ones, but a known field this server cannot honour (penalties,
``logit_bias``, top alternatives in log-probs, ``best_of``, a forced ``tool_choice``) is
rejected with HTTP 400 when set to anything but its no-op value: never silently dropped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentrl.errors import ConfigError
from agentrl.sampling.base import Completion, SamplingParams


class APIError(Exception):
    """An error answered as OpenAI's ``{"error": {...}}`` body with an HTTP status."""

    def __init__(self, status: int, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param

    def body(self) -> dict[str, Any]:
        kind = {401: "authentication_error", 404: "not_found_error", 413: "request_too_large"}
        return {
            "error": {
                "message": self.message,
                "type": kind.get(self.status, "invalid_request_error"),
                "param": self.param,
                "code": self.status,
            }
        }


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class SamplingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    top_k: int = 0  # vLLM writes -1 for "off"; anything <= 0 is off
    min_p: float = Field(0.0, ge=0, lt=1)
    n: int = Field(1, ge=1, le=64)
    stop: str | list[str] | None = None
    stop_token_ids: list[int] | None = None
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    include_stop_str_in_output: bool = False
    return_tokens_as_token_ids: bool = False
    return_token_ids: bool = False
    skip_special_tokens: bool = True
    user: str | None = None  # names the session (agentrl.serve.sessions)
    # Accepted by OpenAI/vLLM, not implemented here: only their no-op values pass (`unsupported`).
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    repetition_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    best_of: int | None = None
    use_beam_search: bool | None = None
    length_penalty: float | None = None
    min_tokens: int | None = None

    def unsupported(self) -> APIError | None:
        """A 400 for the first field set to something this server would otherwise ignore."""
        no_ops: list[tuple[str, Any, Any]] = [
            ("presence_penalty", self.presence_penalty, (None, 0)),
            ("frequency_penalty", self.frequency_penalty, (None, 0)),
            ("repetition_penalty", self.repetition_penalty, (None, 1)),
            ("logit_bias", self.logit_bias, (None, {})),
            ("best_of", self.best_of, (None, self.n)),
            ("use_beam_search", self.use_beam_search, (None, False)),
            ("length_penalty", self.length_penalty, (None, 1)),
            ("min_tokens", self.min_tokens, (None, 0)),
        ]
        for name, value, allowed in no_ops:
            if value not in allowed:
                return APIError(
                    400, f"{name}={value!r} is not supported by this server", param=name
                )
        return None

    @property
    def stops(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)

    def sampling_params(self, max_tokens: int) -> SamplingParams:
        try:
            return SamplingParams(
                temperature=self.temperature,
                top_k=max(self.top_k, 0),
                top_p=self.top_p,
                min_p=self.min_p,
                max_tokens=max_tokens,
                stop_token_ids=tuple(self.stop_token_ids or ()),
                stop=self.stops,
                n=self.n,
                seed=self.seed,
            )
        except ConfigError as e:
            raise APIError(400, str(e)) from None


class CompletionRequest(SamplingRequest):
    """``POST /v1/completions``."""

    prompt: str | list[int] | list[str] | list[list[int]]
    max_tokens: int | None = Field(16, ge=1)
    logprobs: int | None = Field(None, ge=0, le=20)
    echo: bool = False

    def unsupported(self) -> APIError | None:
        if self.logprobs:
            return APIError(
                400,
                f"logprobs={self.logprobs} asks for the top alternatives of each token, which "
                "this server does not compute; logprobs=0 returns the sampled tokens' log-probs",
                param="logprobs",
            )
        return super().unsupported()


class ChatRequest(SamplingRequest):
    """``POST /v1/chat/completions``."""

    messages: list[dict[str, Any]] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)

    def unsupported(self) -> APIError | None:
        if self.top_logprobs:
            return APIError(
                400,
                f"top_logprobs={self.top_logprobs} is not supported (this server does not "
                "compute alternatives); use logprobs=true with top_logprobs 0 or unset",
                param="top_logprobs",
            )
        choice = self.tool_choice
        if choice not in (None, "none", "auto"):
            return APIError(
                400,
                f"tool_choice={choice!r} is not supported; use 'auto' or 'none' (the model "
                "decides whether to call a tool)",
                param="tool_choice",
            )
        return super().unsupported()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


@dataclass
class Choice:
    """One completion, decoded for the wire.

    Attributes:
        token_ids: everything sampled, EOS/stop tokens included.
        text: what the API shows (no EOS token; no stop string unless asked).
        piece_texts: the text of each token in `token_ids`, for log-prob and stream pieces.
    """

    index: int
    completion: Completion
    token_ids: list[int]
    text: str
    piece_texts: list[str]
    finish_reason: str


def decode_choice(
    index: int,
    completion: Completion,
    tokenizer: Any,
    *,
    stops: Sequence[str],
    keep_stop: bool,
    skip_special_tokens: bool,
) -> Choice:
    """Turn a sampler `Completion` into the text and pieces the API returns."""
    ids = list(completion.token_ids)
    visible = list(ids)
    eos = set(tokenizer.eos_token_ids)
    while visible and visible[-1] in eos:
        visible.pop()
    text = tokenizer.decode(visible, skip_special_tokens=skip_special_tokens)
    if stops and not keep_stop:
        cuts = [text.find(s) for s in stops if s in text]
        if cuts:
            text = text[: min(cuts)]
    return Choice(
        index=index,
        completion=completion,
        token_ids=ids,
        text=text,
        piece_texts=incremental_pieces(tokenizer, ids),
        finish_reason=completion.finish_reason if completion.finish_reason != "abort" else "stop",
    )


def incremental_pieces(tokenizer: Any, ids: Sequence[int]) -> list[str]:
    """The text each token adds; a token that ends inside a UTF-8 character adds ''.

    Decodes a short window (from the last completed piece) per token, so the cost stays
    linear in the length.
    """
    pieces: list[str] = []
    prefix = read = 0
    for i in range(1, len(ids) + 1):
        before = tokenizer.decode(list(ids[prefix:read]))
        text = tokenizer.decode(list(ids[prefix:i]))
        if text.endswith("\ufffd") and i < len(ids):
            pieces.append("")
            continue
        pieces.append(text[len(before) :])
        prefix, read = read, i
    return pieces


def token_label(token_id: int, piece: str, as_ids: bool) -> str:
    return f"token_id:{token_id}" if as_ids else piece


def completion_logprobs(choice: Choice, as_ids: bool) -> dict[str, Any]:
    """The ``logprobs`` object of a ``/v1/completions`` choice (only sampled tokens' values;
    ``top_logprobs`` is null because samplers report no alternatives)."""
    logprobs = choice.completion.logprobs or [0.0] * len(choice.token_ids)
    offsets, position = [], 0
    for piece in choice.piece_texts:
        offsets.append(position)
        position += len(piece)
    return {
        "tokens": [token_label(t, p, as_ids) for t, p in zip(choice.token_ids, choice.piece_texts)],
        "token_logprobs": list(logprobs),
        "top_logprobs": None,
        "text_offset": offsets,
    }


def chat_logprobs(choice: Choice, as_ids: bool) -> dict[str, Any]:
    """The ``logprobs`` object of a chat choice."""
    logprobs = choice.completion.logprobs or [0.0] * len(choice.token_ids)
    return {
        "content": [
            {
                "token": token_label(t, p, as_ids),
                "logprob": lp,
                "bytes": list(p.encode("utf-8")),
                "top_logprobs": [],
            }
            for t, p, lp in zip(choice.token_ids, choice.piece_texts, logprobs)
        ]
    }


def usage(prompt_tokens: int, choices: Sequence[Choice]) -> dict[str, Any]:
    completion_tokens = sum(len(c.token_ids) for c in choices)
    out: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    cached = [c.completion.metadata.get("cached_tokens") for c in choices]
    if cached and all(isinstance(n, int) for n in cached):
        # Prompt tokens whose KV the engine reused (the first choice of each prompt counts).
        out["prompt_tokens_details"] = {
            "cached_tokens": min(n for n in cached if isinstance(n, int))
        }
    return out


def now() -> int:
    return int(time.time())

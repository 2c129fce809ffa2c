"""Helpers for tests, yours and ours: a byte tokenizer, scripted policies and the tiny model.

    >>> from agentrl.testing import ScriptedSampler, byte_tokenizer
    >>> from agentrl.sampling.base import SamplingParams
    >>> tok = byte_tokenizer()
    >>> policy = ScriptedSampler(tok, ["\\\\boxed{4}"])
    >>> [c] = policy.generate([tok.encode("2+2?")], SamplingParams())[0]
    >>> tok.decode(c.token_ids)
    '\\\\boxed{4}<|im_end|>'

Nothing here imports jax except `tiny_model`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import tokenizers
from tokenizers import decoders, models, pre_tokenizers

from agentrl.sampling.base import Completion, FinishReason, Sampler, SamplingParams

if TYPE_CHECKING:
    from agentrl.tokenizer import Tokenizer

_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def byte_tokenizer() -> Tokenizer:
    """A `Tokenizer` with one token per UTF-8 byte, plus ChatML's special tokens; no files needed.

    Ids 0-255 are bytes; 256 ``<|endoftext|>`` (padding and second EOS), 257 ``<|im_start|>``,
    258 ``<|im_end|>`` (the end of an assistant turn, first EOS). The chat template is the tiny
    tokenizer's ChatML (Qwen 2.5 style, with Hermes tool calls).
    """
    from agentrl.tokenizer import Tokenizer
    from agentrl.tokenizer.tiny import CHAT_TEMPLATE

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    # ByteLevel maps byte b to a printable character; order the vocabulary by byte value.
    byte_chars = sorted(alphabet, key=lambda ch: _byte_of(ch))
    vocab = {ch: i for i, ch in enumerate(byte_chars)}
    backend = tokenizers.Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(list(_SPECIALS))
    return Tokenizer(
        backend,
        chat_template=CHAT_TEMPLATE,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_eos_token_ids=[256],
    )


def _byte_of(ch: str) -> int:
    # GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest to 256 + k.
    code = ord(ch)
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    if code in printable:
        return code
    others = [b for b in range(256) if b not in printable]
    return others[code - 256]


Policy = Callable[[str], str]


class ScriptedSampler(Sampler):
    """A `Sampler` that answers with given texts instead of a model.

    Args:
        tokenizer: encodes the replies (anything with ``encode``, ``decode``, ``eos_token_ids``).
        script: either a list of replies, handed out in turn (cycling) to every prompt of every
            call, or a function from the decoded prompt to the reply.
        logprob: the log-prob reported for every sampled token.
        end_with_eos: append the tokenizer's first EOS id when a reply ends naturally.
        delay_s: sleep this long per `generate` call, to stand in for model compute.
        max_context: prompt + completion longer than this is cut (finish reason "length").

    Attributes:
        calls: the batch size of every `generate` call so far (to check batching).
    """

    def __init__(
        self,
        tokenizer: Any,
        script: Sequence[str] | Policy,
        *,
        logprob: float = -0.5,
        end_with_eos: bool = True,
        delay_s: float = 0.0,
        max_context: int | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self._policy: Policy
        if callable(script):
            self._policy = script
        else:
            replies = itertools.cycle(list(script))
            lock = threading.Lock()

            def next_reply(_: str) -> str:
                with lock:
                    return next(replies)

            self._policy = next_reply
        self.logprob = logprob
        self.end_with_eos = end_with_eos
        self.delay_s = delay_s
        self.max_context = max_context
        self.calls: list[int] = []

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams
    ) -> list[list[Completion]]:
        self.calls.append(len(prompts))
        if self.delay_s:
            time.sleep(self.delay_s)
        return [[self._complete(prompt, params) for _ in range(params.n)] for prompt in prompts]

    def _complete(self, prompt: Sequence[int], params: SamplingParams) -> Completion:
        reply = self._policy(self.tokenizer.decode(list(prompt)))
        finish: FinishReason = "stop"
        cut = [reply.index(s) + len(s) for s in params.stop if s in reply]
        if cut:
            ids = self.tokenizer.encode(reply[: min(cut)])
        else:
            ids = self.tokenizer.encode(reply)
            if self.end_with_eos:
                ids.append(self.tokenizer.eos_token_ids[0])
        budget = params.max_tokens
        if self.max_context is not None:
            budget = min(budget, self.max_context - len(prompt))
        if len(ids) > budget:
            ids, finish = ids[: max(budget, 0)], "length"
        return Completion(
            token_ids=ids,
            logprobs=[self.logprob] * len(ids),
            finish_reason=finish,
            text=self.tokenizer.decode(ids),
        )


def tiny_model(seed: int = 0, **overrides: Any) -> tuple[Any, Any]:
    """The built-in tiny model and its tokenizer (`agentrl.models.tiny.tiny_model`)."""
    from agentrl.models.tiny import tiny_model as build

    return build(seed=seed, **overrides)

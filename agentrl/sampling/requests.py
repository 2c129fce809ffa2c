"""The continuous engine's handles: a `Request` (submitted, its tokens arriving as they are
decoded, a result to wait for) and the engine's counters (`EngineStats`).
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable

import jax

from agentrl.sampling.base import FinishReason, SamplingParams


class Request:
    """One completion in the engine: submitted, then its tokens arrive as they are decoded.

    Attributes:
        prompt: the prompt token ids.
        params: its sampling values (``n`` is ignored: one request is one completion).
        token_ids / logprobs: what has been generated so far.
        finish_reason: set when done.
        cached_tokens: prompt tokens whose KV was reused instead of prefilled.
        prefilled_tokens: prompt tokens prefilled.
    """

    def __init__(
        self,
        prompt: list[int],
        params: SamplingParams,
        key: jax.Array,
        budget: int,
        on_token: Callable[[Request, list[int], list[float]], None] | None,
    ) -> None:
        self.prompt = prompt
        self.params = params
        self.key = key
        self.budget = budget
        self.on_token = on_token
        self.token_ids: list[int] = []
        self.logprobs: list[float] = []
        self.finish_reason: FinishReason | None = None
        self.error: str | None = None
        self.cached_tokens = 0
        self.prefilled_tokens = 0
        self.submitted_at = time.perf_counter()
        self.first_token_at: float | None = None
        self.slot = -1
        self.prefilled = 0  # prompt tokens whose KV is in the row so far
        self.cut: int | None = None  # stop-string cut
        self._done = threading.Event()
        self._callbacks: list[Callable[[Request], None]] = []
        self._stream: queue.SimpleQueue[tuple[list[int], list[float]] | None] | None = None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def stream(self) -> queue.SimpleQueue[tuple[list[int], list[float]] | None]:
        """A queue of ``(new token ids, their log-probs)`` chunks as decoded; None ends it.
        Call before the engine runs the request (right after `Engine.submit`)."""
        if self._stream is None:
            self._stream = queue.SimpleQueue()
            if self.token_ids:
                self._stream.put((list(self.token_ids), list(self.logprobs)))
            if self.done:
                self._stream.put(None)
        return self._stream

    def _emit(self, ids: list[int], logprobs: list[float]) -> None:
        if self.first_token_at is None and ids:
            self.first_token_at = time.perf_counter()
        self.token_ids += ids
        self.logprobs += logprobs
        if self._stream is not None and ids:
            self._stream.put((ids, logprobs))
        if self.on_token is not None and ids:
            self.on_token(self, ids, logprobs)

    def add_done_callback(self, fn: Callable[[Request], None]) -> None:
        """Call ``fn(request)`` when it finishes (from the engine's thread), or now if done."""
        self._callbacks.append(fn)
        if self.done:
            fn(self)

    def _finish(self, reason: FinishReason) -> None:
        self.finish_reason = reason
        self._done.set()
        if self._stream is not None:
            self._stream.put(None)
        for fn in self._callbacks:
            fn(self)


@dataclasses.dataclass
class EngineStats:
    """Counters: tokens prefilled (real, without padding), reused from cache, generated."""

    prefill_tokens: int = 0
    cached_tokens: int = 0
    generated_tokens: int = 0
    prefill_calls: int = 0
    decode_rounds: int = 0
    row_copies: int = 0
    evictions: int = 0

"""Serving on the continuous-batching engine: each HTTP request joins the running decode batch
the moment it arrives (no batching window, no wait for a batch to finish), streamed answers get
their tokens as they are decoded, and a chat follow-up that extends an earlier conversation
reuses that conversation's cached KV (the engine matches cached prefixes)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from typing import Any

from agentrl.sampling.base import Completion, SamplingParams
from agentrl.serve.batching import BatchStats


class ContinuousServing:
    """The app's generation backend over an `EngineSampler` (its engine runs on its own
    thread; requests are submitted from the event loop and answered through callbacks)."""

    streams = True

    def __init__(self, sampler: Any) -> None:
        self.sampler = sampler
        self.engine = sampler.engine
        self.stats = BatchStats()

    async def start(self) -> None:
        self.engine.start()

    async def stop(self) -> None:
        self.engine.stop()

    async def generate(self, prompt: Sequence[int], params: SamplingParams) -> list[Completion]:
        loop = asyncio.get_running_loop()
        # Submitting makes the request's PRNG keys (small device ops that queue behind the
        # engine's running step): off the event loop, which must keep serving meanwhile.
        requests = await loop.run_in_executor(None, self.sampler.submit, list(prompt), params)
        self._count(len(requests))
        futures = []
        for request in requests:
            future: asyncio.Future[None] = loop.create_future()
            request.add_done_callback(lambda _, f=future: loop.call_soon_threadsafe(_settle, f))
            futures.append(future)
        try:
            await asyncio.gather(*futures)
        except asyncio.CancelledError:  # the client went away: free the rows
            for request in requests:
                self.engine.abort(request)
            raise
        return [self._completion(r) for r in requests]

    async def stream(
        self, prompt: Sequence[int], params: SamplingParams
    ) -> AsyncIterator[tuple[list[int], list[float]] | Completion]:
        """Chunks of ``(token ids, log-probs)`` as decoded, then the finished `Completion`."""
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[tuple[list[int], list[float]] | None] = asyncio.Queue()

        def on_token(_: Any, ids: list[int], logprobs: list[float]) -> None:
            loop.call_soon_threadsafe(chunks.put_nowait, (list(ids), list(logprobs)))

        submit = functools.partial(self.sampler.submit, on_token=on_token)
        (request,) = await loop.run_in_executor(None, submit, list(prompt), params)
        request.add_done_callback(lambda _: loop.call_soon_threadsafe(chunks.put_nowait, None))
        self._count(1)
        try:
            while (chunk := await chunks.get()) is not None:
                yield chunk
        finally:
            if not request.done:
                self.engine.abort(request)
        yield self._completion(request)

    def _completion(self, request: Any) -> Completion:
        completion: Completion = self.sampler.completion(request)
        if request.error is not None and not request.token_ids:
            raise RuntimeError(request.error)
        return completion

    def _count(self, size: int) -> None:
        self.stats.calls += 1
        self.stats.prompts += size
        self.stats.largest = max(self.stats.largest, size)
        self.stats.sizes.append(size)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)

"""Batching concurrent HTTP requests into few `Sampler.generate` calls.

Requests wait in a queue; a worker takes the first, keeps collecting for ``window_s`` (or until
``max_batch`` prompts), then calls ``generate`` once per distinct `SamplingParams` among them, on
one dedicated thread (samplers are not thread-safe, and the event loop must stay free to accept
connections meanwhile). Requests that arrive during a generate call form the next batch.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from agentrl.sampling.base import Completion, Sampler, SamplingParams


@dataclass
class _Request:
    prompt: list[int]
    params: SamplingParams
    future: asyncio.Future[list[Completion]]


@dataclass
class BatchStats:
    """Counters for tests and ``/health``: generate calls and how many prompts each held."""

    calls: int = 0
    prompts: int = 0
    largest: int = 0
    sizes: collections.deque[int] = field(default_factory=lambda: collections.deque(maxlen=256))


class BatchingEngine:
    """Funnels requests from many coroutines into batched calls of one sampler.

    Args:
        sampler: the backend; only ever called from one thread.
        max_batch: most prompts in one ``generate`` call.
        window_s: how long the first request of a batch waits for company.
    """

    def __init__(self, sampler: Sampler, *, max_batch: int = 64, window_s: float = 0.005) -> None:
        self.sampler = sampler
        self.max_batch = max_batch
        self.window_s = window_s
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Request] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="agentrl-generate")

    async def start(self) -> None:
        """Start the worker on the running loop (the app's lifespan calls this)."""
        self._queue = asyncio.Queue()
        self._worker = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def generate(self, prompt: Sequence[int], params: SamplingParams) -> list[Completion]:
        """Completions for one prompt, batched with whatever else is waiting."""
        if self._queue is None:
            raise RuntimeError("BatchingEngine.start() was not called")
        future: asyncio.Future[list[Completion]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Request(list(prompt), params, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None  # set by start()
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.window_s
            while len(batch) < self.max_batch:
                # What is already queued always joins, however late this task woke up: the
                # prompts of one request stay one generate call (rows keep their seeds).
                with contextlib.suppress(asyncio.QueueEmpty):
                    batch.append(self._queue.get_nowait())
                    continue
                wait = deadline - loop.time()
                if wait <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), wait))
                except TimeoutError:
                    break
            await self._generate(batch)

    async def _generate(self, batch: list[_Request]) -> None:
        groups: dict[SamplingParams, list[_Request]] = {}
        for request in batch:
            if not request.future.done():  # its client may have gone away meanwhile
                groups.setdefault(request.params, []).append(request)
        loop = asyncio.get_running_loop()
        for params, requests in groups.items():
            prompts = [r.prompt for r in requests]
            try:
                outputs = await loop.run_in_executor(
                    self._thread, self.sampler.generate, prompts, params
                )
            except Exception as e:  # handed to every waiting request, which answers 500
                for r in requests:
                    if not r.future.done():
                        r.future.set_exception(e)
                continue
            self._count(len(prompts))
            for r, completions in zip(requests, outputs, strict=True):
                if not r.future.done():
                    r.future.set_result(completions)

    def _count(self, size: int) -> None:
        self.stats.calls += 1
        self.stats.prompts += size
        self.stats.largest = max(self.stats.largest, size)
        self.stats.sizes.append(size)

"""Env calls in a thread pool: one call per episode, with a timeout, failures recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from agentrl.rollout.episode import Episode


class CallBatch:
    """Runs ``fn(episode)`` for each episode in `pool` as soon as it is built; `wait` collects.

    A call that raises ends its episode with termination "error" (``"<what>: <Error>: ..."``);
    one that runs past `timeout` seconds (counted from when it started, not from when it was
    queued) ends it with a timeout error. Either way the env is marked broken, so it is not
    reused. A hung call's thread cannot be killed; it is left to finish on its own.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        calls: Mapping[int, tuple[Episode, Callable[[Episode], None]]],
        what: str,
        timeout: float | None,
    ) -> None:
        self.calls = calls
        self.what = what
        self.timeout = timeout
        self.started: dict[int, float] = {}
        self.futures: dict[Future[None], int] = {pool.submit(self._call, i): i for i in calls}

    def _call(self, index: int) -> None:
        self.started[index] = time.monotonic()
        episode, fn = self.calls[index]
        fn(episode)

    def wait(self) -> None:
        """Block until every call has finished, failed or timed out."""
        pending = set(self.futures)
        tick = None if self.timeout is None else min(0.5, self.timeout / 4)
        while pending:
            done, pending = wait(pending, timeout=tick, return_when=FIRST_COMPLETED)
            for future in done:
                episode = self.calls[self.futures[future]][0]
                error = future.exception()
                if isinstance(error, Exception):
                    episode.fail(error, self.what)
                    episode.env_broken = True
                elif error is not None:
                    raise error  # KeyboardInterrupt and friends are not episode data
            pending = self._expire(pending)

    def _expire(self, pending: set[Future[None]]) -> set[Future[None]]:
        if self.timeout is None:
            return pending
        now = time.monotonic()
        for future in list(pending):
            index = self.futures[future]
            if index in self.started and now - self.started[index] > self.timeout:
                pending.discard(future)
                future.cancel()
                episode = self.calls[index][0]
                episode.end("error", f"{self.what}: timed out after {self.timeout:g}s")
                episode.env_broken = True
        return pending

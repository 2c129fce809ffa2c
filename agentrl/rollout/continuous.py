"""The rollout loop without a turn barrier, over a continuous-batching `Engine`.

Each episode advances on its own: its completion request is submitted to the engine the moment
its env reset or step returns, and its env step starts in the worker pool the moment its
completion is decoded. One thread drives the engine (`Engine.step`) and collects finished env
calls in between; up to ``max_concurrency`` episodes are in flight. An episode's prompt at each
turn extends its previous turn's tokens, so the engine prefills only the new env/tool tokens,
and the episodes of a group share their prompt's cached prefix.

Trajectories are built exactly as in the turn-synchronous loop (`engine._Runner`, whose
per-episode steps this reuses): same tokens, spans, rewards, terminations and failures as data.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import jax

from agentrl.rollout.episode import Episode, EpisodePlan
from agentrl.rollout.summary import Progress
from agentrl.trajectory import Trajectory

if TYPE_CHECKING:
    from agentrl.rollout.engine import RolloutResult, _Runner
    from agentrl.sampling.engine import Engine
    from agentrl.sampling.requests import Request


class ContinuousLoop:
    """Runs `plans` with `runner`'s envs and settings on `engine` (see the module docstring)."""

    def __init__(self, runner: _Runner, engine: Engine) -> None:
        self.runner = runner
        self.engine = engine
        self.calls: dict[Future[None], tuple[Episode, str]] = {}
        self.started: dict[int, float] = {}  # id(episode): when its env call began
        self.requests: dict[Request, tuple[Episode, int]] = {}
        self.prompts: dict[str, Any] = {}  # a group's rendered prompt, copied for its episodes
        self.turns: dict[int, int] = {}

    def run(self, plans: list[EpisodePlan], *, progress: bool) -> RolloutResult:

        r = self.runner
        start = time.perf_counter()
        results: dict[int, Trajectory] = {}
        pending = deque(plans)
        live: dict[int, Episode] = {}
        bar = Progress(len(plans), enabled=progress)
        pool = ThreadPoolExecutor(r.num_workers, thread_name_prefix="agentrl-env")
        try:
            while pending or live:
                while pending and len(live) < r.max_concurrency:
                    episode = Episode(plan=pending.popleft(), env=None, env_id=r.env_id)
                    episode.env = r.idle_envs.pop() if r.idle_envs else None
                    live[episode.plan.index] = episode
                    self._call(pool, episode, "env.reset")
                self._collect_calls()
                if self.engine.busy:
                    t0 = time.perf_counter()
                    self.engine.step()
                    r.generate_s += time.perf_counter() - t0
                    r.generate_calls += 1
                    self._collect_completions(pool)
                elif self.calls:
                    t0 = time.perf_counter()
                    wait(list(self.calls), timeout=0.05, return_when=FIRST_COMPLETED)
                    r.env_s += time.perf_counter() - t0
                for index, episode in list(live.items()):
                    if episode.done and not self._in_flight(episode):
                        del live[index]
                        trajectory = r._finish(episode)
                        results[index] = trajectory
                        bar.add(trajectory, time.perf_counter() - start)
        finally:
            for request in list(self.requests):
                self.engine.abort(request)
            pool.shutdown(wait=False, cancel_futures=True)
            bar.close()
        return r.result(plans, results, start)

    # --- env calls in the pool ------------------------------------------------------------

    def _in_flight(self, episode: Episode) -> bool:
        return any(e is episode for e, _ in self.calls.values()) or any(
            e is episode for e, _ in self.requests.values()
        )

    def _call(self, pool: ThreadPoolExecutor, episode: Episode, what: str) -> None:
        fn = self.runner._reset_one if what == "env.reset" else self.runner._step_one
        future: Future[None] = pool.submit(self._timed, fn, episode)
        self.calls[future] = (episode, what)

    def _timed(self, fn: Any, episode: Episode) -> None:
        self.started[id(episode)] = time.monotonic()
        fn(episode)

    def _collect_calls(self) -> None:
        r = self.runner
        for future in [f for f in self.calls if f.done()]:
            episode, what = self.calls.pop(future)
            self.started.pop(id(episode), None)
            error = future.exception()
            if isinstance(error, Exception):
                episode.fail(error, what)
                episode.env_broken = True
            elif error is not None:
                raise error  # KeyboardInterrupt and friends are not episode data
            if episode.done:
                continue
            if what == "env.reset":
                try:
                    r._start_session(episode, self.prompts)
                except Exception as e:  # a template that refuses this env's messages
                    episode.fail(e, "chat template")
                    continue
            if not episode.done:
                self._submit(episode)
        if r.step_timeout is not None:
            now = time.monotonic()
            for future, (episode, what) in list(self.calls.items()):
                began = self.started.get(id(episode))
                if began is not None and now - began > r.step_timeout:
                    del self.calls[future]
                    future.cancel()
                    episode.end("error", f"{what}: timed out after {r.step_timeout:g}s")
                    episode.env_broken = True

    # --- completions from the engine ------------------------------------------------------

    def _submit(self, episode: Episode) -> None:
        r = self.runner
        episode.action = None
        room = None if r.max_context is None else r.max_context - episode.num_tokens
        if room is not None and room <= 0:
            episode.end("context_limit")
            return
        budget = r.params.max_tokens if room is None else min(room, r.params.max_tokens)
        params = dataclasses.replace(r.params, max_tokens=budget)
        turn = self.turns.get(episode.plan.index, 0)
        self.turns[episode.plan.index] = turn + 1
        key = None
        if params.seed is not None:  # reproducible per episode and turn, whatever the timing
            key = jax.random.PRNGKey(params.seed)
            key = jax.random.fold_in(jax.random.fold_in(key, episode.plan.index), turn)
        request = self.engine.submit(list(episode.session.token_ids), params, key=key)
        self.requests[request] = (episode, budget)

    def _collect_completions(self, pool: ThreadPoolExecutor) -> None:
        r = self.runner
        sampler: Any = r.sampler
        for request in [q for q in self.requests if q.done]:
            episode, budget = self.requests.pop(request)
            if episode.policy_version is None:
                episode.policy_version = r.sampler.policy_version
            r._take(episode, sampler.completion(request), budget)
            if not episode.done and episode.action is not None:
                self._call(pool, episode, "env.step")

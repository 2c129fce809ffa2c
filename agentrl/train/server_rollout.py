"""``rollout.backend: server``: asynchronous RL with inference servers.

Servers (``rollout.endpoints``, or ``rollout.launch: N`` ``agentrl serve`` processes) sample
through `OpenAISampler` (token ids in and out, with log-probs and the policy version each
answer was generated with). A producer thread runs the rollouts of the coming steps while the
trainer updates; step ``s``'s rollout starts once the servers hold version ``s - K``
(``K = rollout.max_staleness``), so with ``K = 0`` every batch is sampled by the weights of the
update just before it: the synchronous algorithm, step for step. Policy version ``v`` means
"the weights after ``v`` RL updates".

After every ``rollout.sync_every`` updates the trainer publishes its weights (a versioned
safetensors folder, `agentrl.sampling.weight_sync`) and every server loads them; what a server
loaded is checked by checksum, and a refusal stops the run. When the update of step ``s``
takes its batch, a trajectory sampled by version ``v`` has staleness ``s - v``; those with
staleness above ``K`` are dropped and counted (the producer's gate makes that rare: a server
that came back on old weights, a retried request that landed on a lagging server).

Faults: a request to a dead server is retried on another one (`OpenAISampler`), a launched
server that dies is restarted from the newest weights (`ServerFleet`), and when no endpoint
answers for ``rollout.down_timeout_s`` the run stops with `AsyncRolloutError`, naming the last
checkpoint to ``--resume`` from. Everything is counted in ``summary.json``'s ``async`` section.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentrl.errors import AsyncRolloutError, SamplerError
from agentrl.sampling.weight_sync import (
    Published,
    ServerKind,
    ServerUnreachable,
    WeightPublisher,
    WeightPusher,
    WeightSyncError,
)


def staleness_filter(
    trajectories: list[Any], version: int, max_staleness: int
) -> tuple[list[Any], list[int]]:
    """``(kept, staleness of every trajectory)``: those sampled more than `max_staleness`
    versions before `version` are left out."""
    staleness = [version - int(t.policy_version) for t in trajectories]
    kept = [t for t, s in zip(trajectories, staleness) if s <= max_staleness]
    return kept, staleness


class _Producer:
    """Runs `sample(step)` for steps ``start..stop-1`` in a thread, each once the servers'
    version allows it (``version >= step - max_staleness``)."""

    def __init__(
        self,
        sample: Callable[[int], tuple[list[Any], float]],
        start: int,
        stop: int,
        max_staleness: int,
        version: int,
    ) -> None:
        self.sample, self.start, self.stop, self.k = sample, start, stop, max_staleness
        self.version = version
        self.ready: dict[int, tuple[list[Any], float]] = {}
        self.error: BaseException | None = None
        self.closed = False
        self.cv = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="agentrl-rollouts", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for step in range(self.start, self.stop):
                with self.cv:
                    self.cv.wait_for(functools.partial(self._may_sample, step))
                    if self.closed:
                        return
                result = self.sample(step)
                with self.cv:
                    self.ready[step] = result
                    self.cv.notify_all()
        except BaseException as e:  # handed to the trainer, which is waiting for a batch
            with self.cv:
                self.error = e
                self.cv.notify_all()

    def _may_sample(self, step: int) -> bool:
        return self.closed or self.version >= step - self.k

    def take(self, step: int) -> tuple[list[Any], float]:
        with self.cv:
            self.cv.wait_for(lambda: step in self.ready or self.error is not None)
            if step in self.ready:
                return self.ready.pop(step)
            assert self.error is not None
            raise self.error

    def set_version(self, version: int) -> None:
        with self.cv:
            self.version = version
            self.cv.notify_all()

    def close(self) -> None:
        with self.cv:
            self.closed = True
            self.cv.notify_all()
        self.thread.join(timeout=5)


class ServerRollout:
    """The server backend of one run (see the module docstring).

    Args:
        ctx: the run's `RunContext` (config, model, tokenizer, split).
        run_path: the run folder (``weights/`` and ``servers/`` go there).
        latest_checkpoint: the newest complete RL checkpoint step, for error messages.
    """

    def __init__(
        self, ctx: Any, run_path: Path, latest_checkpoint: Callable[[], int | None]
    ) -> None:
        from agentrl.sampling.openai_client import OpenAISampler

        self.ctx, self.run_path = ctx, Path(run_path)
        self.latest_checkpoint = latest_checkpoint
        cfg = ctx.config.rollout
        self.cfg = cfg
        self.engine = cfg.engine  # what launched servers run: `auto` as the local sampler picks
        if self.engine == "auto":
            from agentrl.train.build import max_turns

            self.engine = "continuous" if max_turns(ctx.split.env.env) > 1 else "static"
        self.publisher = WeightPublisher(self.run_path / "weights", ctx.tokenizer)
        self.fleet: Any = None
        self._sync_lock = threading.Lock()
        if cfg.launch:
            from agentrl.train.servers import ServerFleet

            self.publisher.publish(ctx.model, -1)  # the servers start from these, version -1
            self.fleet = ServerFleet(
                cfg.launch,
                self.run_path / "servers",
                current=self._newest_folder,
                serve_args=self._serve_args(),
                start_timeout_s=cfg.launch_timeout_s,
                on_restart=self._restarted,
            ).start()
            urls = self.fleet.urls
        else:
            urls = list(cfg.endpoints)
        launched_static = bool(cfg.launch) and self.engine == "static"
        self.per_call = cfg.request_batching == "per_call" or (
            cfg.request_batching == "auto" and launched_static
        )
        self.sampler = OpenAISampler(
            urls,
            model="policy" if cfg.launch else None,
            tokenizer=ctx.tokenizer,
            max_concurrency=cfg.max_concurrency,
            max_context=ctx.config.model.max_context,
            backoff_s=0.2,
            max_backoff_s=2.0,
            batch_prompts=self.per_call,
            give_up_after_s=cfg.down_timeout_s,
        )
        kind: ServerKind = "agentrl" if cfg.launch else cfg.server_kind
        self.pusher = WeightPusher(urls, kind=kind, timeout_s=max(60.0, cfg.down_timeout_s))
        self.producer: _Producer | None = None
        self.stop_step = 0
        self.version = 0
        self.syncs = 0
        self.skipped_pushes = 0
        self.dropped = 0
        self.histogram: Counter[int] = Counter()
        self.trainer_idle_s = 0.0
        self.busy_mark: tuple[float, float] = (time.perf_counter(), 0.0)
        self.server_busy_s = 0.0
        self.wall_s = 0.0

    def _serve_args(self) -> list[str]:
        cfg, config = self.cfg, self.ctx.config
        return [
            "--engine", self.engine,
            "--max-batch", str(cfg.max_concurrency),
            "--max-context", str(config.model.max_context),
            "--seed", str(config.seed),
        ]  # fmt: skip

    def _newest_folder(self) -> Path:
        latest = self.publisher.latest
        assert latest is not None  # published before any server starts
        return latest.path

    # -- weights ------------------------------------------------------------------------------
    def sync(self, version: int) -> None:
        """Publish the trainer's weights as `version` and load them on every server.

        Raises:
            AsyncRolloutError: a server refused them or reports other weights, or no server
                could be reached for ``rollout.down_timeout_s``.
        """
        with self._sync_lock:
            published = self.publisher.publish(self.ctx.model, version)
            deadline = time.monotonic() + self.cfg.down_timeout_s
            while True:
                try:
                    results = self.pusher.push(published)
                except WeightSyncError as e:
                    raise AsyncRolloutError(f"weight sync refused: {e}{self._resume_hint()}") from e
                reached = [u for u, r in results.items() if not isinstance(r, ServerUnreachable)]
                if reached:
                    break
                if time.monotonic() > deadline:
                    first = next(iter(results.values()))
                    raise AsyncRolloutError(
                        f"no server could be reached to load weights version {version} for "
                        f"longer than rollout.down_timeout_s={self.cfg.down_timeout_s:g}s: "
                        f"{first}{self._resume_hint()}"
                    )
                time.sleep(1.0)
            self.skipped_pushes += len(results) - len(reached)
            for endpoint in self.sampler.endpoints:
                if _base(endpoint.url) in reached:
                    endpoint.version = version
            self.syncs += 1
            self.version = version
        if self.producer is not None:
            self.producer.set_version(version)

    def _restarted(self, url: str) -> None:
        """A launched server came back (from the newest folder): make sure it holds the
        newest version, in case one was published while it started."""
        with self._sync_lock:
            latest = self.publisher.latest
            if latest is None or latest.version < 0:
                return
            results = self.pusher.push(latest, urls=[url])
            if isinstance(results[url], ServerUnreachable):
                self.skipped_pushes += 1

    # -- the RL loop's step -------------------------------------------------------------------
    def begin(self, start: int, stop: int) -> Callable[[Any, Any, int], tuple[dict, int]]:
        """Wait for launched servers, load version `start` on every server, start sampling
        steps ``start..stop-1``; returns the RL loop's step function."""
        from agentrl.train.stages import sample_step

        if self.fleet is not None:
            self.fleet.wait_ready()
        self.sync(start)
        self.stop_step = stop
        self.busy_mark = (time.perf_counter(), self._busy())
        self.producer = _Producer(
            lambda step: sample_step(self.ctx, self.sampler, step),
            start,
            stop,
            self.cfg.max_staleness,
            self.version,
        )
        return self.step

    def step(self, ctx: Any, learner: Any, step: int) -> tuple[dict[str, float], int]:
        from agentrl.train.stages import update_step

        assert self.producer is not None  # begin() first
        t0 = time.perf_counter()
        try:
            trajs, rollout_s = self.producer.take(step)
        except SamplerError as e:
            raise AsyncRolloutError(
                f"rollouts stopped: no rollout endpoint answered for longer than "
                f"rollout.down_timeout_s={self.cfg.down_timeout_s:g}s ({e}){self._resume_hint()}"
            ) from e
        idle = time.perf_counter() - t0
        self.trainer_idle_s += idle
        kept, staleness = staleness_filter(trajs, step, self.cfg.max_staleness)
        dropped = len(trajs) - len(kept)
        self.dropped += dropped
        self.histogram.update(staleness)
        metrics, tokens = update_step(ctx, learner, step, kept, rollout_s)
        if step + 1 < self.stop_step and (step + 1) % self.cfg.sync_every == 0:
            self.sync(step + 1)
        now, busy = time.perf_counter(), self._busy()
        span = max(now - self.busy_mark[0], 1e-9)
        busy_frac = (busy - self.busy_mark[1]) / (span * len(self.sampler.endpoints))
        self.server_busy_s += busy - self.busy_mark[1]
        self.wall_s += span
        self.busy_mark = (now, busy)
        counts = Counter(staleness)
        metrics.update(
            {
                "async/trainer_idle_s": idle,
                "async/trainer_idle_frac": idle / span,
                "async/server_idle_frac": max(0.0, 1.0 - busy_frac),
                "async/dropped_stale": float(dropped),
                "async/staleness_mean": sum(staleness) / max(len(staleness), 1),
                "async/staleness_max": float(max(staleness, default=0)),
                **{f"async/staleness_{k}": float(counts.get(k, 0)) for k in sorted(counts)},
                "async/weight_syncs": float(self.syncs),
                "async/retried_requests": float(self.sampler.retries),
                "async/server_restarts": float(self.fleet.restarts if self.fleet else 0),
            }
        )
        return metrics, tokens

    def _busy(self) -> float:
        return sum(e.busy_seconds() for e in self.sampler.endpoints)

    def _resume_hint(self) -> str:
        step = self.latest_checkpoint()
        where = f"step {step}" if step is not None else "none yet (the warm-start is saved)"
        return (
            f"; the last RL checkpoint is intact ({where}): continue with "
            f"`agentrl train --resume {self.run_path}`"
        )

    def summary(self) -> dict[str, Any]:
        endpoints = len(self.sampler.endpoints)
        return {
            "backend": "server",
            "endpoints": [e.url for e in self.sampler.endpoints],
            "launched": self.cfg.launch,
            "request_batching": "per_call" if self.per_call else "per_prompt",
            "weight_syncs": self.syncs,
            "sync_every": self.cfg.sync_every,
            "max_staleness_used": self.cfg.max_staleness,
            "max_staleness_seen": max(self.histogram, default=0),
            "staleness_histogram": {str(k): v for k, v in sorted(self.histogram.items())},
            "dropped_stale": self.dropped,
            "retried_requests": self.sampler.retries,
            "server_restarts": self.fleet.restarts if self.fleet else 0,
            "restart_errors": list(self.fleet.restart_errors) if self.fleet else [],
            "pushes_skipped_unreachable": self.skipped_pushes,
            "trainer_idle_s": self.trainer_idle_s,
            "trainer_idle_frac": self.trainer_idle_s / max(self.wall_s, 1e-9),
            "server_idle_frac": max(
                0.0, 1.0 - self.server_busy_s / max(self.wall_s * endpoints, 1e-9)
            ),
        }

    def close(self) -> None:
        if self.producer is not None:
            self.producer.close()
        self.sampler.close()
        if self.fleet is not None:
            self.fleet.stop()


def _base(url: str) -> str:
    return url.rstrip("/").removesuffix("/v1")


def say(text: str) -> None:
    print(f"agentrl: {text}", file=sys.stderr, flush=True)


__all__ = ["AsyncRolloutError", "Published", "ServerRollout", "staleness_filter"]

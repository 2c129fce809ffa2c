"""`rollout`: many episodes of one environment against one sampler, as token-level trajectories.

The loop, once per turn: one `Sampler.generate` call for every active episode (the batch is
what keeps an accelerator busy), then every env steps at once in a thread pool (envs grade,
run tools and wait on subprocesses, so they overlap well), then the new env/tool messages are
appended through each episode's `ChatSession`. History is never re-tokenized. Finished
episodes free their slot for pending ones, so up to ``max_concurrency`` run at a time.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agentrl.errors import ConfigError
from agentrl.rollout.calls import CallBatch
from agentrl.rollout.copies import EnvCopies
from agentrl.rollout.episode import Episode, EpisodePlan
from agentrl.rollout.summary import Progress, RolloutSummary
from agentrl.sampling.base import Sampler, SamplingParams, uses_continuous_engine
from agentrl.tokenizer.core import tool_schema
from agentrl.trajectory import Trajectory


@dataclass
class RolloutResult:
    """What `rollout` returns: trajectories in plan order and a summary of the run."""

    trajectories: list[Trajectory]
    summary: RolloutSummary


def rollout(
    env: Any,
    sampler: Sampler,
    tokenizer: Any,
    *,
    num_episodes: int | None = None,
    tasks: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
    group_size: int = 1,
    params: SamplingParams | None = None,
    seed: int = 0,
    max_concurrency: int = 256,
    max_context: int | None = None,
    num_workers: int = 16,
    step_timeout: float | None = 120.0,
    pipeline: bool = False,
    progress: bool = True,
    env_kwargs: Mapping[str, Any] | None = None,
    on_trajectory: Callable[[Trajectory], None] | None = None,
    engine: str = "auto",
    part: tuple[int, int] | None = None,
) -> RolloutResult:
    """Run episodes of `env` with `sampler` and return their trajectories.

    Args:
        env: a registered env id (``"deepscaler"``), an `agentrl.Env` instance (deep-copied for
            each concurrent episode), or a zero-argument factory returning an env.
        sampler: any `Sampler`; it receives token ids and returns token ids.
        tokenizer: the sampler's tokenizer (`agentrl.tokenizer.Tokenizer`), whose chat template
            renders the messages and the env's tool schemas.
        num_episodes: how many episodes in all (a multiple of `group_size`); each group gets
            seed ``seed + k`` and the env picks its task from the seed.
        tasks: instead of `num_episodes`, the task indices to run (``options={"task_index":
            i}``), `group_size` episodes each; group ``k`` gets seed ``seed + k``.
        seeds: instead of `num_episodes`, each group's seed (the env picks its task from it):
            a chosen set of generated problems, such as a held-out set without duplicates.
        group_size: episodes per task and seed, sharing one ``group_id`` (GRPO groups).
        params: sampling parameters per turn; ``n`` must be 1 (use `group_size`).
        seed: the first group's seed.
        max_concurrency: episodes in flight at once (the generate batch size).
        max_context: prompt plus history plus completion never exceeds this many tokens; an
            episode that reaches it ends with termination ``"context_limit"``. Defaults to
            ``sampler.max_context``.
        num_workers: threads stepping envs.
        step_timeout: seconds one ``env.reset``/``env.step`` may take (tools have their own,
            shorter timeouts); past it the episode ends with an error and its env is dropped.
        pipeline: run two cohorts of up to `max_concurrency` episodes that take turns: one
            generates while the other's envs step (tools, grading), hiding env time behind
            model time when there are more episodes than `max_concurrency`.
        progress: show a tqdm bar with episodes/s, tokens/s and mean reward.
        env_kwargs: keyword arguments for ``agentrl.make`` when `env` is an id.
        on_trajectory: called with each trajectory as its episode ends (e.g. a
            `TrajectoryWriter.write`).
        engine: ``"continuous"``: no turn barrier; each episode's next completion is requested
            as soon as its env step returns, and its env step starts as soon as the completion
            is decoded, on the sampler's continuous-batching engine (an `EngineSampler`), which
            keeps each episode's KV cache between turns. ``"static"``: one `generate` call per
            turn for every active episode (any sampler). ``"auto"`` (default): continuous when
            the sampler has an engine, else static.
        part: ``(i, n)``: run only the i-th of n contiguous blocks of the plan's groups (one
            process's share of a multi-process step; groups stay whole). Episodes keep their
            place in the whole plan, so the continuous engine's per-episode keys are the ones
            a single process would use.

    Returns:
        `RolloutResult` with one trajectory per planned episode, in plan order (groups are
        contiguous), and a `RolloutSummary`.

    Each trajectory's ``termination`` says why its episode ended:

    - ``"terminated"`` / ``"truncated"``: the env said so after a step;
    - ``"max_tokens"``: the env ended the episode on a completion that was cut by
      ``params.max_tokens`` (the env still saw and graded the cut text);
    - ``"context_limit"``: no room left under `max_context`; a completion cut by the context is
      not stepped, and env/tool tokens past the limit are cut off (``info["cut_tokens"]``);
    - ``"error"``: the env raised, hung past `step_timeout`, returned a non-finite reward or
      messages the chat template refused; ``Trajectory.error`` holds the reason.

    Raises:
        ConfigError: bad arguments. A failing env never raises: its episode ends with
            termination ``"error"`` and the reason in ``Trajectory.error``. A failing sampler
            does raise (its error concerns every episode).
    """
    params = params or SamplingParams()
    if params.n != 1:
        raise ConfigError(
            f"got params.n={params.n}; rollout samples one completion per episode and turn, "
            f"use group_size={params.n} for several episodes per task"
        )
    for name, value in (("max_concurrency", max_concurrency), ("num_workers", num_workers)):
        if value < 1:
            raise ConfigError(f"got {name}={value}, need >= 1")
    if step_timeout is not None and step_timeout <= 0:
        raise ConfigError(f"got step_timeout={step_timeout}, need > 0 or None")
    continuous = uses_continuous_engine(sampler, engine)
    if engine == "continuous" and pipeline:
        raise ConfigError("pipeline=True applies to engine='static' only")
    plans = plan_episodes(
        num_episodes=num_episodes, tasks=tasks, seeds=seeds, group_size=group_size, seed=seed
    )
    if part is not None:
        plans = plan_part(plans, group_size, *part)
    make_env, env_id = _env_factory(env, env_kwargs or {})
    runner = _Runner(
        make_env=make_env,
        env_id=env_id,
        sampler=sampler,
        tokenizer=tokenizer,
        params=params,
        max_concurrency=max_concurrency,
        max_context=max_context if max_context is not None else sampler.max_context,
        num_workers=num_workers,
        step_timeout=step_timeout,
        pipeline=pipeline,
        on_trajectory=on_trajectory,
    )
    if continuous and not pipeline:
        from agentrl.rollout.continuous import ContinuousLoop

        return ContinuousLoop(runner, sampler.engine).run(plans, progress=progress)  # type: ignore[attr-defined]
    return runner.run(plans, progress=progress)


def plan_episodes(
    *,
    num_episodes: int | None = None,
    tasks: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
    group_size: int = 1,
    seed: int = 0,
) -> list[EpisodePlan]:
    """The episodes `rollout` will run: groups of `group_size` sharing a seed and task."""
    if group_size < 1:
        raise ConfigError(f"got group_size={group_size}, need >= 1")
    if sum(x is not None for x in (num_episodes, tasks, seeds)) != 1:
        raise ConfigError("pass exactly one of num_episodes=, tasks= or seeds=")
    groups: list[tuple[int, int | None]]
    if seeds is not None:
        if not seeds:
            raise ConfigError("got seeds=[], need at least one seed")
        groups = [(int(s), None) for s in seeds]
    elif tasks is not None:
        if not tasks:
            raise ConfigError("got tasks=[], need at least one task index")
        groups = [(seed + k, int(t)) for k, t in enumerate(tasks)]
    else:
        assert num_episodes is not None  # for mypy; checked above
        if num_episodes < 1 or num_episodes % group_size:
            raise ConfigError(
                f"got num_episodes={num_episodes}, need a positive multiple of "
                f"group_size={group_size}"
            )
        groups = [(seed + k, None) for k in range(num_episodes // group_size)]
    plans = []
    for k, (group_seed, task) in enumerate(groups):
        group_id = f"s{group_seed}" if task is None else f"s{group_seed}-t{task}"
        for j in range(group_size):
            plans.append(EpisodePlan(k * group_size + j, group_seed, task, group_id))
    return plans


def plan_part(plans: list[EpisodePlan], group_size: int, i: int, n: int) -> list[EpisodePlan]:
    """The i-th of `n` contiguous blocks of whole groups of `plans` (the first blocks take one
    group more when they do not split evenly)."""
    if not 0 <= i < n:
        raise ConfigError(f"got part=({i}, {n}), need 0 <= i < n")
    groups = len(plans) // group_size
    per, extra = divmod(groups, n)
    start = i * per + min(i, extra)
    stop = start + per + (1 if i < extra else 0)
    return plans[start * group_size : stop * group_size]


def _env_id(env: Any) -> str:
    spec = getattr(env, "spec", None)
    return getattr(spec, "id", None) or type(env).__name__


def _env_factory(env: Any, env_kwargs: Mapping[str, Any]) -> tuple[Callable[[], Any], str]:
    if isinstance(env, str):
        from agentrl.registration import envs

        env_id = envs.resolve(env)
        return EnvCopies(envs.make(env_id, **env_kwargs)), env_id  # one load, shared tasks
    if env_kwargs:
        raise ConfigError("env_kwargs= only applies when env is a registered id")
    if isinstance(env, EnvCopies):
        return env, _env_id(env.env)
    if hasattr(env, "reset") and hasattr(env, "step"):
        return EnvCopies(env), _env_id(env)
    if callable(env):
        probe = env()
        spec = getattr(probe, "spec", None)
        return env, getattr(spec, "id", None) or type(probe).__name__
    raise ConfigError(f"env must be an id, an Env or a factory, got {type(env).__name__}")


@dataclass
class _Cohort:
    """Episodes that generate together, and their env steps in flight."""

    episodes: list[Episode] = field(default_factory=list)
    steps: CallBatch | None = None


class _Runner:
    """The rollout loop's state: env instances, the thread pool, timers."""

    def __init__(
        self,
        *,
        make_env: Callable[[], Any],
        env_id: str,
        sampler: Sampler,
        tokenizer: Any,
        params: SamplingParams,
        max_concurrency: int,
        max_context: int | None,
        num_workers: int,
        step_timeout: float | None,
        pipeline: bool,
        on_trajectory: Callable[[Trajectory], None] | None,
    ) -> None:
        from agentrl.tokenizer import ChatSession

        self.chat_session = ChatSession
        self.make_env = make_env
        self.env_id = env_id
        self.sampler = sampler
        self.tokenizer = tokenizer
        self.params = params
        self.max_concurrency = max_concurrency
        self.max_context = max_context
        self.num_workers = num_workers
        self.step_timeout = step_timeout
        self.pipeline = pipeline
        self.on_trajectory = on_trajectory
        self.idle_envs: list[Any] = []
        self.stop_ids = set(getattr(tokenizer, "eos_token_ids", ()))
        self.generate_s = 0.0
        self.env_s = 0.0
        self.generate_calls = 0

    def run(self, plans: list[EpisodePlan], *, progress: bool) -> RolloutResult:
        start = time.perf_counter()
        results: dict[int, Trajectory] = {}
        pending = deque(plans)
        cohorts = [_Cohort() for _ in range(2 if self.pipeline else 1)]
        bar = Progress(len(plans), enabled=progress)
        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="agentrl-env")
        try:
            while pending or any(c.episodes for c in cohorts):
                # With two cohorts, one generates while the other's envs step in the pool.
                for cohort in cohorts:
                    self._settle(cohort)
                    for episode in [e for e in cohort.episodes if e.done]:
                        trajectory = self._finish(episode)
                        results[episode.plan.index] = trajectory
                        bar.add(trajectory, time.perf_counter() - start)
                    cohort.episodes = [e for e in cohort.episodes if not e.done]
                    room = min(len(pending), self.max_concurrency - len(cohort.episodes))
                    cohort.episodes += self._reset([pending.popleft() for _ in range(room)], pool)
                    self._generate([e for e in cohort.episodes if not e.done])
                    ready = [e for e in cohort.episodes if not e.done and e.action is not None]
                    cohort.steps = self._step(ready, pool)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            bar.close()
        return self.result(plans, results, start)

    def result(
        self, plans: list[EpisodePlan], results: dict[int, Trajectory], start: float
    ) -> RolloutResult:
        """The trajectories in plan order and the summary of a run that began at `start`."""
        trajectories = [results[p.index] for p in plans]
        summary = RolloutSummary.build(
            trajectories,
            wall_s=time.perf_counter() - start,
            generate_s=self.generate_s,
            env_s=self.env_s,
            generate_calls=self.generate_calls,
        )
        return RolloutResult(trajectories, summary)

    def _settle(self, cohort: _Cohort) -> None:
        """Wait for the cohort's env steps (time the main thread spends blocked on envs)."""
        if cohort.steps is not None:
            t0 = time.perf_counter()
            cohort.steps.wait()
            cohort.steps = None
            self.env_s += time.perf_counter() - t0

    # --- reset ----------------------------------------------------------------------------

    def _reset(self, plans: list[EpisodePlan], pool: ThreadPoolExecutor) -> list[Episode]:
        episodes = [Episode(plan=p, env=None, env_id=self.env_id) for p in plans]
        for e in episodes:  # hand out idle envs here: the pool threads must not race for them
            e.env = self.idle_envs.pop() if self.idle_envs else None
        t0 = time.perf_counter()
        calls = {e.plan.index: (e, self._reset_one) for e in episodes}
        CallBatch(pool, calls, "env.reset", self.step_timeout).wait()
        # The episodes of a group usually get the very same prompt: render it once, copy it.
        prompts: dict[str, Any] = {}
        for episode in episodes:
            if episode.done:
                continue
            try:
                self._start_session(episode, prompts)
            except Exception as e:  # a template that refuses this env's messages
                episode.fail(e, "chat template")
        self.env_s += time.perf_counter() - t0
        return episodes

    def _reset_one(self, episode: Episode) -> None:
        if episode.env is None:
            episode.env = self.make_env()
        options = (
            None if episode.plan.task_index is None else {"task_index": episode.plan.task_index}
        )
        observation, info = episode.env.reset(seed=episode.plan.seed, options=options)
        task = info.get("task") if isinstance(info, Mapping) else None
        episode.task = dict(task) if isinstance(task, Mapping) else {}
        episode.observation = [dict(m) for m in observation]

    def _start_session(self, episode: Episode, prompts: dict[str, Any]) -> None:
        tools = tuple(getattr(episode.env, "tools", ()) or ())
        key = json.dumps(
            [episode.observation, [tool_schema(t) for t in tools]], sort_keys=True, default=str
        )
        if key in prompts:
            episode.session = prompts[key].copy()
            episode.messages.extend(dict(m) for m in episode.observation)
        else:
            episode.session = self.chat_session(self.tokenizer, tools or None)
            episode.start(episode.observation)
            prompts[key] = episode.session.copy()
        if self.max_context is not None and episode.num_tokens >= self.max_context:
            episode.end("context_limit")

    # --- generate -------------------------------------------------------------------------

    def _generate(self, episodes: list[Episode]) -> None:
        for e in episodes:
            e.action = None
        live, budgets = [], []
        for e in episodes:
            room = None if self.max_context is None else self.max_context - e.num_tokens
            if room is not None and room <= 0:
                e.end("context_limit")
                continue
            live.append(e)
            budgets.append(
                self.params.max_tokens if room is None else min(room, self.params.max_tokens)
            )
        if not live:
            return
        params = dataclasses.replace(self.params, max_tokens=max(budgets))
        if params.seed is not None:  # a fresh, still reproducible, stream for every turn
            params = dataclasses.replace(params, seed=params.seed + 1_000_003 * self.generate_calls)
        t0 = time.perf_counter()
        outputs = self.sampler.generate([list(e.session.token_ids) for e in live], params)
        self.generate_s += time.perf_counter() - t0
        self.generate_calls += 1
        for episode, budget, completions in zip(live, budgets, outputs, strict=True):
            episode.sampled_by(completions[0], self.sampler.policy_version)
            self._take(episode, completions[0], budget)

    def _take(self, episode: Episode, completion: Any, budget: int) -> None:
        if completion.finish_reason == "abort":
            episode.end("error", "sampler: the completion was aborted")
            return
        ids = list(completion.token_ids[:budget])
        if len(completion.token_ids) > budget:
            completion = dataclasses.replace(completion, finish_reason="length")
        try:
            episode.add_completion(completion, ids)
        except Exception as e:  # a session that rejects the tokens is this episode's failure
            episode.fail(e, "chat session")
            return
        end = len(ids)
        while end and ids[end - 1] in self.stop_ids:
            end -= 1
        text = self.tokenizer.decode(ids[:end], skip_special_tokens=True)
        episode.messages.append({"role": "assistant", "content": text})
        at_context = self.max_context is not None and episode.num_tokens >= self.max_context
        if completion.finish_reason == "length" and at_context:
            episode.end("context_limit")  # cut by the context: the env never sees half a turn
        else:
            episode.action = text

    # --- step -----------------------------------------------------------------------------

    def _step(self, episodes: list[Episode], pool: ThreadPoolExecutor) -> CallBatch | None:
        """Start stepping `episodes` in the pool; the caller waits on the returned batch."""
        if not episodes:
            return None
        calls = {e.plan.index: (e, self._step_one) for e in episodes}
        return CallBatch(pool, calls, "env.step", self.step_timeout)

    def _step_one(self, episode: Episode) -> None:
        action, episode.action = episode.action, None
        result = episode.env.step(action)
        if not (isinstance(result, tuple) and len(result) == 5):
            raise TypeError(f"env.step must return a 5-tuple, got {type(result).__name__}")
        observation, reward, terminated, truncated, info = result
        if episode.done:  # it timed out meanwhile and has been recorded
            return
        episode.add_reward(reward, info if isinstance(info, Mapping) else {})
        if episode.done:
            return
        if terminated or truncated:
            episode.messages.extend(dict(m) for m in observation)
            if episode.finish_reasons and episode.finish_reasons[-1] == "length":
                episode.end("max_tokens")
            else:
                episode.end("terminated" if terminated else "truncated")
            return
        episode.add_observation(observation)
        if self.max_context is not None and episode.num_tokens >= self.max_context:
            episode.end("context_limit")

    # --- plumbing -------------------------------------------------------------------------

    def _finish(self, episode: Episode) -> Trajectory:
        if episode.env is not None and not episode.env_broken:
            self.idle_envs.append(episode.env)
        trajectory = episode.to_trajectory(self.max_context)
        if self.on_trajectory is not None:
            self.on_trajectory(trajectory)
        return trajectory

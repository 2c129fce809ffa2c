"""Agent programs as environments: ``agentrl train --agent module:function``.

``function(base_url, task) -> float`` is any program written against the OpenAI API. Each RL
step the trainer draws ``rollout.prompts_per_step`` tasks from the configured env and runs
``rollout.group_size`` calls of the function per task at once, each in its own thread, each
with its own ``base_url``: ``http://127.0.0.1:PORT/s/<session>/v1``, an OpenAI-compatible
endpoint (`agentrl.serve.create_app`) served in-process on the trainer's own sampler, so it
always samples the current weights. Any model name and API key are accepted there.

``task`` is the env task as a dict: ``prompt``, ``answer`` and the rest of the env's
``info["task"]`` (``id``, ``answers``, ``metadata`` for deepscaler), minus the worked
``solution``; ``messages`` is the env's opening conversation (what an env rollout would send
first). Each call gets its own copy.

A call's requests form one session (`agentrl.serve.sessions`: requests that extend one another
are one multi-turn trajectory, loss on the sampled tokens only; a request that extends none is
a trajectory of its own). Every trajectory of a session gets the call's return value as reward;
the sessions of one task are one GRPO group. A call that raises, outlives ``agent.timeout_s``
or returns something other than a finite number earns reward 0: its trajectories are still
trained on (the failure is the program's outcome on what the model said) and carry
``info["error"]``; ``agent/errors`` counts such calls, and the run goes on. The held-out
evaluation stays the env's own (greedy, through the env, not the program).

Requests without ``max_tokens`` get ``rollout.max_tokens``. The learner scores tokens at
``rollout.temperature``: a program should sample at that temperature (the OpenAI default is 1.0,
as is ``rollout.temperature``'s).
"""

from __future__ import annotations

import copy
import difflib
import importlib
import importlib.util
import inspect
import math
import numbers
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError
from agentrl.serve.protocol import APIError
from agentrl.serve.recording import RequestLog
from agentrl.serve.sessions import ASGIApp, Scope, merge_session, split_session
from agentrl.trajectory import Trajectory

Program = Callable[[str, dict[str, Any]], Any]


def load_agent(spec: str) -> Program:
    """The function ``spec`` names: ``module:function`` (imported; the current folder is on
    the path) or ``path/to/file.py:function``.

    Raises:
        ConfigError: naming `spec` and what is wrong: no such module or file, importing it
            failed, no such attribute (close names listed), not callable, or a signature that
            cannot take ``(base_url, task)``.
    """
    where = f"got agent.program={spec!r}"
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"{where}, need 'module:function' or 'file.py:function'")
    try:
        module = _import(module_name, where)
    except ConfigError:
        raise
    except Exception as e:  # the program's own import-time error: name it, don't crash
        raise ConfigError(
            f"{where}: importing {module_name!r} raised {type(e).__name__}: {e}"
        ) from e
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            names = [n for n in dir(target) if not n.startswith("_")]
            close = difflib.get_close_matches(part, names, n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ConfigError(f"{where}: {module_name!r} has no attribute {part!r}{hint}")
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(
            f"{where}: {attr!r} is {target!r} (of type {type(target).__name__}), not a "
            "function (base_url, task) -> reward"
        )
    try:
        inspect.signature(target).bind("http://127.0.0.1/v1", {})
    except TypeError as e:
        raise ConfigError(f"{where}: {attr!r} cannot be called as (base_url, task): {e}") from None
    except ValueError:  # builtins without a signature: let the call tell
        pass
    return target  # type: ignore[no-any-return]


def _import(module_name: str, where: str) -> Any:
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise ConfigError(f"{where}: no such file {module_name!r}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None  # a .py file always has both
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, module)
        spec.loader.exec_module(module)
        return module
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # like `python -m`: the user's own modules
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is None or not (module_name + ".").startswith(e.name + "."):
            raise  # the module exists and imports something missing: reported as such
        raise ConfigError(
            f"{where}: no module named {e.name!r} (searched the current folder and sys.path)"
        ) from None


# -- the in-process endpoint ------------------------------------------------------------------
class SessionCollector(RequestLog):
    """The trainer's `RequestLog`: keeps the requests of open sessions in memory."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open: dict[str, list[Trajectory]] = {}
        self._inflight = 0

    def open(self, sessions: list[str]) -> None:
        with self._cond:
            self._open.update({s: [] for s in sessions})

    def admits(self, session: str | None) -> bool:
        with self._cond:
            return session in self._open

    def write(self, trajectory: Trajectory, session: str | None) -> None:
        with self._cond:
            if session in self._open:
                self._open[session].append(trajectory)

    def reward(self, session: str, reward: float, *, task: str | None = None) -> None:
        raise APIError(
            400,
            "this endpoint is a training run's: the agent function's return value is the "
            "session's reward (POST /v1/rewards is for agentrl serve --record)",
        )

    def take(self, sessions: list[str], wait_s: float = 30.0) -> dict[str, list[Trajectory]]:
        """Stop admitting `sessions`, wait (up to `wait_s`) for requests still being answered
        (a timed-out call's), and return each session's requests in answer order."""
        with self._cond:
            taken = {s: self._open.pop(s, []) for s in sessions}
            self._cond.wait_for(lambda: self._inflight == 0, timeout=wait_s)
        return taken

    def __enter__(self) -> None:
        with self._cond:
            self._inflight += 1

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._inflight -= 1
            self._cond.notify_all()


class SessionGate:
    """ASGI wrapper of the trainer's app: answers ``/v1`` only for a session of the running
    step (a timed-out call's late requests get 409, so nothing samples while the learner
    updates), and counts requests in flight."""

    def __init__(self, app: ASGIApp, sessions: SessionCollector) -> None:
        self.app, self.sessions = app, sessions

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # lifespan: lasts as long as the server, not a request
            await self.app(scope, receive, send)
            return
        session, path = split_session(scope["path"])
        if path.startswith("/v1/") and path != "/v1/models" and not self.sessions.admits(session):
            from fastapi.responses import JSONResponse

            message = (
                f"session {session!r} is not open: this training endpoint answers the "
                "agent calls of the running step, each at its own /s/<session>/v1"
            )
            body = APIError(409, message).body()
            await JSONResponse(body, status_code=409)(scope, receive, send)
            return
        with self.sessions:
            await self.app(scope, receive, send)


# -- one step ---------------------------------------------------------------------------------
@dataclass
class Call:
    """One call of the program: its session, task and outcome."""

    group: str
    session: str
    task: dict[str, Any]
    reward: float = 0.0
    error: str | None = None
    timed_out: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def check_reward(value: Any) -> tuple[float, str | None]:
    """``(reward, None)`` for a finite real number, else ``(0.0, why)`` naming the value."""
    if isinstance(value, numbers.Real) and math.isfinite(float(value)):
        return float(value), None
    return 0.0, f"returned {value!r} ({type(value).__name__}), need a finite number"


def _run(fn: Program, url: str, call: Call) -> None:
    try:
        reward, error = check_reward(fn(url, call.task))
    except BaseException as e:  # a failed program is data, recorded below
        reward, error = 0.0, f"raised {type(e).__name__}: {e}"
    with call.lock:
        if not call.timed_out:
            call.reward, call.error = reward, error
    call.done.set()


def run_calls(fn: Program, base_url: str, calls: list[Call], timeout_s: float) -> None:
    """Run every call at once (daemon threads: a hung program cannot hold the run), each
    against ``base_url/s/<session>/v1``; a call still running after `timeout_s` is marked."""
    for call in calls:
        url = f"{base_url}/s/{call.session}/v1"
        thread = threading.Thread(target=_run, args=(fn, url, call), daemon=True)
        thread.start()
    deadline = time.monotonic() + timeout_s
    for call in calls:
        if not call.done.wait(max(0.0, deadline - time.monotonic())):
            with call.lock:
                if not call.done.is_set():
                    call.timed_out = True
                    call.reward, call.error = 0.0, f"timed out after {timeout_s:g} s"


def session_trajectories(call: Call, requests: list[Trajectory], env_id: str) -> list[Trajectory]:
    """A finished call's session as trajectories carrying its reward, group and task."""
    info = {"session": call.session, "prompt": call.task.get("prompt")}
    if call.error is not None:
        info["error"] = call.error
    return [
        t.model_copy(
            update={
                "env_id": env_id,
                "group_id": call.group,
                "task_id": call.task.get("id"),
                "reward": call.reward,
                "info": {**t.info, **info},
            }
        )
        for t in merge_session(requests)
    ]


class AgentPrograms:
    """The RL step source of ``agent.program``: serves the policy, runs the calls, learns."""

    def __init__(self, fn: Program, spec: str) -> None:
        self.fn, self.spec = fn, spec
        self.collector = SessionCollector()
        self.server: Any = None
        self.error_steps = 0

    def _serve(self, ctx: Any) -> str:
        if self.server is None:
            from agentrl.serve import ServerThread, create_app

            cfg = ctx.config
            app = create_app(
                ctx.sampler,
                ctx.tokenizer,
                model_name="agentrl",
                default_max_tokens=cfg.rollout.max_tokens,
                max_batch=cfg.rollout.max_concurrency,
                recorder=self.collector,
                engine="static",  # the rollout's sampler, called in batches between updates
                any_model=True,
            )
            self.server = ServerThread(SessionGate(app, self.collector)).start()
        return str(self.server.url)

    def tasks(self, ctx: Any, step: int) -> list[tuple[str, dict[str, Any]]]:
        """This step's tasks, ``(group id, task)``: the prompts an env rollout would draw."""
        from agentrl.rollout import plan_episodes

        cfg = ctx.config
        plans = plan_episodes(**ctx.split.train_kwargs(step, cfg.rollout.prompts_per_step, 1))
        env = ctx.split.env()
        out = []
        for plan in plans:
            options = None if plan.task_index is None else {"task_index": plan.task_index}
            observation, info = env.reset(seed=plan.seed, options=options)
            task = {k: v for k, v in dict(info.get("task") or {}).items() if k != "solution"}
            task["messages"] = [dict(m) for m in observation]
            out.append((f"agent-{plan.group_id}", task))
        return out

    def step(self, ctx: Any, learner: Any, step: int) -> tuple[dict[str, float], int]:
        cfg = ctx.config
        t0 = time.perf_counter()
        base_url = self._serve(ctx)
        calls = [
            Call(group, f"{step}-{k}-{j}-{uuid.uuid4().hex[:8]}", copy.deepcopy(task))
            for k, (group, task) in enumerate(self.tasks(ctx, step))
            for j in range(cfg.rollout.group_size)
        ]
        self.collector.open([c.session for c in calls])
        run_calls(self.fn, base_url, calls, cfg.agent.timeout_s)
        requests = self.collector.take([c.session for c in calls])
        trajectories = [
            t
            for c in calls
            for t in session_trajectories(c, requests[c.session], f"agent:{self.spec}")
        ]
        rollout_s = time.perf_counter() - t0
        ctx.on_prompts(c.task.get("prompt") for c in calls)
        failed = [c for c in calls if c.error is not None]
        if failed:
            self._report(step, failed, len(calls))
        metrics, tokens = learn_from(ctx, learner, trajectories)
        rewards = [c.reward for c in calls]
        return {
            **metrics,
            "reward/mean": sum(rewards) / len(rewards),
            "train/accuracy": sum(r > 0 for r in rewards) / len(rewards),
            "rollout/seconds": rollout_s,
            "agent/sessions": float(len(calls)),
            "agent/errors": float(len(failed)),
            "agent/timeouts": float(sum(c.timed_out for c in calls)),
            "agent/no_requests": float(sum(not requests[c.session] for c in calls)),
            "agent/requests": float(sum(map(len, requests.values()))),
            "agent/multi_turn": float(sum(t.info["turns"] > 1 for t in trajectories)),
        }, tokens

    def _report(self, step: int, failed: list[Call], total: int) -> None:
        self.error_steps += 1
        if self.error_steps <= 3:
            print(
                f"agentrl: step {step}: {len(failed)} of {total} calls of {self.spec} failed "
                f"(reward 0, kept as data); first: {failed[0].error}",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def learn_from(
    ctx: Any, learner: Any, trajectories: list[Trajectory]
) -> tuple[dict[str, float], int]:
    """One update on session trajectories, with the rollout-side metrics every RL step logs."""
    from agentrl.train.stages import learn

    t1 = time.perf_counter()
    metrics = learn(ctx.config.algo, learner, trajectories) if trajectories else {"skipped": 1.0}
    ctx.weights_changed()
    tokens = sum(t.num_policy_tokens for t in trajectories)
    return {
        **metrics,
        "update/seconds": time.perf_counter() - t1,
        "rollout/episodes": float(len(trajectories)),
        "rollout/mean_completion_tokens": tokens / max(len(trajectories), 1),
    }, tokens
